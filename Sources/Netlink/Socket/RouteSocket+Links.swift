import CMnl
import Glibc
import NetworkAddress
import SystemError

extension RouteSocket {
    /// All links (`ip link show`).
    public func links() throws(NetlinkError) -> [Link] {
        try dump(type: MessageType.getLink, operation: "link list") { message in
            message.linkHeader(index: 0)
            message.put(LinkAttribute.extMask, u32: LinkAttribute.skipStats)
        } decode: { message in
            message.type == MessageType.newLink ? Link(linkPayload: message.payload) : nil
        }
    }

    /// The link with this name, or nil when there is none.
    public func link(named name: String) throws(NetlinkError) -> Link? {
        try getLink(operation: "link get dev \(name)") { message in
            message.linkHeader(index: 0)
            message.put(LinkAttribute.extMask, u32: LinkAttribute.skipStats)
            message.put(LinkAttribute.name, string: name)
        }
    }

    /// The link with this index, or nil when there is none.
    public func link(index: Int32) throws(NetlinkError) -> Link? {
        try getLink(operation: "link get index \(index)") { message in
            message.linkHeader(index: index)
            message.put(LinkAttribute.extMask, u32: LinkAttribute.skipStats)
        }
    }

    private func getLink(operation: String, build: (inout MessageBuilder) -> Void) throws(NetlinkError) -> Link? {
        var link: Link?
        do {
            try request(type: MessageType.getLink, operation: operation, build: build) { message in
                if message.type == MessageType.newLink { link = Link(linkPayload: message.payload) }
            }
        } catch  where error.errno == Errno(ENODEV) {
            return nil
        }
        return link
    }

    /// Creates a link and returns it as the kernel reports it.
    @discardableResult
    public func createLink(_ link: NewLink) throws(NetlinkError) -> Link {
        try perform(.createLink(link))
        guard let created = try self.link(named: link.name) else {
            throw NetlinkError(Errno(ENODEV), message: "created link vanished", operation: "link get dev \(link.name)")
        }
        return created
    }

    /// Creates a veth pair; the peer goes to the namespace open at `peerNamespaceFD` when given.
    @discardableResult
    public func createVethPair(name: String, peerName: String, peerNamespaceFD: Int32? = nil, mtu: UInt32? = nil)
        throws(NetlinkError) -> Link
    {
        try createLink(NewLink(name: name, kind: .veth(peerName: peerName, peerNamespaceFD: peerNamespaceFD), mtu: mtu))
    }

    /// Creates a VXLAN device (`ip link add NAME type vxlan id VNI local A dev D dstport P nolearning`).
    @discardableResult
    public func createVXLAN(
        name: String, attributes: VXLANAttributes, mtu: UInt32? = nil, macAddress: MACAddress? = nil
    ) throws(NetlinkError) -> Link {
        try createLink(NewLink(name: name, kind: .vxlan(attributes), mtu: mtu, macAddress: macAddress))
    }

    /// Creates an IPIP tunnel, or configures it when it already exists: loading the ipip module creates the
    /// fallback device `tunl0` itself, so `EEXIST` on an existing ipip device of that name is not an error.
    /// The MTU and up state are then applied to the existing device. Its tunnel attributes are not changed.
    @discardableResult
    public func createIPIPTunnel(
        name: String = "tunl0", attributes: IPIPAttributes = IPIPAttributes(), mtu: UInt32? = nil, isUp: Bool = false
    ) throws(NetlinkError) -> Link {
        do {
            return try createLink(NewLink(name: name, kind: .ipip(attributes), mtu: mtu, isUp: isUp))
        } catch  where error.errno == Errno(EEXIST) {
            guard let existing = try link(named: name), case .ipip = existing.kind else { throw error }
            try perform(.changeLink(index: existing.index, LinkChange(isUp: isUp ? true : nil, mtu: mtu)))
            return try link(index: existing.index) ?? existing
        }
    }

    /// Applies changes to a link (`ip link set`).
    public func changeLink(index: Int32, _ change: LinkChange) throws(NetlinkError) {
        try perform(.changeLink(index: index, change))
    }

    /// Sets a link administratively up or down.
    public func setLink(index: Int32, up: Bool) throws(NetlinkError) {
        try changeLink(index: index, LinkChange(isUp: up))
    }

    /// Sets a link's MTU.
    public func setLink(index: Int32, mtu: UInt32) throws(NetlinkError) {
        try changeLink(index: index, LinkChange(mtu: mtu))
    }

    /// Sets a link's Ethernet address.
    public func setLink(index: Int32, macAddress: MACAddress) throws(NetlinkError) {
        try changeLink(index: index, LinkChange(macAddress: macAddress))
    }

    /// Moves a link into another network namespace; it keeps its name, and gets a new index there.
    public func moveLink(index: Int32, to namespace: NetworkNamespace) throws(NetlinkError) {
        try perform(.moveLink(index: index, namespaceFD: namespace.fd))
    }

    /// Deletes a link (for a veth pair, both ends).
    public func deleteLink(index: Int32) throws(NetlinkError) {
        try perform(.deleteLink(index: index))
    }
}
