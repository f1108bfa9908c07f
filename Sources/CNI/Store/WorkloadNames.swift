import CalicoAPI

/// The names Calico's CNI plugin derives from a workload's identity, derived the same way so that Calico's tools
/// and Felix agree with Tabby on a mixed node.
public enum WorkloadNames {
    /// How many characters of the hash (k8s) or of the container ID (cni) follow the prefix: `cali` + 11 = 15,
    /// the kernel's limit for an interface name.
    static let hostInterfaceSuffixLength = 11

    /// Host-side veth name: the prefix and 11 characters. For a Kubernetes pod, the first 11 hex characters of
    /// SHA-1(`<podNamespace>.<podName>`) (so a pod's veth keeps its name across sandboxes); for the `cni`
    /// orchestrator, the first 11 characters of the container ID, as Calico's plugin names it.
    public static func hostInterfaceName(for identity: WorkloadIdentity, prefix: String = "cali") -> String {
        if let pod = identity.pod {
            return FelixConventions.workloadInterfaceName(namespace: pod.namespace, pod: pod.name, prefix: prefix)
        }
        return prefix + identity.containerID.prefix(hostInterfaceSuffixLength)
    }

    /// Calico's WorkloadEndpoint name: `<node>-k8s-<pod>-<endpoint>` for a pod, `<node>-cni-<containerID>-<endpoint>`
    /// otherwise, with every `-` inside a segment doubled (`node-1`, pod `web-0`, `eth0` ->
    /// `node--1-k8s-web--0-eth0`), so the segments can be read back.
    public static func endpointName(for identity: WorkloadIdentity) -> String {
        segments(of: identity).map { $0.value.replacing("-", with: "--") }.joined(separator: "-")
    }

    /// Why Calico would refuse to name this workload's endpoint (a segment empty, or starting or ending with
    /// `-`, which would make the name ambiguous); nil when the name is sound.
    public static func endpointNameProblem(for identity: WorkloadIdentity) -> String? {
        for segment in segments(of: identity) {
            if segment.value.isEmpty { return "the \(segment.field) is empty" }
            if segment.value.hasPrefix("-") { return "the \(segment.field) \"\(segment.value)\" starts with '-'" }
            if segment.value.hasSuffix("-") { return "the \(segment.field) \"\(segment.value)\" ends with '-'" }
        }
        return nil
    }

    /// The namespace of the WorkloadEndpoint: the pod's; `default` for the `cni` orchestrator, as Calico's
    /// plugin puts every non-Kubernetes workload there.
    public static func endpointNamespace(for identity: WorkloadIdentity) -> String {
        identity.pod?.namespace ?? defaultNamespace
    }

    static let defaultNamespace = "default"

    /// The IPAM handle: `<network>.<containerID>` (Calico's `k8s-pod-network.<containerID>`).
    public static func handle(for identity: WorkloadIdentity) -> String {
        handle(network: identity.network, containerID: identity.containerID)
    }

    static func handle(network: String, containerID: String) -> String { "\(network).\(containerID)" }

    /// The container ID of a handle of `network`, or nil when the handle is not a workload handle of that network.
    /// The network name may itself contain dots; a container ID never does, so what follows `<network>.` must be
    /// one dot-free word (Calico's rule: older handles such as `k8s-pod-network.<ns>.<pod>` are not sandbox
    /// handles).
    public static func containerID(ofHandle handle: String, network: String) -> String? {
        let prefix = network + "."
        guard handle.hasPrefix(prefix) else { return nil }
        let containerID = handle.dropFirst(prefix.count)
        guard !containerID.isEmpty, !containerID.contains(".") else { return nil }
        return String(containerID)
    }

    private static func segments(of identity: WorkloadIdentity) -> [(field: String, value: String)] {
        if let pod = identity.pod {
            return [
                ("node", identity.node), ("orchestrator", "k8s"), ("pod", pod.name),
                ("endpoint", identity.interfaceName),
            ]
        }
        return [
            ("node", identity.node), ("orchestrator", "cni"), ("containerID", identity.containerID),
            ("endpoint", identity.interfaceName),
        ]
    }
}
