import CMnl
import NetworkAddress

// Decoders from message payloads (family header + attributes) to values, in pure Swift.

extension Route {
    /// Decodes an `RTM_NEWROUTE`/`RTM_DELROUTE` payload; nil for families other than IPv4 and IPv6.
    init?(routePayload payload: UnsafeRawBufferPointer) {
        guard let header = payload.familyHeader(as: rtmsg.self),
            let family = IPFamily(kernelFamily: header.rtm_family)
        else { return nil }
        var destination: IPAddress?
        var gateway: IPAddress?
        var outputInterface: Int32?
        var metric: UInt32?
        var mtu: UInt32?
        var table = UInt32(header.rtm_table)
        for attribute in AttributeSequence(payload, after: HeaderSize.route) {
            switch attribute.type {
            case RouteAttribute.destination: destination = attribute.address
            case RouteAttribute.gateway: gateway = attribute.address
            case RouteAttribute.outputInterface: outputInterface = attribute.int32
            case RouteAttribute.priority: metric = attribute.u32
            case RouteAttribute.table: table = attribute.u32
            case RouteAttribute.metrics:
                for metricAttribute in attribute.nested where metricAttribute.type == RouteAttribute.metricMTU {
                    mtu = metricAttribute.u32
                }
            default: break
            }
        }
        let address = destination ?? (family == .v4 ? .v4(IPv4Address(0)) : .v6(IPv6Address(high: 0, low: 0)))
        guard let prefix = try? CIDR(address: address, prefixLength: Int(header.rtm_dst_len)) else { return nil }
        self.init(
            destination: prefix, gateway: gateway, outputInterface: outputInterface,
            scope: RouteScope(rawValue: header.rtm_scope), protocol: RouteProtocol(rawValue: header.rtm_protocol),
            table: RouteTable(rawValue: table), metric: metric, type: RouteType(rawValue: header.rtm_type),
            isOnLink: header.rtm_flags & RouteAttribute.onLinkFlag != 0, mtu: mtu)
    }
}

extension Link {
    /// Decodes an `RTM_NEWLINK`/`RTM_DELLINK` payload.
    init?(linkPayload payload: UnsafeRawBufferPointer) {
        guard let header = payload.familyHeader(as: ifinfomsg.self) else { return nil }
        var name = ""
        var mtu: UInt32 = 0
        var mac: MACAddress?
        var master: Int32?
        var parent: Int32?
        var kind = LinkKind.other(nil)
        for attribute in AttributeSequence(payload, after: HeaderSize.link) {
            switch attribute.type {
            case LinkAttribute.name: name = attribute.string
            case LinkAttribute.mtu: mtu = attribute.u32
            case LinkAttribute.address: mac = attribute.mac
            case LinkAttribute.master: master = attribute.int32
            case LinkAttribute.link:
                let link = attribute.int32
                if link != header.ifi_index && link != 0 { parent = link }
            case LinkAttribute.linkInfo: kind = LinkKind(linkInfo: attribute)
            default: break
            }
        }
        self.init(
            index: header.ifi_index, name: name, kind: kind, mtu: mtu, macAddress: mac, flags: header.ifi_flags,
            masterIndex: master, parentIndex: parent)
    }
}

extension LinkKind {
    init(linkInfo: Attribute) {
        var kindName: String?
        var data: Attribute?
        for attribute in linkInfo.nested {
            switch attribute.type {
            case LinkAttribute.infoKind: kindName = attribute.string
            case LinkAttribute.infoData: data = attribute
            default: break
            }
        }
        switch kindName {
        case "veth": self = .veth
        case "vxlan": self = .vxlan(VXLANAttributes(infoData: data))
        case "ipip": self = .ipip(IPIPAttributes(infoData: data))
        default: self = .other(kindName)
        }
    }
}

extension VXLANAttributes {
    init(infoData: Attribute?) {
        self.init(vni: 0, port: 0, learning: true)
        guard let infoData else { return }
        for attribute in infoData.nested {
            switch attribute.type {
            case LinkAttribute.vxlanID: vni = attribute.u32
            case LinkAttribute.vxlanPort: port = attribute.bigEndianU16
            case LinkAttribute.vxlanLink: parentIndex = attribute.int32 == 0 ? nil : attribute.int32
            case LinkAttribute.vxlanLocal, LinkAttribute.vxlanLocal6: local = attribute.address
            case LinkAttribute.vxlanLearning: learning = attribute.u8 != 0
            default: break
            }
        }
    }
}

extension IPIPAttributes {
    init(infoData: Attribute?) {
        self.init()
        guard let infoData else { return }
        for attribute in infoData.nested {
            switch attribute.type {
            case LinkAttribute.tunnelLink: parentIndex = attribute.int32 == 0 ? nil : attribute.int32
            case LinkAttribute.tunnelLocal: local = attribute.nonZeroIPv4
            case LinkAttribute.tunnelRemote: remote = attribute.nonZeroIPv4
            case LinkAttribute.tunnelTTL: ttl = attribute.u8
            default: break
            }
        }
    }
}

extension Attribute {
    /// An IPv4 address attribute where 0.0.0.0 means "any" (nil).
    fileprivate var nonZeroIPv4: IPv4Address? {
        guard case .v4(let address)? = address, address.value != 0 else { return nil }
        return address
    }
}

extension InterfaceAddress {
    /// Decodes an `RTM_NEWADDR`/`RTM_DELADDR` payload.
    init?(addressPayload payload: UnsafeRawBufferPointer) {
        guard let header = payload.familyHeader(as: ifaddrmsg.self) else { return nil }
        var local: IPAddress?
        var address: IPAddress?
        var label: String?
        var flags = UInt32(header.ifa_flags)
        for attribute in AttributeSequence(payload, after: HeaderSize.address) {
            switch attribute.type {
            case AddressAttribute.local: local = attribute.address
            case AddressAttribute.address: address = attribute.address
            case AddressAttribute.label: label = attribute.string
            case AddressAttribute.flags: flags = attribute.u32
            default: break
            }
        }
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
        guard let own = local ?? address,
            let prefix = try? CIDR(address: own, prefixLength: Int(header.ifa_prefixlen))
        else { return nil }
        self.init(
            interfaceIndex: Int32(bitPattern: header.ifa_index), prefix: prefix,
            scope: RouteScope(rawValue: header.ifa_scope), flags: AddressFlags(rawValue: flags), label: label)
    }
}

extension Neighbor {
    /// Decodes an IPv4/IPv6 `RTM_NEWNEIGH`/`RTM_DELNEIGH` payload.
    init?(neighborPayload payload: UnsafeRawBufferPointer) {
        guard let header = payload.familyHeader(as: ndmsg.self), IPFamily(kernelFamily: header.ndm_family) != nil
        else { return nil }
        var address: IPAddress?
        var mac: MACAddress?
        for attribute in AttributeSequence(payload, after: HeaderSize.neighbor) {
            switch attribute.type {
            case NeighborAttribute.destination: address = attribute.address
            case NeighborAttribute.linkLayerAddress: mac = attribute.mac
            default: break
            }
        }
        guard let address else { return nil }
        self.init(
            interfaceIndex: header.ndm_ifindex, address: address, linkLayerAddress: mac,
            state: NeighborState(rawValue: header.ndm_state), flags: NeighborFlags(rawValue: header.ndm_flags))
    }
}

extension FDBEntry {
    /// Decodes an `AF_BRIDGE` `RTM_NEWNEIGH`/`RTM_DELNEIGH` payload.
    init?(neighborPayload payload: UnsafeRawBufferPointer) {
        guard let header = payload.familyHeader(as: ndmsg.self), header.ndm_family == bridgeFamily else { return nil }
        var mac: MACAddress?
        var destination: IPAddress?
        var vni: UInt32?
        var master: Int32?
        for attribute in AttributeSequence(payload, after: HeaderSize.neighbor) {
            switch attribute.type {
            case NeighborAttribute.linkLayerAddress: mac = attribute.mac
            case NeighborAttribute.destination: destination = attribute.address
            case NeighborAttribute.vni: vni = attribute.u32
            case NeighborAttribute.master: master = attribute.int32
            default: break
            }
        }
        guard let mac else { return nil }
        self.init(
            interfaceIndex: header.ndm_ifindex, macAddress: mac, destination: destination, vni: vni,
            state: NeighborState(rawValue: header.ndm_state), flags: NeighborFlags(rawValue: header.ndm_flags),
            masterIndex: master)
    }
}

extension NetlinkEvent {
    /// Decodes a notification; nil for message types and families this module does not model.
    init?(message: ReceivedMessage) {
        let payload = message.payload
        switch message.type {
        case MessageType.newLink, MessageType.delLink:
            guard let link = Link(linkPayload: payload) else { return nil }
            self = .link(message.type == MessageType.newLink ? .new : .deleted, link)
        case MessageType.newAddress, MessageType.delAddress:
            guard let address = InterfaceAddress(addressPayload: payload) else { return nil }
            self = .address(message.type == MessageType.newAddress ? .new : .deleted, address)
        case MessageType.newRoute, MessageType.delRoute:
            guard let route = Route(routePayload: payload) else { return nil }
            self = .route(message.type == MessageType.newRoute ? .new : .deleted, route)
        case MessageType.newNeighbor, MessageType.delNeighbor:
            let change: NetlinkChange = message.type == MessageType.newNeighbor ? .new : .deleted
            if let entry = FDBEntry(neighborPayload: payload) {
                self = .fdb(change, entry)
            } else if let neighbor = Neighbor(neighborPayload: payload) {
                self = .neighbor(change, neighbor)
            } else {
                return nil
            }
        default:
            return nil
        }
    }
}
