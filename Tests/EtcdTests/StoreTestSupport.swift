import CalicoAPI
import Datastore
import Etcd
import EtcdTestSupport
import Foundation
import NetworkAddress
import Testing

/// `etcdctl` (Debian's etcd-client), the independent client the store's tests check Calico's shape with.
enum Etcdctl {
    static let executable = "/usr/bin/etcdctl"

    /// Runs `etcdctl --endpoints <endpoint> <arguments>` and returns its standard output; throws on failure.
    @discardableResult
    static func run(_ endpoint: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--endpoints", endpoint] + arguments
        process.environment = ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestServerError(
                "etcdctl \(arguments.joined(separator: " ")) failed: \(String(decoding: errorData, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs `body` until it succeeds, for up to `seconds`: etcdctl's writes right after a member was killed fail
    /// with "context deadline exceeded" until the other members have elected a leader, which takes seconds on a
    /// loaded machine. Puts and deletes are idempotent, so a retried one that had gone through does no harm.
    @discardableResult
    static func whileElecting<T>(seconds: Double = 30, _ body: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            do {
                return try body()
            } catch {
                if Date() >= deadline { throw error }
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }

    static func put(_ endpoint: String, _ key: String, _ value: String) throws {
        try run(endpoint, ["put", "--", key, value])
    }

    static func delete(_ endpoint: String, _ key: String) throws {
        try run(endpoint, ["del", "--", key])
    }

    /// The value of `key`, or nil when there is none.
    static func get(_ endpoint: String, _ key: String) throws -> String? {
        let lines = try run(endpoint, ["get", "--print-value-only", "--", key])
        let value = lines.hasSuffix("\n") ? String(lines.dropLast()) : lines
        return value.isEmpty ? nil : value
    }

    /// The value of `key` as a JSON object.
    static func json(_ endpoint: String, _ key: String) throws -> [String: Any] {
        let value = try #require(try get(endpoint, key), "\(key) is not in etcd")
        return try #require(try JSONSerialization.jsonObject(with: Data(value.utf8)) as? [String: Any])
    }
}

/// A store on a fresh single etcd member, both closed and stopped (by PID) when `body` returns or throws.
func withEtcdStore<T>(_ body: (EtcdDatastore, EtcdTestServer) async throws -> T) async throws -> T {
    let server = try EtcdTestServer.start()
    defer { server.stop() }
    let store = try EtcdDatastore(settings: EtcdSettings(endpoints: [server.endpoint]))
    do {
        let result = try await body(store, server)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

/// The next event of a watch, failing the test after `seconds` rather than hanging it.
func nextEvent(
    _ events: inout AsyncThrowingStream<WatchEvent, any Error>.AsyncIterator, within seconds: Double = 20
) async throws -> WatchEvent {
    let box = IteratorBox(events)
    let event = try await withThrowingTaskGroup(of: WatchEvent?.self) { group in
        group.addTask { try await box.next() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
    events = box.iterator
    return try #require(event, "no watch event within \(seconds) s")
}

/// Moves an iterator into a child task and back.
final class IteratorBox: @unchecked Sendable {
    var iterator: AsyncThrowingStream<WatchEvent, any Error>.AsyncIterator
    init(_ iterator: AsyncThrowingStream<WatchEvent, any Error>.AsyncIterator) { self.iterator = iterator }
    func next() async throws -> WatchEvent? { try await iterator.next() }
}

func pool(_ name: String, cidr: String) -> AnyResource {
    AnyResource(IPPool(name: name, spec: IPPoolSpec(cidr: CIDR(cidr)!)))
}

/// The error a throwing call fails with, or nil when it succeeds.
func failure<T>(_ body: () async throws(DatastoreError) -> T) async -> DatastoreError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}

let calicoPoolKey = "/calico/resources/v3/projectcalico.org/ippools/"
