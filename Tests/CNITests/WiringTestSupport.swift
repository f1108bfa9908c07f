import Foundation
import Testing

/// Whether this process may create network namespaces (root and `ip netns add` work); probed once.
let wiringCanCreateNamespaces: Bool = {
    guard geteuid() == 0 else { return false }
    let name = "tabby-t-wire-\(getpid())-probe"
    let added =
        FileManager.default.fileExists(atPath: "/usr/sbin/ip") || FileManager.default.fileExists(atPath: "/sbin/ip")
    guard added, wiringRunBlocking("ip", ["netns", "add", name]) == 0 else { return false }
    _ = wiringRunBlocking("ip", ["netns", "delete", name])
    return true
}()

/// The skip condition of the wiring's kernel tests.
let wiringNeedsNamespaces = Testing.ConditionTrait.enabled(
    if: wiringCanCreateNamespaces, "needs root and `ip netns add` to create network namespaces")

/// A tool's failure, with its standard error.
struct WiringToolFailure: Error, CustomStringConvertible {
    var command: [String]
    var status: Int32
    var standardError: String
    var description: String { "\(command.joined(separator: " ")) exited \(status): \(standardError)" }
}

/// Runs a tool and returns its standard output; throws when it exits non-zero. Waits without holding a pool
/// thread: the process is polled every few milliseconds (outputs here are small, far below a pipe's buffer).
@discardableResult
func wiringRun(_ tool: String, _ arguments: [String]) async throws -> String {
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
    // A bounded wait: a tool that hangs for 20 s fails the test instead of hanging the suite.
    let deadline = ContinuousClock.now + .seconds(20)
    while process.isRunning, ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(5))
    }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    let errData = errors.fileHandleForReading.readDataToEndOfFile()
    guard process.terminationStatus == 0 else {
        throw WiringToolFailure(
            command: [tool] + arguments, status: process.terminationStatus,
            standardError: String(decoding: errData, as: UTF8.self))
    }
    return String(decoding: outData, as: UTF8.self)
}

/// For the one-off probe at start-up only (`ip netns add` returns at once).
private func wiringRunBlocking(_ tool: String, _ arguments: [String]) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = (environment["PATH"] ?? "/usr/bin:/bin") + ":/sbin:/usr/sbin"
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return -1 }
    process.waitUntilExit()
    return process.terminationStatus
}

/// A test's own namespaces: one "node" (the wiring's host namespace) and its "containers", all named
/// `tabby-t-wire-<pid>-<random>-<role>` and deleted when the test ends, whatever happens.
final class WiringNamespaces: Sendable {
    let prefix: String
    let node: String
    let containerNames: [String]

    private init(containers: Int) {
        let prefix = "tabby-t-wire-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        self.prefix = prefix
        node = prefix + "-node"
        containerNames = (1...max(1, containers)).map { "\(prefix)-c\($0)" }
    }

    var nodePath: String { "/run/netns/\(node)" }
    func containerPath(_ number: Int = 1) -> String { "/run/netns/\(containerNames[number - 1])" }
    func container(_ number: Int = 1) -> String { containerNames[number - 1] }

    /// Creates the namespaces, gives the node an uplink (a veth pair, one end with 203.0.113.1/24 and the default
    /// route, as a real node has: proxy ARP only answers for a destination routed through another interface),
    /// runs `body`, and deletes them all.
    static func with<T>(containers: Int = 1, _ body: (WiringNamespaces) async throws -> T) async throws -> T {
        let namespaces = WiringNamespaces(containers: containers)
        var created: [String] = []
        do {
            for name in [namespaces.node] + namespaces.containerNames {
                try await wiringRun("ip", ["netns", "add", name])
                created.append(name)
            }
            try await namespaces.ip(
                namespaces.node, "link", "add", "uplink0", "type", "veth", "peer", "name", "uplink0p")
            try await namespaces.ip(namespaces.node, "addr", "add", "203.0.113.1/24", "dev", "uplink0")
            try await namespaces.ip(namespaces.node, "link", "set", "uplink0p", "up")
            try await namespaces.ip(namespaces.node, "link", "set", "uplink0", "up")
            try await namespaces.ip(namespaces.node, "route", "add", "default", "via", "203.0.113.254")
            let result = try await body(namespaces)
            for name in created { _ = try? await wiringRun("ip", ["netns", "delete", name]) }
            return result
        } catch {
            for name in created { _ = try? await wiringRun("ip", ["netns", "delete", name]) }
            throw error
        }
    }

    /// `ip -n NAME args...`.
    @discardableResult
    func ip(_ namespace: String, _ arguments: String...) async throws -> String {
        try await wiringRun("ip", ["-n", namespace] + arguments)
    }

    /// `ip -j -n NAME args...`, decoded as a JSON array of objects.
    func ipJSON(_ namespace: String, _ arguments: String...) async throws -> [[String: Any]] {
        let text = try await wiringRun("ip", ["-j", "-n", namespace] + arguments)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return [] }
        let value = try JSONSerialization.jsonObject(with: Data(trimmed.utf8))
        return value as? [[String: Any]] ?? []
    }

    /// A command run inside a namespace (`ip netns exec`).
    @discardableResult
    func exec(_ namespace: String, _ arguments: String...) async throws -> String {
        try await wiringRun("ip", ["netns", "exec", namespace] + arguments)
    }

    /// A sysctl's value inside a namespace.
    func sysctl(_ namespace: String, _ path: String) async throws -> String {
        try await exec(namespace, "cat", "/proc/sys/net/" + path).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The names of the links in a namespace.
    func linkNames(_ namespace: String) async throws -> [String] {
        try await ipJSON(namespace, "link", "show").compactMap { $0["ifname"] as? String }
    }
}
