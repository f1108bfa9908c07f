import Foundation
import Glibc
import Testing

/// A network namespace a test creates and deletes itself, and tabbyctl run inside it (`ip netns exec`), so that a
/// command that reads the network sees a clean namespace and never the host's.
struct TestNamespace {
    static var isRoot: Bool { geteuid() == 0 }

    let name: String

    init() throws {
        name = "tabbyctl-\(getpid())-\(UInt32.random(in: 0..<UInt32.max) % 100_000)"
        let added = try Self.ip(["netns", "add", name])
        try #require(added.status == 0, "ip netns add \(name): \(added.err)")
    }

    func delete() { _ = try? Self.ip(["netns", "delete", name]) }

    /// `ip ARGS` inside the namespace.
    func ip(_ arguments: [String]) throws -> Tabbyctl.Result { try Self.ip(["-n", name] + arguments) }

    /// tabbyctl with `arguments` inside the namespace, in `directory`.
    func tabbyctl(_ arguments: [String], directory: String? = nil) throws -> Tabbyctl.Result {
        try Self.execute("/usr/sbin/ip", ["netns", "exec", name, Tabbyctl.binary!] + arguments, directory: directory)
    }

    static func ip(_ arguments: [String]) throws -> Tabbyctl.Result { try execute("/usr/sbin/ip", arguments) }

    static func execute(_ path: String, _ arguments: [String], directory: String? = nil) throws -> Tabbyctl.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var environment = ProcessInfo.processInfo.environment
        environment["TABBY_DATASTORE"] = nil
        environment["TABBYD_STATUS_SOCKET"] = nil
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Tabbyctl.Result(
            status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
            err: String(decoding: errData, as: UTF8.self))
    }
}
