import Netlink
import NetworkAddress

extension WorkloadWiring {
    /// CHECK: the interfaces, addresses, routes and sysctls are as attach left them; throws naming what differs.
    public func check(_ spec: WorkloadInterfaceSpec) throws(CNIError) -> WiredInterface {
        try spec.validate()
        let node = try NodeNamespace(path: hostNamespacePath)
        let container = try NamespaceOpening.container(spec.containerNamespace, node: node)
        let name = spec.hostInterface
        let hostSocket = try step("open a netlink socket in the node namespace", interface: name, call: "check") {
            try node.socket()
        }
        let containerSocket = try step(
            "open a netlink socket in \(spec.containerNamespace)", interface: name, call: "check"
        ) {
            try RouteSocket(in: container)
        }
        let hostLink = try step("look up \(name)", interface: name, call: "check") { try hostSocket.link(named: name) }
        let containerLink = try step("look up \(spec.containerInterface)", interface: name, call: "check") {
            try containerSocket.link(named: spec.containerInterface)
        }
        var comparison = WiringComparison(spec: spec)
        comparison.compareLinks(host: hostLink, container: containerLink)
        if let containerLink {
            let loopback = try step("look up lo", interface: name, call: "check") {
                try containerSocket.link(index: WorkloadWiringPlan.loopbackIndex)
            }
            if loopback?.isUp != true { comparison.differences.append("lo is not up in the container") }
            let addresses = try step("list the addresses of \(spec.containerInterface)", interface: name, call: "check")
            {
                try containerSocket.addresses(interfaceIndex: containerLink.index)
            }
            comparison.compareAddresses(addresses.map(\.prefix))
            let routes = try step("list the container's routes", interface: name, call: "check") {
                try Self.routes(of: spec, through: containerLink.index, socket: containerSocket)
            }
            comparison.compareContainerRoutes(routes, containerIndex: containerLink.index)
            let sysctls = try step("read sysctls in \(spec.containerNamespace)", interface: name, call: "check") {
                try container.perform { comparison.plan.containerSysctls.read() }
            }
            comparison.compareSysctls(sysctls, side: "container")
        }
        if let hostLink {
            if let linkLocal = comparison.plan.hostLinkLocal(hostIndex: hostLink.index) {
                let addresses = try step("list the addresses of \(name)", interface: name, call: "check") {
                    try hostSocket.addresses(family: .v6, interfaceIndex: hostLink.index)
                }
                comparison.compareHostLinkLocal(addresses.map(\.prefix), expected: linkLocal.prefix)
            }
            let routes = try step("list the node's routes through \(name)", interface: name, call: "check") {
                try Self.routes(of: spec, through: hostLink.index, socket: hostSocket)
            }
            comparison.compareHostRoutes(routes, hostIndex: hostLink.index)
            let sysctls = try step("read the node's sysctls of \(name)", interface: name, call: "check") {
                try node.perform { comparison.plan.hostSysctls.filter(\.required).read() }
            }
            comparison.compareSysctls(sysctls, side: "node")
        }
        guard comparison.differences.isEmpty, let hostLink, let containerLink, let mac = containerLink.macAddress else {
            throw CNIError(
                .dataplaneFailure, "workload interface \(name) is not as attach left it",
                details: comparison.differences.joined(separator: "; "))
        }
        return WiredInterface(
            hostInterface: name, hostIndex: hostLink.index, containerInterface: spec.containerInterface,
            containerIndex: containerLink.index, containerMAC: mac)
    }

    /// The main-table routes through one interface, of the families the workload has.
    private static func routes(of spec: WorkloadInterfaceSpec, through index: Int32, socket: RouteSocket)
        throws(NetlinkError) -> [Route]
    {
        var routes: [Route] = []
        if spec.hasIPv4 { routes += try socket.routes(family: .v4, table: .main, outputInterface: index) }
        if spec.hasIPv6 { routes += try socket.routes(family: .v6, table: .main, outputInterface: index) }
        return routes
    }
}

extension [WiringSysctl] {
    /// The current value of each (from a thread in the right namespace); nil where it cannot be read.
    func read() -> [(WiringSysctl, String?)] {
        let sysctl = Sysctl()
        return map { ($0, try? sysctl.read($0.path)) }
    }
}
