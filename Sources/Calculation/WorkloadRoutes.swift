import CalicoAPI
import ResourceCache

extension DataplaneBuilder {
    /// For each of this node's WorkloadEndpoints whose interface exists: a `scope link` route per address, a
    /// permanent neighbour for its MAC, and the interface's sysctls. An interface that does not exist yet gets
    /// nothing: the CNI plugin creates it, and the route follows when the agent sees the link.
    mutating func addWorkloads() {
        guard let endpoints = cache.workloadsByNode[nodeName] else { return }
        for (key, endpoint) in endpoints {
            for reason in endpoint.problems { problem(key.description, reason) }
            let interface = endpoint.interface
            guard !interface.isEmpty else {
                problem(key.description, "has no interfaceName; no route can point to it")
                continue
            }
            guard settings.isWorkloadInterface(interface) else {
                let prefixes = settings.interfacePrefixes.joined(separator: ", ")
                problem(key.description, "interface \(interface) does not start with an interface prefix (\(prefixes))")
                continue
            }
            guard environment.interfaces.contains(interface) else { continue }
            addWorkloadAddresses(endpoint)
            addWorkloadInterfaceSysctls(endpoint)
        }
    }

    private mutating func addWorkloadAddresses(_ endpoint: WorkloadRecord) {
        for address in endpoint.addresses {
            if address.family == .v6 && !settings.ipv6Support { continue }
            add(
                DesiredRoute(
                    destination: address, target: .interface(endpoint.interface), kind: .localWorkload,
                    routeProtocol: settings.deviceRouteProtocol))
            // Felix's route table writes static ARP entries for IPv4 only.
            if let mac = endpoint.mac, address.family == .v4 {
                result.neighbors.insert(
                    DesiredNeighbor(interface: endpoint.interface, address: address.address, mac: mac))
            }
        }
    }

    /// Felix's per-interface settings (`endpoint_mgr.go configureInterface`): proxy ARP answers the workload's
    /// ARP for its 169.254.1.1 gateway; route_localnet lets it reach node-local services.
    private mutating func addWorkloadInterfaceSysctls(_ endpoint: WorkloadRecord) {
        let interface = endpoint.interface
        let spoofingAllowed = settings.workloadSourceSpoofing == .any && endpoint.listsSpoofedSources
        result.sysctls["net/ipv4/conf/\(interface)/proxy_arp"] = "1"
        result.sysctls["net/ipv4/neigh/\(interface)/proxy_delay"] = "0"
        result.sysctls["net/ipv4/conf/\(interface)/forwarding"] = "1"
        result.sysctls["net/ipv4/conf/\(interface)/route_localnet"] = "1"
        result.sysctls["net/ipv4/conf/\(interface)/rp_filter"] = spoofingAllowed ? "0" : "1"
        if settings.ipv6Support {
            result.sysctls["net/ipv6/conf/\(interface)/accept_ra"] = "0"
            result.sysctls["net/ipv6/conf/\(interface)/proxy_ndp"] = "1"
            result.sysctls["net/ipv6/conf/\(interface)/forwarding"] = "1"
        }
    }
}
