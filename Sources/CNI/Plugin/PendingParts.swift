// Placeholders with the exact contract signatures of the parts cni-store (Sources/CNI/Store) and cni-wire
// (Sources/CNI/Wiring) build in parallel, so this branch builds before they are merged. This file is removed when
// both are on main; nothing here is meant to work.
import CalicoAPI
import Datastore
import NetworkAddress

private let notMerged = CNIError(.ioFailure, "not merged yet")

public enum WorkloadNames {
    public static func hostInterfaceName(for identity: WorkloadIdentity, prefix: String = "cali") -> String {
        fatalError("not merged yet")
    }
    public static func endpointName(for identity: WorkloadIdentity) -> String { fatalError("not merged yet") }
    public static func handle(for identity: WorkloadIdentity) -> String { fatalError("not merged yet") }
}

public struct AddressRequest: Sendable, Equatable {
    public var assignIPv4: Bool
    public var assignIPv6: Bool
    public var ipv4Pools: [String]
    public var ipv6Pools: [String]
    public var requestedAddresses: [IPAddress]
    public init(
        assignIPv4: Bool = true, assignIPv6: Bool = false, ipv4Pools: [String] = [], ipv6Pools: [String] = [],
        requestedAddresses: [IPAddress] = []
    ) {
        self.assignIPv4 = assignIPv4
        self.assignIPv6 = assignIPv6
        self.ipv4Pools = ipv4Pools
        self.ipv6Pools = ipv6Pools
        self.requestedAddresses = requestedAddresses
    }
}

public struct WorkloadStore: Sendable {
    public init(datastore: any Datastore) {}
    public func pod(for identity: WorkloadIdentity) async throws(CNIError) -> Pod? { throw notMerged }
    public func assignAddresses(for identity: WorkloadIdentity, pod: Pod?, request: AddressRequest)
        async throws(CNIError) -> [CIDR]
    { throw notMerged }
    public func releaseAddresses(for identity: WorkloadIdentity) async throws(CNIError) { throw notMerged }
    public func writeEndpoint(
        for identity: WorkloadIdentity, pod: Pod?, hostInterface: String, containerMAC: MACAddress, addresses: [CIDR]
    ) async throws(CNIError) -> WorkloadEndpoint { throw notMerged }
    public func deleteEndpoint(for identity: WorkloadIdentity) async throws(CNIError) { throw notMerged }
    public func endpoint(for identity: WorkloadIdentity) async throws(CNIError) -> WorkloadEndpoint? {
        throw notMerged
    }
    public func garbageCollect(network: String, node: String, validContainerIDs: Set<String>)
        async throws(CNIError) -> [String]
    { throw notMerged }
}

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
