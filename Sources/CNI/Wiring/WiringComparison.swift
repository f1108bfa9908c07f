import Netlink
import NetworkAddress

/// CHECK's comparison of what the kernel has with the wiring plan, collecting every difference in words.
struct WiringComparison {
    let spec: WorkloadInterfaceSpec
    let plan: WorkloadWiringPlan
    var differences: [String] = []

    init(spec: WorkloadInterfaceSpec) {
        self.spec = spec
        plan = WorkloadWiringPlan(spec: spec)
    }

    mutating func compareLinks(host: Link?, container: Link?) {
        let hostName = spec.hostInterface
        let containerName = spec.containerInterface
        if let host {
            compareLink(host, side: "host interface")
            if host.macAddress != WorkloadGateway.hostMAC {
                let mac = host.macAddress?.description ?? "none"
                differences.append("host interface \(hostName) has MAC \(mac), not \(WorkloadGateway.hostMAC)")
            }
        } else {
            differences.append("host interface \(hostName) does not exist in the node namespace")
        }
        if let container {
            compareLink(container, side: "container interface")
        } else {
            differences.append("container interface \(containerName) does not exist in \(spec.containerNamespace)")
        }
        // Each end's IFLA_LINK is its peer's index in the peer's namespace; the kernel leaves it out when that
        // index is the link's own (both ends index 2 in two fresh namespaces), so no IFLA_LINK means "same index".
        if let host, let container,
            (host.parentIndex ?? host.index) != container.index
                || (container.parentIndex ?? container.index) != host.index
        {
            differences.append("\(hostName) and \(containerName) are not the two ends of one veth")
        }
    }

    private mutating func compareLink(_ link: Link, side: String) {
        if !link.isVeth { differences.append("\(side) \(link.name) is a \(link.kind), not a veth") }
        if link.mtu != UInt32(spec.mtu) {
            differences.append("\(side) \(link.name) has MTU \(link.mtu), not \(spec.mtu)")
        }
        if !link.isUp { differences.append("\(side) \(link.name) is not up") }
    }

    /// The workload's addresses, and no other global address, on the container interface.
    mutating func compareAddresses(_ actual: [CIDR]) {
        let present = Set(actual)
        for address in spec.addresses where !present.contains(address) {
            differences.append("\(spec.containerInterface) lacks address \(address)")
        }
        let expected = Set(spec.addresses)
        for address in actual where !expected.contains(address) && !Self.isIPv6LinkLocal(address.address) {
            differences.append("\(spec.containerInterface) has unexpected address \(address)")
        }
    }

    mutating func compareHostLinkLocal(_ actual: [CIDR], expected: CIDR) {
        if !actual.contains(expected) {
            differences.append("host interface \(spec.hostInterface) lacks its link-local gateway address \(expected)")
        }
    }

    mutating func compareContainerRoutes(_ actual: [Route], containerIndex: Int32) {
        for route in plan.containerRoutes(containerIndex: containerIndex)
        where !actual.contains(where: { matches($0, route) }) {
            differences.append("the container lacks route \(describe(route, interface: spec.containerInterface))")
        }
    }

    mutating func compareHostRoutes(_ actual: [Route], hostIndex: Int32) {
        for route in plan.hostRoutes(hostIndex: hostIndex) where !actual.contains(where: { matches($0, route) }) {
            differences.append("the node lacks route \(describe(route, interface: spec.hostInterface))")
        }
    }

    mutating func compareSysctls(_ values: [(WiringSysctl, String?)], side: String) {
        for (sysctl, value) in values where value != sysctl.value {
            differences.append("\(side) sysctl \(sysctl.path) is \(value ?? "unreadable"), not \(sysctl.value)")
        }
    }

    /// Same destination, next hop and device; for IPv4 the same scope (IPv6 routes carry none).
    private func matches(_ actual: Route, _ expected: Route) -> Bool {
        actual.destination == expected.destination.masked && actual.gateway == expected.gateway
            && actual.outputInterface == expected.outputInterface && actual.type == expected.type
            && (expected.family == .v6 || actual.scope == expected.scope)
    }

    private func describe(_ route: Route, interface: String) -> String {
        var text = route.destination.prefixLength == 0 ? "default" : route.destination.description
        if let gateway = route.gateway { text += " via \(gateway)" }
        text += " dev \(interface)"
        if route.family == .v4 && route.scope == .link { text += " scope link" }
        return text
    }

    static func isIPv6LinkLocal(_ address: IPAddress) -> Bool {
        guard case .v6(let v6) = address else { return false }
        return v6.high >> 54 == 0x3fa
    }
}
