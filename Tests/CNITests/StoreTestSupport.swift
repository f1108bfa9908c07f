import CNI
import CalicoAPI
import Datastore
import IPAM
import NetworkAddress
import Testing

/// The node the store tests run on; labelled so pools can select it or not.
let storeNode = "node-1"
let storeNetwork = "k8s-pod-network"

/// An IP pool; `selector` limits the nodes it serves when nothing names it.
func storePool(_ name: String, _ text: String, blockSize: Int? = nil, selector: String? = nil, disabled: Bool = false)
    -> AnyResource
{
    var spec = IPPoolSpec(cidr: try! CIDR(parsing: text))
    spec.blockSize = blockSize
    spec.nodeSelector = selector
    if disabled { spec.disabled = true }
    var pool = IPPool(name: name, spec: spec)
    pool.applyDefaults()
    return AnyResource(pool)
}

/// A datastore with the given pools (by default one IPv4 pool), the test nodes, and any extra resources.
func storeDatastore(pools: [AnyResource]? = nil, extra: [AnyResource] = []) -> InMemoryDatastore {
    var resources = pools ?? [storePool("pool-v4", "192.0.2.0/24")]
    for name in [storeNode, "node-2"] {
        var node = Node(name: name)
        node.metadata.labels = ["zone": name == storeNode ? "here" : "there"]
        resources.append(AnyResource(node))
    }
    return InMemoryDatastore(resources + extra)
}

func storeNamespace(_ name: String, annotations: [String: String] = [:]) -> AnyResource {
    AnyResource(Namespace(metadata: ObjectMeta(name: name, annotations: annotations.isEmpty ? nil : annotations)))
}

func storePod(
    _ name: String, namespace: String = "shop", labels: [String: String] = [:], annotations: [String: String] = [:],
    serviceAccount: String? = nil, containers: [PodContainer]? = nil, initContainers: [PodContainer]? = nil
) -> AnyResource {
    var pod = Pod(
        metadata: ObjectMeta(
            name: name, namespace: namespace, labels: labels.isEmpty ? nil : labels,
            annotations: annotations.isEmpty ? nil : annotations))
    pod.spec.nodeName = storeNode
    pod.spec.serviceAccountName = serviceAccount
    pod.spec.containers = containers
    pod.spec.initContainers = initContainers
    return AnyResource(pod)
}

/// A Kubernetes pod's attachment (`K8S_POD_NAMESPACE`/`K8S_POD_NAME` given).
func podIdentity(
    _ pod: String = "web-0", namespace: String = "shop", container: String = "c0ffee0123456789abcdef",
    node: String = storeNode, network: String = storeNetwork
) -> WorkloadIdentity {
    WorkloadIdentity(
        network: network, containerID: container, interfaceName: "eth0", networkNamespace: "/var/run/netns/test",
        node: node, pod: WorkloadIdentity.PodReference(namespace: namespace, name: pod))
}

/// A plain CNI attachment (no pod: the `cni` orchestrator).
func containerIdentity(_ container: String, node: String = storeNode, network: String = "podnet")
    -> WorkloadIdentity
{
    WorkloadIdentity(
        network: network, containerID: container, interfaceName: "eth0", networkNamespace: "/var/run/netns/test",
        node: node)
}

func address(_ text: String) -> IPAddress { IPAddress(text)! }
func network(_ text: String) -> CIDR { try! CIDR(parsing: text) }

let containerMAC = MACAddress(0x02_42_c0_00_02_05)

extension WorkloadStore {
    /// Assigns and writes the endpoint, as an ADD does.
    func add(_ identity: WorkloadIdentity, request: AddressRequest = AddressRequest()) async throws -> [CIDR] {
        let pod = try await pod(for: identity)
        let addresses = try await assignAddresses(for: identity, pod: pod, request: request)
        _ = try await writeEndpoint(
            for: identity, pod: pod, hostInterface: WorkloadNames.hostInterfaceName(for: identity),
            containerMAC: containerMAC, addresses: addresses)
        return addresses
    }
}

/// The addresses IPAM holds, with their handles.
func allocatedAddresses(_ store: any Datastore) async throws -> [IPAddress: String] {
    var result: [IPAddress: String] = [:]
    for allocation in try await IPAMClient(datastore: store).allocations() {
        result[allocation.address] = allocation.handle ?? ""
    }
    return result
}

/// The CNIError an operation throws, or nil when it succeeds (another error fails the test).
func cniError(_ body: () async throws -> Void) async -> CNIError? {
    do {
        try await body()
        return nil
    } catch let error as CNIError {
        return error
    } catch {
        Issue.record("expected a CNIError, got \(error)")
        return nil
    }
}
