/// A change the kernel announced on a multicast group.
public enum NetlinkEvent: Hashable, Sendable {
    case link(NetlinkChange, Link)
    case address(NetlinkChange, InterfaceAddress)
    case route(NetlinkChange, Route)
    case neighbor(NetlinkChange, Neighbor)
    case fdb(NetlinkChange, FDBEntry)
    /// The kernel dropped notifications (`ENOBUFS`: the socket's receive queue overflowed). Whatever was
    /// learnt from events is no longer complete: dump again.
    case resyncNeeded
}

/// Whether a notification announced a new or changed object (`RTM_NEW*`) or a removed one (`RTM_DEL*`).
public enum NetlinkChange: Hashable, Sendable {
    case new
    case deleted
}
