import Glibc
import Netlink
import NetworkAddress
import SystemError

extension WorkloadWiring {
    /// Calico's workload wiring (veth, MAC, MTU, container addresses and routes, sysctls, host routes). On failure
    /// removes what it created, then throws.
    ///
    /// A host interface of the same name left by an earlier attempt is deleted first (with its peer); a link of
    /// that name that is not a veth is someone else's and is left alone: the attach fails instead.
    public func attach(_ spec: WorkloadInterfaceSpec) throws(CNIError) -> WiredInterface {
        try spec.validate()
        let node = try NodeNamespace(path: hostNamespacePath)
        let container = try NamespaceOpening.container(spec.containerNamespace, node: node)
        let name = spec.hostInterface
        let hostSocket = try step("open a netlink socket in the node namespace", interface: name) {
            try node.socket()
        }
        let containerSocket = try step("open a netlink socket in \(spec.containerNamespace)", interface: name) {
            try RouteSocket(in: container)
        }
        try removeLeftover(spec, socket: hostSocket)
        let hostLink = try createPair(spec, hostSocket: hostSocket, containerSocket: containerSocket, in: container)
        do {
            return try configure(
                spec, hostLink: hostLink, node: node, hostSocket: hostSocket, container: container,
                containerSocket: containerSocket)
        } catch {
            // The peer, its addresses and every route through either end go with the host side.
            try? hostSocket.deleteLink(index: hostLink.index)
            throw error
        }
    }

    /// Deletes a veth of the host side's name left over from an earlier attempt of the same container.
    private func removeLeftover(_ spec: WorkloadInterfaceSpec, socket: RouteSocket) throws(CNIError) {
        let name = spec.hostInterface
        guard
            let existing = try step(
                "look up \(name) in the node namespace", interface: name, { try socket.link(named: name) })
        else { return }
        guard case .veth = existing.kind else {
            throw CNIError(
                .dataplaneFailure, "failed to wire workload interface \(name)",
                details:
                    "the node already has a link \(name) of kind \(existing.kind), not a workload veth; not removing it"
            )
        }
        do {
            try socket.deleteLink(index: existing.index)
        } catch  where error.errno == Errno(ENODEV) {
            // Gone meanwhile (its container's namespace went away).
        } catch {
            throw Self.failure("delete the leftover veth \(name)", interface: name, error)
        }
    }

    /// Creates the pair: the host side in the node namespace with Calico's MAC and the MTU, the peer directly in
    /// the container's namespace.
    private func createPair(
        _ spec: WorkloadInterfaceSpec, hostSocket: RouteSocket, containerSocket: RouteSocket,
        in container: NetworkNamespace
    ) throws(CNIError) -> Link {
        let name = spec.hostInterface
        let link = NewLink(
            name: name, kind: .veth(peerName: spec.containerInterface, peerNamespaceFD: container.fd),
            mtu: UInt32(spec.mtu), macAddress: WorkloadGateway.hostMAC)
        do {
            return try hostSocket.createLink(link)
        } catch  where error.errno == Errno(EEXIST) {
            if (try? containerSocket.link(named: spec.containerInterface)) != nil {
                throw CNIError(
                    .dataplaneFailure, "failed to wire workload interface \(name)",
                    details: "the container already has an interface \(spec.containerInterface) in "
                        + "\(spec.containerNamespace): \(error)")
            }
            throw Self.failure("create the veth pair \(name)/\(spec.containerInterface)", interface: name, error)
        } catch {
            throw Self.failure("create the veth pair \(name)/\(spec.containerInterface)", interface: name, error)
        }
    }

    /// Everything after the pair exists; any failure here makes `attach` delete the pair.
    private func configure(
        _ spec: WorkloadInterfaceSpec, hostLink: Link, node: NodeNamespace, hostSocket: RouteSocket,
        container: NetworkNamespace, containerSocket: RouteSocket
    ) throws(CNIError) -> WiredInterface {
        let name = spec.hostInterface
        let plan = WorkloadWiringPlan(spec: spec)
        let containerLink = try step(
            "look up \(spec.containerInterface) in \(spec.containerNamespace)", interface: name
        ) {
            try containerSocket.link(named: spec.containerInterface)
        }
        guard let containerLink, let containerMAC = containerLink.macAddress else {
            throw Self.failure(
                "look up \(spec.containerInterface) in \(spec.containerNamespace)", interface: name,
                WiringProblem("the veth peer is missing or has no MAC address"))
        }
        // Sysctls first: DAD must be off before the links go up, and proxy ARP on before traffic comes.
        try step("set the node's sysctls of \(name)", interface: name) {
            try node.perform { try plan.hostSysctls.write() }
        }
        try step("set sysctls in \(spec.containerNamespace)", interface: name) {
            try container.perform { try plan.containerSysctls.write() }
        }
        try applyBatch(
            plan.containerOperations(containerIndex: containerLink.index), socket: containerSocket,
            step: "configure \(spec.containerInterface) in \(spec.containerNamespace)", interface: name)
        try applyHostBatch(plan, hostIndex: hostLink.index, socket: hostSocket)
        return WiredInterface(
            hostInterface: name, hostIndex: hostLink.index, containerInterface: spec.containerInterface,
            containerIndex: containerLink.index, containerMAC: containerMAC)
    }

    private func applyBatch(
        _ operations: [NetlinkOperation], socket: RouteSocket, step what: String, interface: String
    ) throws(CNIError) {
        let failures = try step(what, interface: interface) { try socket.apply(operations) }
        guard !failures.isEmpty else { return }
        throw Self.failure(
            what, interface: interface, WiringProblem(failures.map(\.error.description).joined(separator: "; ")))
    }

    /// The host side up and its routes. A route that exists already is fine when it points to this interface
    /// (tabbyd may have added it first); through another interface it is a conflict, named in the error.
    private func applyHostBatch(_ plan: WorkloadWiringPlan, hostIndex: Int32, socket: RouteSocket) throws(CNIError) {
        let name = plan.spec.hostInterface
        let what = "configure \(name) in the node namespace"
        let failures = try step(what, interface: name) { try socket.apply(plan.hostOperations(hostIndex: hostIndex)) }
        var problems: [String] = []
        for failure in failures {
            guard case .addRoute(let route) = failure.operation, failure.error.errno == Errno(EEXIST) else {
                problems.append(failure.error.description)
                continue
            }
            let holders = try step("list the node's routes to \(route.destination)", interface: name) {
                try socket.routes(family: route.family, table: .main).filter {
                    $0.destination == route.destination.masked
                }
            }
            if holders.contains(where: { $0.outputInterface == hostIndex }) { continue }
            let others = holders.map { holder in
                guard let index = holder.outputInterface else { return holder.type.description }
                let link = (try? socket.link(index: index)) ?? nil
                return link?.name ?? "if\(index)"
            }
            problems.append(
                "route \(route.destination) already exists for an interface other than \(name): "
                    + "dev \(others.joined(separator: ", "))")
        }
        guard !problems.isEmpty else { return }
        throw Self.failure(what, interface: name, WiringProblem(problems.joined(separator: "; ")))
    }
}

extension [WiringSysctl] {
    /// Writes each in order (from a thread in the right namespace); a failed best-effort one is skipped.
    func write() throws(SysctlError) {
        let sysctl = Sysctl()
        for entry in self {
            do {
                try sysctl.write(entry.path, entry.value)
            } catch  where !entry.required {
                continue
            }
        }
    }
}

/// A failure found by the wiring itself rather than reported by a system call.
struct WiringProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
