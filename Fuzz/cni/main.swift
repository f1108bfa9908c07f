import CNI
import FuzzSupport
import Glibc

// libFuzzer entry for what a container runtime hands the CNI plugins: the input is the network config on stdin
// (JSON, with prevResult, runtimeConfig, the ipam section and Calico's keys), read through the public
// `NetworkConfig.decode`, and the same bytes as a `CNI_ARGS` string. A CNIError is an answer, and it must say what
// failed; nothing may crash.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNetworkConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let config = try NetworkConfig.decode(bytes)
        _ = "\(config)"
    } catch {
        guard !error.msg.isEmpty else { fatalError("a CNI error without a message: \(error)") }
        _ = error.description
    }
    if let arguments = try? CNIArguments(parsing: String(decoding: bytes, as: UTF8.self)) {
        _ = "\(arguments)"
    }
    return 0
}

var argumentCount = CommandLine.argc
var argumentValues = Optional(CommandLine.unsafeArgv)
exit(LLVMFuzzerRunDriver(&argumentCount, &argumentValues, fuzzNetworkConfig))
