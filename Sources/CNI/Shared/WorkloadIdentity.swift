/// Who a CNI call is about: the attachment (network, container, interface) and, when the runtime names one
/// through `CNI_ARGS` (`K8S_POD_NAMESPACE`, `K8S_POD_NAME`), the Kubernetes pod it belongs to.
public struct WorkloadIdentity: Sendable, Equatable {
    /// The network config's `name`.
    public var network: String
    /// `CNI_CONTAINERID`.
    public var containerID: String
    /// `CNI_IFNAME`: the interface inside the container (`eth0`).
    public var interfaceName: String
    /// `CNI_NETNS`: the container's network namespace path; may be empty on DEL.
    public var networkNamespace: String
    /// This node's name (config `nodename`, else the host name).
    public var node: String
    public var pod: PodReference?

    public struct PodReference: Sendable, Equatable {
        public var namespace: String
        public var name: String
        /// `K8S_POD_INFRA_CONTAINER_ID`, when given.
        public var infraContainerID: String?

        public init(namespace: String, name: String, infraContainerID: String? = nil) {
            self.namespace = namespace
            self.name = name
            self.infraContainerID = infraContainerID
        }
    }

    /// Calico's orchestrator ID: `k8s` for a pod, else `cni`.
    public var orchestrator: String { pod == nil ? "cni" : "k8s" }

    public init(
        network: String, containerID: String, interfaceName: String, networkNamespace: String, node: String,
        pod: PodReference? = nil
    ) {
        self.network = network
        self.containerID = containerID
        self.interfaceName = interfaceName
        self.networkNamespace = networkNamespace
        self.node = node
        self.pod = pod
    }
}
