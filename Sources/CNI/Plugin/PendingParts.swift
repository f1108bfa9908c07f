// Placeholders with the exact contract signatures of the part cni-wire (Sources/CNI/Wiring) builds in parallel, so
// this branch builds before it is merged (cni-store's part is merged). This file is removed when cni-wire's part is
// on main; nothing here is meant to work.
import CalicoAPI
import Datastore
import NetworkAddress

private let notMerged = CNIError(.ioFailure, "not merged yet")

public struct WorkloadInterfaceSpec: Sendable, Equatable {
    public var hostInterface: String
    public var containerInterface: String
    public var containerNamespace: String
    public var mtu: Int
    public var addresses: [CIDR]
    public var allowIPForwarding: Bool
    public init(
        hostInterface: String, containerInterface: String, containerNamespace: String, mtu: Int, addresses: [CIDR],
        allowIPForwarding: Bool = false
    ) {
        self.allowIPForwarding = allowIPForwarding
        self.hostInterface = hostInterface
        self.containerInterface = containerInterface
        self.containerNamespace = containerNamespace
        self.mtu = mtu
        self.addresses = addresses
    }
}

public struct WiredInterface: Sendable, Equatable {
    public var hostInterface: String
    public var hostIndex: Int32
    public var containerInterface: String
    public var containerIndex: Int32
    public var containerMAC: MACAddress
    public var hostMAC: MACAddress
}

public struct WorkloadWiring: Sendable {
    public init(hostNamespacePath: String? = nil) {}
    public func attach(_ spec: WorkloadInterfaceSpec) throws(CNIError) -> WiredInterface { throw notMerged }
    public func detach(hostInterface: String, containerNamespace: String, containerInterface: String) throws(CNIError) {
        throw notMerged
    }
    public func check(_ spec: WorkloadInterfaceSpec) throws(CNIError) -> WiredInterface { throw notMerged }
}
