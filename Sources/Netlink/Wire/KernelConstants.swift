import CMnl

// The rtnetlink constants this module uses, typed once so the rest of the code needs no casts.
// Values come from the kernel headers through CMnl.

/// Netlink message types (`nlmsg_type`).
enum MessageType {
    static let noop = UInt16(NLMSG_NOOP)
    static let error = UInt16(NLMSG_ERROR)
    static let done = UInt16(NLMSG_DONE)
    static let overrun = UInt16(NLMSG_OVERRUN)
    static let newLink = UInt16(RTM_NEWLINK)
    static let delLink = UInt16(RTM_DELLINK)
    static let getLink = UInt16(RTM_GETLINK)
    static let newAddress = UInt16(RTM_NEWADDR)
    static let delAddress = UInt16(RTM_DELADDR)
    static let getAddress = UInt16(RTM_GETADDR)
    static let newRoute = UInt16(RTM_NEWROUTE)
    static let delRoute = UInt16(RTM_DELROUTE)
    static let getRoute = UInt16(RTM_GETROUTE)
    static let newNeighbor = UInt16(RTM_NEWNEIGH)
    static let delNeighbor = UInt16(RTM_DELNEIGH)
    static let getNeighbor = UInt16(RTM_GETNEIGH)
}

/// Netlink header flags (`nlmsg_flags`).
enum HeaderFlag {
    static let request = UInt16(NLM_F_REQUEST)
    static let multi = UInt16(NLM_F_MULTI)
    static let ack = UInt16(NLM_F_ACK)
    static let dumpInterrupted = UInt16(NLM_F_DUMP_INTR)
    static let dump = UInt16(NLM_F_DUMP)
    static let replace = UInt16(NLM_F_REPLACE)
    static let exclusive = UInt16(NLM_F_EXCL)
    static let create = UInt16(NLM_F_CREATE)
    static let append = UInt16(NLM_F_APPEND)
    static let capped = UInt16(NLM_F_CAPPED)
    static let ackTLVs = UInt16(NLM_F_ACK_TLVS)
}

/// Extended-ack attributes carried after an `NLMSG_ERROR` or `NLMSG_DONE`.
enum ExtAckAttribute {
    static let message = UInt16(NLMSGERR_ATTR_MSG.rawValue)
    static let offset = UInt16(NLMSGERR_ATTR_OFFS.rawValue)
}

/// `IFLA_*`, including the nested link-info, veth, vxlan and ip tunnel attributes.
enum LinkAttribute {
    static let address = UInt16(IFLA_ADDRESS)
    static let name = UInt16(IFLA_IFNAME)
    static let mtu = UInt16(IFLA_MTU)
    static let link = UInt16(IFLA_LINK)
    static let master = UInt16(IFLA_MASTER)
    static let operState = UInt16(IFLA_OPERSTATE)
    static let linkInfo = UInt16(IFLA_LINKINFO)
    static let netNamespaceFD = UInt16(IFLA_NET_NS_FD)
    static let extMask = UInt16(IFLA_EXT_MASK)
    static let linkNetNamespaceID = UInt16(IFLA_LINK_NETNSID)

    static let infoKind = UInt16(IFLA_INFO_KIND)
    static let infoData = UInt16(IFLA_INFO_DATA)

    static let vethPeer = UInt16(VETH_INFO_PEER)

    static let vxlanID = UInt16(IFLA_VXLAN_ID)
    static let vxlanGroup = UInt16(IFLA_VXLAN_GROUP)
    static let vxlanLink = UInt16(IFLA_VXLAN_LINK)
    static let vxlanLocal = UInt16(IFLA_VXLAN_LOCAL)
    static let vxlanLearning = UInt16(IFLA_VXLAN_LEARNING)
    static let vxlanPort = UInt16(IFLA_VXLAN_PORT)
    static let vxlanGroup6 = UInt16(IFLA_VXLAN_GROUP6)
    static let vxlanLocal6 = UInt16(IFLA_VXLAN_LOCAL6)

    static let tunnelLink = UInt16(IFLA_IPTUN_LINK)
    static let tunnelLocal = UInt16(IFLA_IPTUN_LOCAL)
    static let tunnelRemote = UInt16(IFLA_IPTUN_REMOTE)
    static let tunnelTTL = UInt16(IFLA_IPTUN_TTL)
    static let tunnelPMTUDiscovery = UInt16(IFLA_IPTUN_PMTUDISC)

    /// `RTEXT_FILTER_SKIP_STATS`: leave the statistics blocks out of link replies.
    static let skipStats = UInt32(RTEXT_FILTER_SKIP_STATS)
}

/// `IFA_*`.
enum AddressAttribute {
    static let address = UInt16(IFA_ADDRESS)
    static let local = UInt16(IFA_LOCAL)
    static let label = UInt16(IFA_LABEL)
    static let flags = UInt16(IFA_FLAGS)
}

/// `RTA_*` and `RTAX_*`.
enum RouteAttribute {
    static let destination = UInt16(RTA_DST.rawValue)
    static let outputInterface = UInt16(RTA_OIF.rawValue)
    static let gateway = UInt16(RTA_GATEWAY.rawValue)
    static let priority = UInt16(RTA_PRIORITY.rawValue)
    static let preferredSource = UInt16(RTA_PREFSRC.rawValue)
    static let metrics = UInt16(RTA_METRICS.rawValue)
    static let table = UInt16(RTA_TABLE.rawValue)
    static let metricMTU = UInt16(RTAX_MTU)
    /// `RTNH_F_ONLINK` in `rtm_flags`.
    static let onLinkFlag = UInt32(RTNH_F_ONLINK)
}

/// `NDA_*`.
enum NeighborAttribute {
    static let destination = UInt16(NDA_DST)
    static let linkLayerAddress = UInt16(NDA_LLADDR)
    static let vni = UInt16(NDA_VNI)
    static let port = UInt16(NDA_PORT)
    static let interfaceIndex = UInt16(NDA_IFINDEX)
    static let master = UInt16(NDA_MASTER)
}

/// Socket options at `SOL_NETLINK`.
enum NetlinkOption {
    static let level = Int32(SOL_NETLINK)
    static let addMembership = Int32(NETLINK_ADD_MEMBERSHIP)
    static let capAck = Int32(NETLINK_CAP_ACK)
    static let extAck = Int32(NETLINK_EXT_ACK)
    static let strictCheck = Int32(NETLINK_GET_STRICT_CHK)
}

/// Sizes of the fixed family headers that follow `nlmsghdr`.
enum HeaderSize {
    static let netlink = MemoryLayout<nlmsghdr>.size
    static let link = MemoryLayout<ifinfomsg>.size
    static let address = MemoryLayout<ifaddrmsg>.size
    static let route = MemoryLayout<rtmsg>.size
    static let neighbor = MemoryLayout<ndmsg>.size
}

/// `AF_BRIDGE`, the family of forwarding-database entries.
let bridgeFamily = UInt8(AF_BRIDGE)
