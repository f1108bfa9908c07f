import FuzzSupport
import Glibc

@testable import CalicoAPI

// libFuzzer entry for the manifest decoder: the public decode (CanonicalYAMLReader's fast path, else Yams),
// defaults and validation. Wherever the fast path reads a text it must give exactly Yams' tree (it is only a
// shortcut), and every resource that decodes must write out as YAML that decodes back to it.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let fast = CanonicalYAMLReader.read(text) {
        let slow = try? ManifestParser.parseWithYams(text)
        guard let slow, slow.count == 1, slow[0].root == fast else {
            fatalError("the canonical reader and Yams read \(text.debugDescription) differently")
        }
    }
    let decoded = ResourceCodec.decode(text, source: "fuzz.yaml")
    for error in decoded.errors { _ = error.description }
    for resource in decoded.resources {
        let written = ResourceCodec.yaml(resource)
        guard let again = try? ResourceCodec.decodeOne(written, source: "written.yaml"), again == resource else {
            fatalError("\(resource) writes as \(written.debugDescription), which does not decode back to it")
        }
    }
    return 0
}

var argumentCount = CommandLine.argc
var argumentValues = Optional(CommandLine.unsafeArgv)
exit(LLVMFuzzerRunDriver(&argumentCount, &argumentValues, fuzzManifest))
