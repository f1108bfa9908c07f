import CalicoAPI
import Datastore
import IPAM
import NetworkAddress

/// The datastore side of the CNI plugins: the workload's Pod, its addresses (through ``IPAMClient``, in
/// Calico's order of precedence), the WorkloadEndpoint the plugin writes, the Pod's `podIP`/`podIPs`
/// annotations, release and garbage collection.
public struct WorkloadStore: Sendable {
    public let datastore: any Datastore
    let ipam: IPAMClient
    /// How often a compare-and-swap on a Pod is retried before giving up.
    var retries = 20

    public init(datastore: any Datastore) {
        self.datastore = datastore
        self.ipam = IPAMClient(datastore: datastore)
    }

    /// The mirrored Pod (nil when the identity has no pod or none is stored).
    public func pod(for identity: WorkloadIdentity) async throws(CNIError) -> Pod? {
        guard let pod = identity.pod else { return nil }
        return try await get(ResourceKey(kind: .pod, namespace: pod.namespace, name: pod.name), as: Pod.self)
    }

    /// The stored endpoint of this identity, for CHECK.
    public func endpoint(for identity: WorkloadIdentity) async throws(CNIError) -> WorkloadEndpoint? {
        try await get(endpointKey(for: identity), as: WorkloadEndpoint.self)
    }

    func endpointKey(for identity: WorkloadIdentity) -> ResourceKey {
        ResourceKey(
            kind: .workloadEndpoint, namespace: WorkloadNames.endpointNamespace(for: identity),
            name: WorkloadNames.endpointName(for: identity))
    }

    /// The Namespace a pod lives in, when the datastore has it (its annotations may choose pools).
    func namespace(for identity: WorkloadIdentity) async throws(CNIError) -> Namespace? {
        guard let pod = identity.pod else { return nil }
        return try await get(ResourceKey(kind: .namespace, name: pod.namespace), as: Namespace.self)
    }

    /// The stored resource; nil when there is none.
    func get<R: CalicoResource>(_ key: ResourceKey, as type: R.Type) async throws(CNIError) -> R? {
        do {
            return try await datastore.get(key).as(type)
        } catch .notFound {
            return nil
        } catch {
            throw StoreErrors.datastore(error, reading: key.description)
        }
    }
}

/// How datastore and IPAM failures become CNI errors.
enum StoreErrors {
    static func datastore(_ error: DatastoreError, reading what: String) -> CNIError {
        CNIError(.ioFailure, "error reading \(what) from the datastore", details: error.description)
    }

    static func datastore(_ error: DatastoreError, writing what: String) -> CNIError {
        switch error {
        case .invalid:
            // The same validation tabbyctl applies: the details name each field and why.
            CNIError(.ioFailure, "error writing \(what): the datastore refused it", details: error.description)
        default:
            CNIError(.ioFailure, "error writing \(what) to the datastore", details: error.description)
        }
    }

    /// An IPAM refusal keeps IPAM's (Calico's) words in `msg`; a datastore failure is an I/O failure.
    static func ipam(_ error: IPAMError, doing what: String) -> CNIError {
        switch error {
        case .datastore(let inner):
            CNIError(.ioFailure, "error \(what): the datastore failed", details: inner.description)
        case .contention:
            CNIError(.ioFailure, error.description, details: what)
        default:
            CNIError(.addressUnavailable, error.description, details: what)
        }
    }
}
