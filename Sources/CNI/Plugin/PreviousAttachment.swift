import CalicoAPI
import NetworkAddress

/// What CHECK expects, read from `prevResult` (the final result of the ADD): the host veth, the container
/// interface in its sandbox, and the addresses on it. Later plugins in the chain may have added interfaces,
/// addresses and routes, or changed the container's MAC (`tuning`); those are allowed for.
struct PreviousAttachment: Sendable, Equatable {
    var hostInterface: String
    var containerInterface: String
    /// As `prevResult` has it, when it has one.
    var containerMAC: MACAddress?
    /// The container interface's addresses as /32 and /128, sorted.
    var addresses: [CIDR]

    init(_ previous: CNIResult, hostInterface: String, containerInterface: String, sandbox: String) throws(CNIError) {
        guard previous.interfaces.contains(where: { $0.name == hostInterface && ($0.sandbox ?? "").isEmpty }) else {
            throw CNIError(
                .checkFailed, "prevResult does not list the host interface",
                details: "prevResult.interfaces has no host interface \(hostInterface)")
        }
        guard
            let index = previous.interfaces.firstIndex(where: {
                $0.name == containerInterface && $0.sandbox == sandbox
            })
        else {
            throw CNIError(
                .checkFailed, "prevResult does not list the container interface",
                details: "prevResult.interfaces has no interface \(containerInterface) with sandbox \(sandbox)")
        }
        var mac: MACAddress?
        if let text = previous.interfaces[index].mac {
            guard let parsed = MACAddress(text) else {
                throw CNIError(
                    .decodingFailure, "cannot decode prevResult",
                    details: "prevResult.interfaces[\(index)].mac \"\(text)\" is not a MAC address")
            }
            mac = parsed
        }
        let addresses = previous.ips.filter { $0.interface == index }.map { CIDR(host: $0.address.address) }.sorted()
        guard !addresses.isEmpty else {
            throw CNIError(
                .checkFailed, "prevResult has no address on the container interface",
                details: "no prevResult.ips entry names interface \(index) (\(containerInterface))")
        }
        self.hostInterface = hostInterface
        self.containerInterface = containerInterface
        containerMAC = mac
        self.addresses = addresses
    }

    /// The stored endpoint is this attachment's: same container, host interface and addresses.
    func agrees(with endpoint: WorkloadEndpoint, containerID: String) throws(CNIError) {
        let spec = endpoint.spec
        if let stored = spec.containerID, stored != containerID {
            throw mismatch(
                "WorkloadEndpoint \(endpoint.metadata.name) belongs to container \(stored), not \(containerID)")
        }
        if spec.interfaceName != hostInterface {
            throw mismatch(
                "WorkloadEndpoint \(endpoint.metadata.name) names interface \(spec.interfaceName), not \(hostInterface)"
            )
        }
        let stored = (spec.ipNetworks ?? []).sorted()
        if stored != addresses {
            throw mismatch(
                "WorkloadEndpoint \(endpoint.metadata.name) has ipNetworks [\(list(stored))], prevResult has "
                    + "[\(list(addresses))]")
        }
    }

    /// The kernel's interfaces are those of `prevResult`.
    func agrees(with wired: WiredInterface) throws(CNIError) {
        if let containerMAC, containerMAC != wired.containerMAC {
            throw mismatch(
                "\(containerInterface) has MAC \(wired.containerMAC), prevResult says \(containerMAC)")
        }
    }

    private func mismatch(_ details: String) -> CNIError {
        CNIError(.checkFailed, "the workload is not as ADD left it", details: details)
    }

    private func list(_ cidrs: [CIDR]) -> String { cidrs.map(\.description).joined(separator: ", ") }
}
