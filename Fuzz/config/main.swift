import Agent
import FuzzSupport
import Glibc

// libFuzzer entry for tabbyd's configuration file: the input is the file's text, read through the public
// `AgentConfiguration.load` (the file parser, the merge of layers and validation); a ConfigurationError is an
// answer, and it must name where.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigurationFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let path = "/etc/tabby/fuzz.yaml"
    do {
        let configuration = try AgentConfiguration.load(
            arguments: ["--config", path], environment: [:], fileReader: { _ in text })
        _ = "\(configuration)"
    } catch {
        // Only the file was given, so a problem is the file's (or a required setting nobody set), with a reason.
        let fromFile: Bool
        if case .file(let file, _)? = error.source { fromFile = file == path } else { fromFile = error.source == nil }
        guard fromFile, !error.reason.isEmpty else { fatalError("a configuration error misplaced: \(error)") }
        _ = error.description
    }
    return 0
}

var argumentCount = CommandLine.argc
var argumentValues = Optional(CommandLine.unsafeArgv)
exit(LLVMFuzzerRunDriver(&argumentCount, &argumentValues, fuzzConfigurationFile))
