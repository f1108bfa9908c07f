import Glibc
import Netlink
import NetworkAddress
import SystemError

// The fake kernel's rtnetlink semantics, one operation at a time.

extension FakeKernel {
    func perform(_ operation: NetlinkOperation) throws(NetlinkError) {
        let text = operation.describe(interfaceName: name)
        func fail(_ code: Int32, _ message: String? = nil) -> NetlinkError {
            NetlinkError(Errno(code), message: message, operation: text)
        }
        switch operation {
        case .createLink(let newLink): try createLink(newLink, fail)
        case .changeLink(let index, let change):
            guard var link = state.links[index] else { throw fail(ENODEV) }
            if let newName = change.name {
                if state.links.values.contains(where: { $0.name == newName && $0.index != index }) {
                    throw fail(EEXIST)
                }
                link.name = newName
            }
            if let mtu = change.mtu { link.mtu = mtu }
            if let mac = change.macAddress { link.macAddress = mac }
            if let isUp = change.isUp {
                let wasUp = link.isUp
                link.flags = isUp ? link.flags | 0x1 | 0x1_0000 : link.flags & ~UInt32(0x1 | 0x1_0000)
                // Like IPv4: the routes of a device that goes down are flushed without notifications.
                if wasUp, !isUp { state.routes.removeAll { $0.outputInterface == index } }
            }
            state.links[index] = link
            notify(.link(.new, link))
        case .moveLink: throw fail(EOPNOTSUPP, "namespaces are not modelled")
        case .deleteLink(let index):
            guard state.links[index] != nil else { throw fail(ENODEV) }
            removeLink(index)

        case .addAddress(let address):
            guard state.links[address.interfaceIndex] != nil else { throw fail(ENODEV) }
            guard !state.addresses.contains(where: { $0.sameAddress(as: address) }) else { throw fail(EEXIST) }
            state.addresses.append(address)
            notify(.address(.new, address))
        case .deleteAddress(let address):
            guard let position = state.addresses.firstIndex(where: { $0.sameAddress(as: address) }) else {
                throw fail(EADDRNOTAVAIL)
            }
            notify(.address(.deleted, state.addresses.remove(at: position)))

        case .addRoute(let route), .replaceRoute(let route):
            let stored = try validated(route, fail)
            let existing = state.routes.firstIndex { $0.sameKey(as: stored) }
            if case .addRoute = operation, let existing, state.routes[existing].conflicts(with: stored) {
                throw fail(EEXIST)
            }
            if case .replaceRoute = operation, let existing {
                state.routes[existing] = stored
            } else {
                state.routes.append(stored)
            }
            notify(.route(.new, stored))
        case .deleteRoute(let route):
            guard let position = state.routes.firstIndex(where: { $0.matchesDeletion(route) }) else {
                throw fail(ESRCH)
            }
            notify(.route(.deleted, state.routes.remove(at: position)))

        case .addNeighbor(let neighbor), .replaceNeighbor(let neighbor):
            guard state.links[neighbor.interfaceIndex] != nil else { throw fail(ENODEV) }
            let existing = state.neighbors.firstIndex { $0.sameKey(as: neighbor) }
            if case .addNeighbor = operation, existing != nil { throw fail(EEXIST) }
            if let existing { state.neighbors[existing] = neighbor } else { state.neighbors.append(neighbor) }
            notify(.neighbor(.new, neighbor))
        case .deleteNeighbor(let neighbor):
            guard let position = state.neighbors.firstIndex(where: { $0.sameKey(as: neighbor) }) else {
                throw fail(ENOENT)
            }
            notify(.neighbor(.deleted, state.neighbors.remove(at: position)))

        case .addFDB(let entry), .replaceFDB(let entry), .appendFDB(let entry):
            guard state.links[entry.interfaceIndex] != nil else { throw fail(ENODEV) }
            let sameMAC = state.fdb.firstIndex {
                $0.interfaceIndex == entry.interfaceIndex && $0.macAddress == entry.macAddress
            }
            switch (operation, sameMAC) {
            case (.addFDB, .some): throw fail(EEXIST)
            case (.replaceFDB, .some(let position)):
                // A VXLAN device's replace changes the MAC's first remote.
                state.fdb[position] = entry
            default:
                if state.fdb.contains(where: { FDBKey($0) == FDBKey(entry) }) { throw fail(EEXIST) }
                state.fdb.append(entry)
            }
            notify(.fdb(.new, entry))
        case .deleteFDB(let entry):
            guard
                let position = state.fdb.firstIndex(where: {
                    $0.interfaceIndex == entry.interfaceIndex && $0.macAddress == entry.macAddress
                        && (entry.destination == nil || $0.destination == entry.destination)
                })
            else { throw fail(ENOENT) }
            notify(.fdb(.deleted, state.fdb.remove(at: position)))
        }
    }

    private func createLink(_ newLink: NewLink, _ fail: (Int32, String?) -> NetlinkError) throws(NetlinkError) {
        guard !state.links.values.contains(where: { $0.name == newLink.name }) else { throw fail(EEXIST, nil) }
        let kind: LinkKind
        var mac: MACAddress?
        switch newLink.kind {
        case .veth:
            kind = .veth
            mac = newLink.macAddress ?? allocateMAC()
        case .vxlan(let attributes):
            guard attributes.vni < 1 << 24 else { throw fail(ERANGE, "VXLAN ID must be lower than 16777216") }
            if let parent = attributes.parentIndex, state.links[parent] == nil { throw fail(ENODEV, nil) }
            kind = .vxlan(attributes)
            mac = newLink.macAddress ?? allocateMAC()
        case .ipip(let attributes):
            // Tunnels have no Ethernet address.
            guard ipipSupported else { throw fail(EOPNOTSUPP, "Unknown device type") }
            kind = .ipip(attributes)
        }
        let link = Link(
            index: allocateIndex(), name: newLink.name, kind: kind, mtu: newLink.mtu ?? 1500, macAddress: mac,
            flags: newLink.isUp ? 0x1 | 0x1_0000 : 0)
        state.links[link.index] = link
        notify(.link(.new, link))
    }

    /// Removes a link and what goes with it: addresses and neighbours (notified), FDB entries, and routes
    /// (silently, like IPv4).
    func removeLink(_ index: Int32) {
        guard let link = state.links.removeValue(forKey: index) else { return }
        for address in state.addresses where address.interfaceIndex == index { notify(.address(.deleted, address)) }
        state.addresses.removeAll { $0.interfaceIndex == index }
        for neighbor in state.neighbors where neighbor.interfaceIndex == index { notify(.neighbor(.deleted, neighbor)) }
        state.neighbors.removeAll { $0.interfaceIndex == index }
        for entry in state.fdb where entry.interfaceIndex == index { notify(.fdb(.deleted, entry)) }
        state.fdb.removeAll { $0.interfaceIndex == index }
        state.routes.removeAll { $0.outputInterface == index }
        state.sysctls = state.sysctls.filter { FakeKernel.interface(ofSysctl: $0.key) != link.name }
        notify(.link(.deleted, link))
    }

    /// The route as the kernel would store and dump it, or the kernel's refusal.
    private func validated(_ route: Route, _ fail: (Int32, String?) -> NetlinkError) throws(NetlinkError) -> Route {
        guard route.destination == route.destination.masked else {
            throw fail(EINVAL, "Invalid prefix for given prefix length")
        }
        if let index = route.outputInterface {
            guard let link = state.links[index] else { throw fail(ENODEV, nil) }
            if route.gateway != nil, route.isOnLink, !link.isUp { throw fail(ENETDOWN, "Nexthop device is not up") }
        } else if route.type == .unicast {
            throw fail(ENODEV, nil)
        }
        var stored = route
        let metric = route.metric ?? Route.defaultMetric(route.family)
        // IPv4 dumps leave out a zero metric.
        stored.metric = route.family == .v4 && metric == 0 ? nil : metric
        return stored
    }
}

extension InterfaceAddress {
    fileprivate func sameAddress(as other: InterfaceAddress) -> Bool {
        interfaceIndex == other.interfaceIndex && prefix == other.prefix
    }
}

extension Neighbor {
    fileprivate func sameKey(as other: Neighbor) -> Bool {
        interfaceIndex == other.interfaceIndex && address == other.address
    }
}

extension Route {
    fileprivate func sameKey(as other: Route) -> Bool {
        table == other.table && RouteKey(self) == RouteKey(other)
    }

    /// Whether adding `other` next to this route (same key) fails: always for IPv4; for IPv6 only on the same
    /// device (device routes such as fe80::/64 exist once per interface).
    fileprivate func conflicts(with other: Route) -> Bool {
        family == .v4 || outputInterface == other.outputInterface
    }

    /// What a delete request matches: destination, table and type, and protocol, gateway, device and metric
    /// when given.
    fileprivate func matchesDeletion(_ request: Route) -> Bool {
        destination == request.destination.masked && table == request.table && type == request.type
            && (request.protocol == .unspecified || `protocol` == request.protocol)
            && (request.gateway == nil || gateway == request.gateway)
            && (request.outputInterface == nil || outputInterface == request.outputInterface)
            && (request.metric == nil || request.metric == 0 || RouteKey(self).metric == request.metric)
    }
}
