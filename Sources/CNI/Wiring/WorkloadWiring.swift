import Netlink

/// Calico's workload wiring over netlink (calico-reference.md 4.4): a veth pair made inside the container's
/// namespace with its host end created directly in the node's, Calico's fixed gateway and MAC, the workload's
/// addresses and routes on both sides, and the sysctls Calico's plugin sets. `attach` builds it,
/// `check` compares the kernel with it, `detach` removes it.
///
/// Every call opens its own sockets; the struct holds only paths, so it can be used from any thread.
public struct WorkloadWiring: Sendable {
    /// The node's namespace; nil is the calling thread's own.
    public let hostNamespacePath: String?

    /// `hostNamespacePath`: nil = the calling process's own namespace (the node); tests pass a node namespace they
    /// created.
    public init(hostNamespacePath: String? = nil) {
        self.hostNamespacePath = hostNamespacePath
    }

    /// Runs one step of a wiring call; any failure becomes `CNIError(.dataplaneFailure)` whose details name the
    /// step and carry the kernel's errno and text. `call` says which: "wire", "check" or "remove".
    func step<T>(
        _ what: @autoclosure () -> String, interface: String, call: String = "wire", _ body: () throws -> T
    ) throws(CNIError) -> T {
        do {
            return try body()
        } catch let error as CNIError {
            throw error
        } catch {
            throw WorkloadWiring.failure(what(), interface: interface, call: call, error)
        }
    }

    /// "failed to wire workload interface cali...", with the step and its error as details.
    static func failure(_ what: String, interface: String, call: String = "wire", _ error: any Error) -> CNIError {
        CNIError(
            .dataplaneFailure, "failed to \(call) workload interface \(interface)", details: "\(what): \(error)")
    }
}

extension Link {
    /// Whether the link is a veth, the only kind the wiring creates or removes on the node.
    var isVeth: Bool {
        if case .veth = kind { return true }
        return false
    }
}
