import CalicoAPI
import NetworkAddress

/// The WorkloadEndpoint as Calico's CNI plugin writes it, from the workload's identity, its Pod (when the
/// datastore has one) and what the wiring made.
enum EndpointBuilder {
    static let namespaceLabel = "projectcalico.org/namespace"
    static let orchestratorLabel = "projectcalico.org/orchestrator"
    static let serviceAccountLabel = "projectcalico.org/serviceaccount"
    /// Calico adds the service-account label only below the label value limit.
    static let serviceAccountLabelLimit = 63

    static func endpoint(
        for identity: WorkloadIdentity, pod: Pod?, hostInterface: String, containerMAC: MACAddress, addresses: [CIDR]
    ) -> WorkloadEndpoint {
        var spec = WorkloadEndpointSpec()
        spec.orchestrator = identity.orchestrator
        spec.node = identity.node
        spec.containerID = identity.containerID
        spec.endpoint = identity.interfaceName
        spec.interfaceName = hostInterface
        spec.mac = containerMAC
        spec.ipNetworks = addresses.map { CIDR(host: $0.address) }
        spec.profiles = profiles(for: identity, pod: pod)
        if let reference = identity.pod {
            spec.pod = reference.name
            spec.serviceAccountName = serviceAccount(of: pod)
            let ports = namedPorts(of: pod)
            spec.ports = ports.isEmpty ? nil : ports
        }
        let metadata = ObjectMeta(
            name: WorkloadNames.endpointName(for: identity), namespace: WorkloadNames.endpointNamespace(for: identity),
            labels: labels(for: identity, pod: pod))
        return WorkloadEndpoint(metadata: metadata, spec: spec)
    }

    /// `kns.<namespace>`, then `ksa.<namespace>.<serviceaccount>` when the pod has a service account; for the
    /// `cni` orchestrator a profile named after the network, as Calico's plugin does.
    static func profiles(for identity: WorkloadIdentity, pod: Pod?) -> [String] {
        guard let reference = identity.pod else { return [identity.network] }
        var profiles = ["kns.\(reference.namespace)"]
        if let account = serviceAccount(of: pod) { profiles.append("ksa.\(reference.namespace).\(account)") }
        return profiles
    }

    /// The pod's labels, then Calico's own: namespace, orchestrator and (short enough) service account.
    static func labels(for identity: WorkloadIdentity, pod: Pod?) -> Labels {
        var labels = pod?.metadata.labels ?? [:]
        labels[namespaceLabel] = WorkloadNames.endpointNamespace(for: identity)
        labels[orchestratorLabel] = identity.orchestrator
        if let account = serviceAccount(of: pod), account.utf8.count < serviceAccountLabelLimit {
            labels[serviceAccountLabel] = account
        }
        return labels
    }

    /// The named ports of the pod's containers (init containers included); protocol TCP when none is given.
    static func namedPorts(of pod: Pod?) -> [EndpointPort] {
        (pod?.spec.namedPorts ?? []).compactMap { port in
            guard let name = port.name, !name.isEmpty else { return nil }
            return EndpointPort(name: name, protocol: .name(port.protocol ?? "TCP"), port: port.containerPort)
        }
    }

    private static func serviceAccount(of pod: Pod?) -> String? {
        guard let account = pod?.spec.serviceAccountName, !account.isEmpty else { return nil }
        return account
    }

    /// The profile Calico's plugin creates for a `cni`-orchestrated network when it does not exist: workloads
    /// of the network get its name as a label, may talk out, and accept traffic from the network's workloads.
    static func networkProfile(_ network: String) -> Profile {
        var spec = ProfileSpec()
        var inbound = Rule(action: .allow)
        var source = EntityRule()
        source.selector = "has(\(network))"
        inbound.source = source
        spec.ingress = [inbound]
        spec.egress = [Rule(action: .allow)]
        spec.labelsToApply = [network: ""]
        return Profile(name: network, spec: spec)
    }
}
