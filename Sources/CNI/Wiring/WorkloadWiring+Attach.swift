import Glibc
import Netlink
import NetworkAddress
import SystemError

extension WorkloadWiring {
    /// Calico's workload wiring (veth, MAC, MTU, container addresses and routes, sysctls, host routes). On failure
    /// removes what it created, then throws.
    ///
    /// A host interface of the same name left by an earlier attempt is deleted first (with its peer); a link of
    /// that name that is not a veth is someone else's and is left alone: the attach fails instead. Everything
    /// inside the container happens on one thread that entered its namespace (creating a thread is the costly
    /// part of working in another namespace); the node's side is done from the calling thread.
    public func attach(_ spec: WorkloadInterfaceSpec) throws(CNIError) -> WiredInterface {
        try spec.validate()
        let node = try NodeNamespace(path: hostNamespacePath)
        let container = try NamespaceOpening.container(spec.containerNamespace, node: node)
        let name = spec.hostInterface
        let plan = WorkloadWiringPlan(spec: spec)
        let hostSocket = try step("open a netlink socket in the node namespace", interface: name) {
            try node.socket()
        }
        try removeLeftover(spec, socket: hostSocket)
        let containerLink = try wireContainerSide(plan, in: container, node: node)
        do throws(CNIError) {
            let hostLink = try step("look up \(name) in the node namespace", interface: name) {
                try hostSocket.link(named: name)
            }
            guard let hostLink, let containerMAC = containerLink.macAddress else {
                throw Self.failure(
                    "look up the veth pair", interface: name, WiringProblem("an end is missing or has no MAC address"))
            }
            // Before it goes up: DAD off for its link-local address, proxy ARP on before traffic comes.
            try step("set the node's sysctls of \(name)", interface: name) {
                try node.perform { try plan.hostSysctls.write() }
            }
            try applyHostBatch(plan, hostIndex: hostLink.index, socket: hostSocket)
            return WiredInterface(
                hostInterface: name, hostIndex: hostLink.index, containerInterface: spec.containerInterface,
                containerIndex: containerLink.index, containerMAC: containerMAC)
        } catch {
            removePair(plan, containerIndex: containerLink.index, hostSocket: hostSocket, container: container)
            throw error
        }
    }

    /// Deletes a veth of the host side's name left over from an earlier attempt of the same container.
    private func removeLeftover(_ spec: WorkloadInterfaceSpec, socket: RouteSocket) throws(CNIError) {
        let name = spec.hostInterface
        let existing = try step("look up \(name) in the node namespace", interface: name) {
            try socket.link(named: name)
        }
        guard let existing else { return }
        guard existing.isVeth else {
            throw CNIError(
                .dataplaneFailure, "failed to wire workload interface \(name)",
                details: "the node already has a link \(name) of kind \(existing.kind), not a workload veth; "
                    + "not removing it")
        }
        do {
            try socket.deleteLink(index: existing.index)
        } catch  where error.errno == Errno(ENODEV) {
            // Gone meanwhile (its container's namespace went away).
        } catch {
            throw Self.failure("delete the leftover veth \(name)", interface: name, error)
        }
    }

    /// The container side, on one thread inside the container's namespace: the pair (the container end here, the
    /// host end created directly in the node's namespace), the container's sysctls while its end is still down,
    /// then one batch with the links up, the addresses and the routes. Removes the pair when a step fails.
    private func wireContainerSide(_ plan: WorkloadWiringPlan, in container: NetworkNamespace, node: NodeNamespace)
        throws(CNIError) -> Link
    {
        let spec = plan.spec
        var outcome = Result<Link, CNIError>.failure(
            Self.failure("wire the container side", interface: spec.hostInterface, WiringProblem("did not run")))
        do {
            try container.perform { outcome = Self.wireInside(plan, nodeNamespaceFD: node.fd) }
        } catch {
            throw Self.failure("enter \(spec.containerNamespace)", interface: spec.hostInterface, error)
        }
        return try outcome.get()
    }

    /// Runs on a thread inside the container's namespace.
    private static func wireInside(_ plan: WorkloadWiringPlan, nodeNamespaceFD: Int32) -> Result<Link, CNIError> {
        let spec = plan.spec
        let name = spec.hostInterface
        let place = spec.containerNamespace
        let socket: RouteSocket
        do {
            socket = try RouteSocket()
        } catch {
            return .failure(failure("open a netlink socket in \(place)", interface: name, error))
        }
        let pair = NewLink(
            name: spec.containerInterface, kind: .veth(peerName: name, peerNamespaceFD: nodeNamespaceFD),
            mtu: UInt32(spec.mtu))
        let link: Link
        do {
            link = try socket.createLink(pair)
        } catch  where error.errno == Errno(EEXIST) && (try? socket.link(named: spec.containerInterface)) != nil {
            return .failure(
                CNIError(
                    .dataplaneFailure, "failed to wire workload interface \(name)",
                    details: "the container already has an interface \(spec.containerInterface) in \(place): \(error)"))
        } catch {
            return .failure(failure("create the veth pair \(name)/\(spec.containerInterface)", interface: name, error))
        }
        var step = "set sysctls in \(place)"
        do {
            try plan.containerSysctls.write()
            step = "configure \(spec.containerInterface) in \(place)"
            let failures = try socket.apply(plan.containerOperations(containerIndex: link.index))
            guard failures.isEmpty else {
                throw WiringProblem(failures.map(\.error.description).joined(separator: "; "))
            }
            return .success(link)
        } catch {
            // The peer, the addresses and the routes go with it.
            try? socket.deleteLink(index: link.index)
            return .failure(failure(step, interface: name, error))
        }
    }

    /// Removes the pair after a failure on the node's side: by its host end when that is found, else by its
    /// container end (from a thread inside the container).
    private func removePair(
        _ plan: WorkloadWiringPlan, containerIndex: Int32, hostSocket: RouteSocket, container: NetworkNamespace
    ) {
        if let host = (try? hostSocket.link(named: plan.spec.hostInterface)) ?? nil, host.isVeth,
            (try? hostSocket.deleteLink(index: host.index)) != nil
        {
            return
        }
        _ = try? container.perform { try RouteSocket().deleteLink(index: containerIndex) }
    }

    /// The host side's MAC, MTU and up state, its link-local address and its routes. A route that exists already
    /// is fine when it points to this interface (tabbyd may have added it first); through another interface it
    /// is a conflict, named in the error.
    private func applyHostBatch(_ plan: WorkloadWiringPlan, hostIndex: Int32, socket: RouteSocket) throws(CNIError) {
        let name = plan.spec.hostInterface
        let what = "configure \(name) in the node namespace"
        let failures = try step(what, interface: name) { try socket.apply(plan.hostOperations(hostIndex: hostIndex)) }
        var problems: [String] = []
        for failure in failures {
            // The kernel's own link-local address came first: the same address.
            if case .addAddress = failure.operation, failure.error.errno == Errno(EEXIST) { continue }
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

/// A failure found by the wiring itself rather than reported by a system call.
struct WiringProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
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
