import Foundation
import Testing

/// Runs the built `tabbyctl` as an operator would, against a scratch datastore directory.
struct Tabbyctl {
    struct Result {
        var status: Int32
        var out: String
        var err: String
    }

    static let binary: String? = {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        let path = directory.appendingPathComponent("tabbyctl").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()

    let datastore: String

    init() {
        datastore = "/tmp/tabbyctl-test-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
    }

    func remove() { try? FileManager.default.removeItem(atPath: datastore) }

    /// Writes `text` to a file in a scratch folder and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let folder = datastore + "-input"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @discardableResult
    func run(_ arguments: String..., stdin: String? = nil, useEnvironment: Bool = false) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary!)
        var environment = ProcessInfo.processInfo.environment
        if useEnvironment {
            environment["TABBY_DATASTORE"] = datastore
            process.arguments = arguments
        } else {
            environment["TABBY_DATASTORE"] = nil
            process.arguments = ["--datastore", datastore] + arguments
        }
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin.data(using: .utf8)!) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
            err: String(decoding: errData, as: UTF8.self))
    }
}
