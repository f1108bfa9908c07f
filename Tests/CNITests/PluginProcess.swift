import Foundation

/// A program run to its end without holding a thread of the shared pool: the exit is awaited through the
/// termination handler, and the output read on a thread of its own.
struct PluginProcess {
    var status: Int32
    var output: String

    static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil, stdin: [UInt8] = []
    ) async throws -> PluginProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        let reader = output.fileHandleForReading
        let collected = Task.detached { reader.readDataToEndOfFile() }
        let exited = AsyncStream<Int32> { continuation in
            process.terminationHandler = {
                continuation.yield($0.terminationStatus)
                continuation.finish()
            }
        }
        try process.run()
        let writer = input.fileHandleForWriting
        try writer.write(contentsOf: Data(stdin))
        try writer.close()
        var status: Int32 = -1
        for await code in exited { status = code }
        let data = await collected.value
        return PluginProcess(status: status, output: String(decoding: data, as: UTF8.self))
    }
}

/// The directory `swift build` put this test binary and the executables in.
func buildProductsDirectory() throws -> String {
    let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    return (testBinary as NSString).deletingLastPathComponent
}

/// The package's root, from this file's path (Tests/CNITests/...).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
