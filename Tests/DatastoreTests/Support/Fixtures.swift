import CalicoAPI
import Datastore
import Etcd
import EtcdTestSupport
import Foundation
import NetworkAddress
import Testing

/// The datastores the shared semantics tests run against; etcd only where it is installed (`make deps`).
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case file
    case memory
    case etcd

    static var allCases: [Backend] {
        EtcdTestServer.skipReason == nil ? [.file, .memory, .etcd] : [.file, .memory]
    }

    var testDescription: String { rawValue }
}

/// A fresh datastore of the given kind; a file datastore lives in a temporary directory removed afterwards.
func withDatastore<T>(
    _ backend: Backend, _ body: (any Datastore) async throws -> T
) async throws -> T {
    switch backend {
    case .memory:
        return try await body(InMemoryDatastore())
    case .file:
        return try await withTemporaryDirectory { directory in
            try await body(try FileDatastore(directory: directory))
        }
    case .etcd:
        // A member of its own per test (about 1 s to start), stopped by its PID afterwards.
        let server = try EtcdTestServer.start()
        defer { server.stop() }
        let store = try EtcdDatastore(settings: EtcdSettings(endpoints: [server.endpoint]))
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }
}

/// A new directory under /tmp named for this test process, removed when `body` returns or throws.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = "/tmp/tabby-t-datastore-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

func ipPool(_ name: String, cidr: String = "192.0.2.0/24") -> AnyResource {
    AnyResource(IPPool(name: name, spec: IPPoolSpec(cidr: CIDR(cidr)!)))
}

func globalNetworkSet(_ name: String, labels: [String: String] = [:]) -> AnyResource {
    AnyResource(GlobalNetworkSet(metadata: ObjectMeta(name: name, labels: labels.isEmpty ? nil : labels)))
}

func networkSet(_ name: String, namespace: String, nets: [String] = ["198.51.100.0/24"]) -> AnyResource {
    var spec = NetworkSetSpec()
    spec.nets = nets.map { IPNetwork($0)! }
    return AnyResource(NetworkSet(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec))
}

func blockAffinity(_ name: String, node: String = "node-a") -> AnyResource {
    AnyResource(
        BlockAffinity(name: name, spec: BlockAffinitySpec(state: .confirmed, node: node, cidr: CIDR("203.0.113.0/26")!)))
}

/// Writes a file in place, as an operator's editor might, without the datastore.
func writeByHand(_ path: String, _ text: String) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(descriptor) }
    let bytes = Array(text.utf8)
    guard write(descriptor, bytes, bytes.count) == bytes.count else {
        throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
    }
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

let handWrittenPool = """
    apiVersion: projectcalico.org/v3
    kind: IPPool
    metadata:
      name: by-hand
    spec:
      cidr: 198.51.100.0/24

    """
