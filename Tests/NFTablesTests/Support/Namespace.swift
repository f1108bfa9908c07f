import Foundation
import NFTables
import Testing

/// Whether this process may create network namespaces and run nft: real-kernel tests need both.
enum KernelTestEnvironment {
    static let available: Bool =
        geteuid() == 0
        && ["/usr/sbin/ip", "/usr/sbin/nft"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    static let reason: Comment = "needs root and the ip and nft commands to create network namespaces"
}

/// A network namespace created for one test and deleted by `withNamespace`.
struct TestNamespace {
    let name: String
    var path: String { "/run/netns/\(name)" }

    /// Opens an nf_tables socket inside the namespace.
    func socket() throws -> NFTablesSocket { try NFTablesSocket(networkNamespace: path) }

    /// Runs a command inside the namespace.
    @discardableResult
    func run(_ arguments: String...) throws -> CommandResult {
        try Command.run(["/usr/sbin/ip", "netns", "exec", name] + arguments)
    }

    /// `nft -j list ruleset` parsed: the objects under "nftables", metainfo left out.
    func nftJSON() throws -> [[String: Any]] {
        let result = try run("nft", "-j", "list", "ruleset")
        try #require(result.status == 0, "nft -j list ruleset failed: \(result.error)")
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        let items = try #require(object?["nftables"] as? [[String: Any]])
        return items.filter { $0["metainfo"] == nil }
    }

    /// The JSON objects of one kind ("table", "chain", "set", "map", "rule").
    func nftObjects(_ kind: String) throws -> [[String: Any]] {
        try nftJSON().compactMap { $0[kind] as? [String: Any] }
    }
}

/// Creates fresh namespaces named tabby-t-nft-<pid>-<random>, runs `body`, and deletes them whatever happens.
func withNamespaces(_ count: Int = 1, _ body: ([TestNamespace]) throws -> Void) throws {
    var created: [TestNamespace] = []
    defer {
        for namespace in created { _ = try? Command.run(["/usr/sbin/ip", "netns", "delete", namespace.name]) }
    }
    for _ in 0..<count {
        let name = "tabby-t-nft-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        let result = try Command.run(["/usr/sbin/ip", "netns", "add", name])
        try #require(result.status == 0, "ip netns add \(name): \(result.error)")
        created.append(TestNamespace(name: name))
    }
    try body(created)
}

func withNamespace(_ body: (TestNamespace) throws -> Void) throws {
    try withNamespaces(1) { try body($0[0]) }
}

struct CommandResult {
    let status: Int32
    let output: String
    let error: String
}

enum Command {
    static func run(_ arguments: [String]) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read before waiting: a full pipe would otherwise block the child.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            error: String(decoding: errorData, as: UTF8.self))
    }
}
