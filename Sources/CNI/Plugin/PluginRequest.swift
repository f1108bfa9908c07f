import NetworkAddress

/// One invocation, read and checked: the environment, the config, this node's name, and who the call is about.
public struct PluginRequest: Sendable {
    public var environment: CNIEnvironment
    public var config: NetworkConfig
    /// The config bytes as received: what a delegated plugin gets on its stdin.
    public var stdin: [UInt8]
    public var node: String
    public var log: PluginLog

    /// The attachment: `k8s` when `CNI_ARGS` names both the pod's namespace and name, else `cni`.
    public var identity: WorkloadIdentity {
        let arguments = environment.arguments
        var pod: WorkloadIdentity.PodReference?
        if let namespace = arguments.podNamespace, let name = arguments.podName {
            pod = WorkloadIdentity.PodReference(
                namespace: namespace, name: name, infraContainerID: arguments.podInfraContainerID)
        }
        return WorkloadIdentity(
            network: config.name, containerID: environment.containerID, interfaceName: environment.interfaceName,
            networkNamespace: environment.networkNamespace, node: node, pod: pod)
    }

    /// What IPAM is asked for: the config's `ipam` keys and the addresses requested through `runtimeConfig.ips`
    /// and `CNI_ARGS` `IP=` (in that order, duplicates dropped). The pod's annotations are the store's to read.
    public var addressRequest: AddressRequest {
        var requested: [IPAddress] = []
        for address in config.requestedAddresses + environment.arguments.requestedAddresses
        where !requested.contains(address) {
            requested.append(address)
        }
        return AddressRequest(
            assignIPv4: config.ipam.assignIPv4, assignIPv6: config.ipam.assignIPv6, ipv4Pools: config.ipam.ipv4Pools,
            ipv6Pools: config.ipam.ipv6Pools, requestedAddresses: requested)
    }

    /// For log lines: `ADD k8s-pod-network.3f69ab (pod ns/web)`.
    var subject: String {
        var text = "\(environment.command.rawValue) \(config.name).\(environment.containerID)"
        if let pod = identity.pod { text += " (pod \(pod.namespace)/\(pod.name))" }
        return text
    }
}
