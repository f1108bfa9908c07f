import Glibc
import Netlink
import SystemError

extension WorkloadWiring {
    /// Removes the veth (and so its routes); succeeds when the interface or the namespace is already gone.
    /// `containerNamespace` may be empty.
    ///
    /// Deleting the host side takes the peer, the addresses and every route through either end with it. When the
    /// container's namespace is given and still exists, an interface of `containerInterface`'s name left there
    /// is deleted too, as Calico's plugin does. A host link of that name that is not a veth is not Tabby's and
    /// is left alone; a namespace path that is not a network namespace (or is the node's own) has nothing of the
    /// workload in it and is not touched.
    public func detach(hostInterface: String, containerNamespace: String, containerInterface: String) throws(CNIError) {
        if let reason = WorkloadInterfaceSpec.interfaceNameProblem(hostInterface) {
            throw CNIError(
                .dataplaneFailure, "invalid host interface name",
                details: "host interface \"\(hostInterface)\": \(reason)")
        }
        let node = try NodeNamespace(path: hostNamespacePath)
        let hostSocket = try step(
            "open a netlink socket in the node namespace", interface: hostInterface, call: "remove"
        ) {
            try node.socket()
        }
        try deleteLink(named: hostInterface, socket: hostSocket, onlyVeth: true, where: "the node namespace")
        guard !containerNamespace.isEmpty else { return }
        if let reason = WorkloadInterfaceSpec.interfaceNameProblem(containerInterface) {
            throw CNIError(
                .invalidEnvironment, "invalid CNI_IFNAME", details: "CNI_IFNAME \"\(containerInterface)\": \(reason)")
        }
        // Gone, or nothing of the workload's: nothing to do there.
        guard let container = try? NamespaceOpening.container(containerNamespace, node: node) else { return }
        let containerSocket = try step(
            "open a netlink socket in \(containerNamespace)", interface: hostInterface, call: "remove"
        ) {
            try RouteSocket(in: container)
        }
        try deleteLink(named: containerInterface, socket: containerSocket, onlyVeth: false, where: containerNamespace)
    }

    /// Deletes the link `name` if it exists; gone already (or meanwhile) is success.
    private func deleteLink(named name: String, socket: RouteSocket, onlyVeth: Bool, where place: String)
        throws(CNIError)
    {
        let lookup = "look up \(name) in \(place)"
        guard let link = try step(lookup, interface: name, call: "remove", { try socket.link(named: name) }) else {
            return
        }
        if onlyVeth && !link.isVeth { return }
        do {
            try socket.deleteLink(index: link.index)
        } catch  where error.errno == Errno(ENODEV) {
            return
        } catch {
            throw CNIError(
                .dataplaneFailure, "failed to remove workload interface \(name)",
                details: "delete \(name) in \(place): \(error)")
        }
    }
}
