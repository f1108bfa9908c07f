import Dataplane
import NetworkAddress

/// Why the node's address of a family could not be determined.
struct NodeAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    var reason: String

    init(_ reason: String) { self.reason = reason }

    var description: String { reason }
}

/// A node address and the interface it was found on.
struct ResolvedNodeAddress: Sendable, Equatable, CustomStringConvertible {
    /// With its subnet, as a Node's `spec.bgp.ipv4Address`/`ipv6Address` holds it.
    var address: CIDR
    /// The interface holding it; nil for an address written with its subnet (taken as written).
    var interfaceName: String?

    var description: String { interfaceName.map { "\(address) on \($0)" } ?? address.description }
}

/// calico-node's node-address rules (node/pkg/lifecycle/startup and its autodetection package), over the
/// interfaces and addresses the kernel reports.
enum NodeAddressDetection {
    /// The node's address of `family` as `setting` asks; nil for `none`.
    static func resolve(
        _ setting: NodeAddressSetting, method: AutodetectionMethod, family: IPFamily,
        interfaces: [HostInterface], routes: (any RouteSourceLookup)?
    ) throws(NodeAddressError) -> ResolvedNodeAddress? {
        switch setting {
        case .none:
            return nil
        case .network(let cidr):
            return ResolvedNodeAddress(address: cidr, interfaceName: nil)
        case .address(let address):
            guard let found = holding(address, in: interfaces) else {
                throw NodeAddressError(
                    "no interface holds \(address), so its subnet is unknown; add it to an interface or write it "
                        + "with its subnet (like \(address)/\(family == .v4 ? 24 : 64))")
            }
            return found
        case .autodetect:
            return try detect(method, family: family, interfaces: interfaces, routes: routes)
        }
    }

    /// Autodetects an address of `family` by `method`.
    static func detect(
        _ method: AutodetectionMethod, family: IPFamily, interfaces: [HostInterface],
        routes: (any RouteSourceLookup)?
    ) throws(NodeAddressError) -> ResolvedNodeAddress {
        let skipped = AutodetectionMethod.defaultSkippedInterfaces
        switch method {
        case .firstFound:
            return try first(in: interfaces, family: family, what: "on an interface calico-node does not skip") {
                !InterfaceNamePatterns.matches($0.name, any: skipped)
            } accept: { _ in
                true
            }
        case .interface(let patterns):
            return try first(in: interfaces, family: family, what: "on an interface matching \(method)") {
                InterfaceNamePatterns.matches($0.name, any: patterns)
            } accept: { _ in
                true
            }
        case .skipInterface(let patterns):
            return try first(in: interfaces, family: family, what: "on an interface not matching \(method)") {
                !InterfaceNamePatterns.matches($0.name, any: skipped + patterns)
            } accept: { _ in
                true
            }
        case .cidr(let networks):
            return try first(
                in: interfaces, family: family, what: "inside \(method)", include: { _ in true },
                accept: { address in networks.contains { $0.contains(address) } })
        case .canReach(let destination):
            guard let routes else { throw NodeAddressError("\(method): this kernel cannot look up routes") }
            let source = try routes.sourceAddress(toward: destination)
            guard let found = holding(source, in: interfaces) else {
                throw NodeAddressError(
                    "\(method): the route to \(destination) uses \(source), which no interface holds")
            }
            return found
        }
    }

    /// The first global unicast address (that `accept` takes) on the first interface `include` takes.
    private static func first(
        in interfaces: [HostInterface], family: IPFamily, what: String,
        include: (HostInterface) -> Bool, accept: (IPAddress) -> Bool
    ) throws(NodeAddressError) -> ResolvedNodeAddress {
        for interface in interfaces where include(interface) {
            if let cidr = interface.addresses.first(where: { $0.address.isGlobalUnicast && accept($0.address) }) {
                return ResolvedNodeAddress(address: cidr, interfaceName: interface.name)
            }
        }
        throw NodeAddressError("no global IPv\(family.rawValue) address \(what)")
    }

    /// The interface address equal to `address`, with its subnet; on any interface, skipped ones included.
    static func holding(_ address: IPAddress, in interfaces: [HostInterface]) -> ResolvedNodeAddress? {
        for interface in interfaces {
            if let cidr = interface.addresses.first(where: { $0.address == address }) {
                return ResolvedNodeAddress(address: cidr, interfaceName: interface.name)
            }
        }
        return nil
    }
}
