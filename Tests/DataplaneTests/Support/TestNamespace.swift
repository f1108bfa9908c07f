import Dataplane
import Foundation
import Netlink
import Testing

/// Whether this process may create network namespaces (root, `ip` present, kernel allows it); probed once by
/// creating and deleting one.
let canCreateNamespaces: Bool = {
    guard geteuid() == 0 else { return false }
    let name = "tabby-t-dataplane-\(getpid())-probe"
    guard (try? runTool("ip", ["netns", "add", name])) != nil else { return false }
    _ = try? runTool("ip", ["netns", "delete", name])
    return true
}()

/// The skip condition for real-kernel tests.
let needsNamespaces = Testing.ConditionTrait.enabled(
    if: canCreateNamespaces, "needs root and `ip netns add` to create network namespaces")

/// A network namespace created for one test, `tabby-t-dataplane-<pid>-<random>`, deleted afterwards.
final class TestNamespace {
    let name: String

    private init(name: String) throws {
        self.name = name
        try runTool("ip", ["netns", "add", name])
    }

    /// Runs `body` with a fresh namespace and deletes the namespace afterwards, whatever happens.
    static func with<T>(_ body: (TestNamespace) async throws -> T) async throws -> T {
        let namespace = try TestNamespace(name: "tabby-t-dataplane-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { _ = try? runTool("ip", ["netns", "delete", namespace.name]) }
        return try await body(namespace)
    }

    /// A kernel handle inside the namespace.
    func kernel() throws -> NetlinkKernel { try NetlinkKernel(namespaceNamed: name) }

    /// Runs `ip -n NAME args...` and returns its standard output.
    @discardableResult
    func ip(_ arguments: String...) throws -> String { try runTool("ip", ["-n", name] + arguments) }

    /// Runs `bridge -n NAME args...`.
    @discardableResult
    func bridge(_ arguments: String...) throws -> String { try runTool("bridge", ["-n", name] + arguments) }

    /// Runs a command inside the namespace (`ip netns exec`).
    @discardableResult
    func exec(_ arguments: String...) throws -> String { try runTool("ip", ["netns", "exec", name] + arguments) }
}

struct ToolFailure: Error, CustomStringConvertible {
    var command: [String]
    var status: Int32
    var standardError: String
    var description: String { "\(command.joined(separator: " ")) exited \(status): \(standardError)" }
}

/// Runs a tool found on PATH (or in /sbin, /usr/sbin) and returns its standard output; throws on failure.
@discardableResult
func runTool(_ tool: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = (environment["PATH"] ?? "/usr/bin:/bin") + ":/sbin:/usr/sbin"
    process.environment = environment
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    let errData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ToolFailure(
            command: [tool] + arguments, status: process.terminationStatus,
            standardError: String(decoding: errData, as: UTF8.self))
    }
    return String(decoding: outData, as: UTF8.self)
}

/// The first event that `matches`, or nil when none came within `seconds` (a guard against hanging, not a
/// timing assertion).
func firstEvent(
    in stream: AsyncStream<NetlinkEvent>, within seconds: Double = 10,
    where matches: @escaping @Sendable (NetlinkEvent) -> Bool
) async -> NetlinkEvent? {
    await withTaskGroup(of: NetlinkEvent?.self) { group in
        group.addTask {
            for await event in stream where matches(event) { return event }
            return nil
        }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
