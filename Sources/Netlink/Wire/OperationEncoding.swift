import CMnl

// Request encodings: one netlink message per operation, written with libmnl.

extension NetlinkOperation {
    /// Appends this operation's request to `buffer` as message `sequence`.
    func encode(into buffer: RequestBuffer, sequence: UInt32) {
        let create = HeaderFlag.create | HeaderFlag.exclusive
        let replace = HeaderFlag.create | HeaderFlag.replace
        switch self {
        case .createLink(let link):
            buffer.append(type: MessageType.newLink, flags: create, sequence: sequence) { $0.newLink(link) }
        case .changeLink(let index, let change):
            buffer.append(type: MessageType.newLink, flags: 0, sequence: sequence) { $0.changeLink(index, change) }
        case .moveLink(let index, let fd):
            buffer.append(type: MessageType.newLink, flags: 0, sequence: sequence) { message in
                message.linkHeader(index: index)
                message.put(LinkAttribute.netNamespaceFD, u32: UInt32(bitPattern: fd))
            }
        case .deleteLink(let index):
            buffer.append(type: MessageType.delLink, flags: 0, sequence: sequence) { $0.linkHeader(index: index) }
        case .addAddress(let address):
            buffer.append(type: MessageType.newAddress, flags: create, sequence: sequence) { $0.address(address) }
        case .deleteAddress(let address):
            buffer.append(type: MessageType.delAddress, flags: 0, sequence: sequence) { $0.address(address) }
        case .addRoute(let route):
            buffer.append(type: MessageType.newRoute, flags: create, sequence: sequence) { $0.route(route) }
        case .replaceRoute(let route):
            buffer.append(type: MessageType.newRoute, flags: replace, sequence: sequence) { $0.route(route) }
        case .deleteRoute(let route):
            buffer.append(type: MessageType.delRoute, flags: 0, sequence: sequence) {
                $0.route(route, scope: .nowhere)
            }
        case .addNeighbor(let neighbor):
            buffer.append(type: MessageType.newNeighbor, flags: create, sequence: sequence) { $0.neighbor(neighbor) }
        case .replaceNeighbor(let neighbor):
            buffer.append(type: MessageType.newNeighbor, flags: replace, sequence: sequence) { $0.neighbor(neighbor) }
        case .deleteNeighbor(let neighbor):
            buffer.append(type: MessageType.delNeighbor, flags: 0, sequence: sequence) { $0.neighbor(neighbor) }
        case .addFDB(let entry):
            buffer.append(type: MessageType.newNeighbor, flags: create, sequence: sequence) { $0.fdb(entry) }
        case .replaceFDB(let entry):
            buffer.append(type: MessageType.newNeighbor, flags: replace, sequence: sequence) { $0.fdb(entry) }
        case .appendFDB(let entry):
            buffer.append(
                type: MessageType.newNeighbor, flags: HeaderFlag.create | HeaderFlag.append, sequence: sequence
            ) { $0.fdb(entry) }
        case .deleteFDB(let entry):
            buffer.append(type: MessageType.delNeighbor, flags: 0, sequence: sequence) { $0.fdb(entry) }
        }
    }
}

/// `IFF_UP`, the one interface flag this module sets.
let interfaceUpFlag: UInt32 = 0x1

extension MessageBuilder {
    func linkHeader(index: Int32, flags: UInt32 = 0, change: UInt32 = 0) {
        var header = ifinfomsg()
        header.ifi_family = UInt8(AF_UNSPEC)
        header.ifi_index = index
        header.ifi_flags = flags
        header.ifi_change = change
        putFamilyHeader(header)
    }

    func newLink(_ link: NewLink) {
        linkHeader(index: 0, flags: link.isUp ? interfaceUpFlag : 0, change: link.isUp ? interfaceUpFlag : 0)
        put(LinkAttribute.name, string: link.name)
        if let mtu = link.mtu { put(LinkAttribute.mtu, u32: mtu) }
        if let mac = link.macAddress { put(LinkAttribute.address, mac: mac) }
        nest(LinkAttribute.linkInfo) {
            put(LinkAttribute.infoKind, string: link.kind.name)
            nest(LinkAttribute.infoData) {
                switch link.kind {
                case .veth(let peerName, let peerNamespaceFD): vethPeer(name: peerName, namespaceFD: peerNamespaceFD)
                case .vxlan(let attributes): vxlan(attributes)
                case .ipip(let attributes): ipip(attributes)
                }
            }
        }
    }

    private func vethPeer(name: String, namespaceFD: Int32?) {
        var peer = ifinfomsg()
        peer.ifi_family = UInt8(AF_UNSPEC)
        nest(LinkAttribute.vethPeer, familyHeader: peer) {
            put(LinkAttribute.name, string: name)
            if let namespaceFD { put(LinkAttribute.netNamespaceFD, u32: UInt32(bitPattern: namespaceFD)) }
        }
    }

    private func vxlan(_ attributes: VXLANAttributes) {
        put(LinkAttribute.vxlanID, u32: attributes.vni)
        if let parent = attributes.parentIndex { put(LinkAttribute.vxlanLink, u32: UInt32(bitPattern: parent)) }
        switch attributes.local {
        case .v4?: put(LinkAttribute.vxlanLocal, address: attributes.local!)
        case .v6?: put(LinkAttribute.vxlanLocal6, address: attributes.local!)
        case nil: break
        }
        // The port attribute is big-endian on the wire.
        put(LinkAttribute.vxlanPort, bigEndian: attributes.port)
        put(LinkAttribute.vxlanLearning, u8: attributes.learning ? 1 : 0)
    }

    private func ipip(_ attributes: IPIPAttributes) {
        if let parent = attributes.parentIndex { put(LinkAttribute.tunnelLink, u32: UInt32(bitPattern: parent)) }
        if let local = attributes.local { put(LinkAttribute.tunnelLocal, address: .v4(local)) }
        if let remote = attributes.remote { put(LinkAttribute.tunnelRemote, address: .v4(remote)) }
        put(LinkAttribute.tunnelTTL, u8: attributes.ttl)
        // Path MTU discovery (the DF bit) on, as `ip tunnel add` leaves it; it is required with a fixed TTL.
        put(LinkAttribute.tunnelPMTUDiscovery, u8: 1)
    }

    func changeLink(_ index: Int32, _ change: LinkChange) {
        let upFlags: UInt32 = change.isUp == true ? interfaceUpFlag : 0
        linkHeader(index: index, flags: upFlags, change: change.isUp == nil ? 0 : interfaceUpFlag)
        if let name = change.name { put(LinkAttribute.name, string: name) }
        if let mtu = change.mtu { put(LinkAttribute.mtu, u32: mtu) }
        if let mac = change.macAddress { put(LinkAttribute.address, mac: mac) }
    }

    func address(_ address: InterfaceAddress) {
        var header = ifaddrmsg()
        header.ifa_family = address.prefix.family.kernelFamily
        header.ifa_prefixlen = UInt8(address.prefix.prefixLength)
        header.ifa_flags = UInt8(truncatingIfNeeded: address.flags.rawValue)
        header.ifa_scope = address.scope.rawValue
        header.ifa_index = UInt32(bitPattern: address.interfaceIndex)
        putFamilyHeader(header)
        put(AddressAttribute.local, address: address.prefix.address)
        put(AddressAttribute.address, address: address.prefix.address)
        if let label = address.label { put(AddressAttribute.label, string: label) }
        if address.flags.rawValue > 0xff { put(AddressAttribute.flags, u32: address.flags.rawValue) }
    }

    func route(_ route: Route, scope: RouteScope? = nil) {
        var header = rtmsg()
        header.rtm_family = route.family.kernelFamily
        header.rtm_dst_len = UInt8(route.destination.prefixLength)
        // Tables above 255 exist only in RTA_TABLE; the header then says "unspecified".
        header.rtm_table = route.table.rawValue < 256 ? UInt8(route.table.rawValue) : 0
        header.rtm_protocol = route.protocol.rawValue
        header.rtm_scope = (scope ?? route.scope).rawValue
        header.rtm_type = route.type.rawValue
        header.rtm_flags = route.isOnLink ? RouteAttribute.onLinkFlag : 0
        putFamilyHeader(header)
        put(RouteAttribute.table, u32: route.table.rawValue)
        if route.destination.prefixLength > 0 { put(RouteAttribute.destination, address: route.destination.address) }
        if let oif = route.outputInterface { put(RouteAttribute.outputInterface, u32: UInt32(bitPattern: oif)) }
        if let gateway = route.gateway { put(RouteAttribute.gateway, address: gateway) }
        if let metric = route.metric { put(RouteAttribute.priority, u32: metric) }
        if let mtu = route.mtu {
            nest(RouteAttribute.metrics) { put(RouteAttribute.metricMTU, u32: mtu) }
        }
    }

    func neighbor(_ neighbor: Neighbor) {
        neighborHeader(
            family: neighbor.address.family.kernelFamily, index: neighbor.interfaceIndex, state: neighbor.state,
            flags: neighbor.flags)
        put(NeighborAttribute.destination, address: neighbor.address)
        if let mac = neighbor.linkLayerAddress { put(NeighborAttribute.linkLayerAddress, mac: mac) }
    }

    func fdb(_ entry: FDBEntry) {
        neighborHeader(family: bridgeFamily, index: entry.interfaceIndex, state: entry.state, flags: entry.flags)
        put(NeighborAttribute.linkLayerAddress, mac: entry.macAddress)
        if let destination = entry.destination { put(NeighborAttribute.destination, address: destination) }
        if let vni = entry.vni { put(NeighborAttribute.vni, u32: vni) }
        if let master = entry.masterIndex { put(NeighborAttribute.master, u32: UInt32(bitPattern: master)) }
    }

    func neighborHeader(family: UInt8, index: Int32, state: NeighborState, flags: NeighborFlags) {
        var header = ndmsg()
        header.ndm_family = family
        header.ndm_ifindex = index
        header.ndm_state = state.rawValue
        header.ndm_flags = flags.rawValue
        putFamilyHeader(header)
    }
}
