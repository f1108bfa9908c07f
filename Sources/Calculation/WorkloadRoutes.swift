import CalicoAPI

extension DataplaneBuilder {
    /// For each of this node's WorkloadEndpoints whose interface exists: a `scope link` route per address, a
    /// permanent neighbour for its MAC, and the interface's sysctls. An interface that does not exist yet gets
    /// nothing: the CNI plugin creates it, and the route follows when the agent sees the link.
    mutating func addWorkloads() {
        guard let endpoints = state.workloadsByNode[nodeName] else { return }
        for (key, endpoint) in endpoints {
            let interface = endpoint.spec.interfaceName
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
            addWorkloadAddresses(endpoint, key: key, interface: interface)
            addWorkloadInterfaceSysctls(endpoint, interface: interface)
        }
    }

    private mutating func addWorkloadAddresses(_ endpoint: WorkloadEndpoint, key: ResourceKey, interface: String) {
        var mac: String?
        if let text = endpoint.spec.mac {
            mac = MACAddressText.normalized(text)
            if mac == nil {
                problem(key.description, "mac \"\(text)\" is not a MAC address; no neighbour entry for it")
            }
        }
        for text in endpoint.spec.ipNetworks ?? [] {
            guard let network = (try? CIDR(parsing: text)) ?? IPAddress(text).map({ CIDR(host: $0) }) else {
                problem(key.description, "ipNetworks entry \"\(text)\" is not an address")
                continue
            }
            guard network.prefixLength == network.address.bitWidth else {
                problem(key.description, "ipNetworks entry \(text) is not a single address (/32 or /128)")
                continue
            }
            if network.family == .v6 && !settings.ipv6Support { continue }
            add(
                DesiredRoute(
                    destination: network, target: .interface(interface), kind: .localWorkload,
                    routeProtocol: settings.deviceRouteProtocol))
            // Felix's route table writes static ARP entries for IPv4 only.
            if let mac, network.family == .v4 {
                result.neighbors.insert(DesiredNeighbor(interface: interface, address: network.address, mac: mac))
            }
        }
    }

    /// Felix's per-interface settings (`endpoint_mgr.go configureInterface`): proxy ARP answers the workload's
    /// ARP for its 169.254.1.1 gateway; route_localnet lets it reach node-local services.
    private mutating func addWorkloadInterfaceSysctls(_ endpoint: WorkloadEndpoint, interface: String) {
        let spoofingAllowed =
            settings.workloadSourceSpoofing == .any && !(endpoint.spec.allowSpoofedSourcePrefixes ?? []).isEmpty
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
