import NetworkAddress
import Testing

@testable import Netlink

/// Wire encodings checked byte by byte, without a kernel.
@Suite("Request encoding")
struct EncodingTests {
    /// Encodes one operation and returns the message's attributes (type -> payload bytes), after checking the
    /// netlink header.
    private func encode(_ operation: NetlinkOperation, expectType type: UInt16, flags: UInt16) -> [UInt8] {
        let buffer = RequestBuffer(limit: 4096)
        operation.encode(into: buffer, sequence: 42)
        let bytes = Array(buffer.bytes)
        let length = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        #expect(Int(length) == bytes.count)
        let header = bytes.withUnsafeBytes { raw in
            (
                raw.loadUnaligned(fromByteOffset: 4, as: UInt16.self),
                raw.loadUnaligned(fromByteOffset: 6, as: UInt16.self),
                raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            )
        }
        #expect(header.0 == type)
        #expect(header.1 == flags | 0x1)  // NLM_F_REQUEST
        #expect(header.2 == 42)
        return bytes
    }

    /// The attributes of a nest or a message body, as (type, payload).
    private func attributes(_ bytes: ArraySlice<UInt8>) -> [(UInt16, [UInt8])] {
        bytes.withUnsafeBytes { raw in AttributeSequence(raw).map { ($0.type, Array($0.payload)) } }
    }

    @Test func ipipTunnelCreation() throws {
        let link = NewLink(
            name: "tunl0", kind: .ipip(IPIPAttributes(local: IPv4Address("192.0.2.1"), parentIndex: 3)), mtu: 1480)
        let bytes = encode(.createLink(link), expectType: 16, flags: 0x400 | 0x200)  // RTM_NEWLINK, CREATE|EXCL
        // nlmsghdr (16) + ifinfomsg (16), then attributes.
        #expect(bytes[16] == 0)  // AF_UNSPEC
        let top = attributes(bytes[32...])
        #expect(top.map(\.0) == [3, 4, 18])  // IFLA_IFNAME, IFLA_MTU, IFLA_LINKINFO
        #expect(top[0].1 == Array("tunl0\0".utf8))
        #expect(top[1].1 == [0xc8, 0x05, 0, 0])  // 1480, host order
        let info = attributes(top[2].1[...])
        #expect(info.map(\.0) == [1, 2])  // IFLA_INFO_KIND, IFLA_INFO_DATA
        #expect(info[0].1 == Array("ipip\0".utf8))
        let data = attributes(info[1].1[...])
        // IFLA_IPTUN_LINK, _LOCAL, _TTL, _PMTUDISC
        #expect(data.map(\.0) == [1, 2, 4, 10])
        #expect(data[0].1 == [3, 0, 0, 0])
        #expect(data[1].1 == [192, 0, 2, 1])  // network order
        #expect(data[2].1 == [0])  // inherit
        #expect(data[3].1 == [1])
    }

    @Test func defaultTunl0CarriesNoAddresses() throws {
        let bytes = encode(
            .createLink(NewLink(name: "tunl0", kind: .ipip(IPIPAttributes()))), expectType: 16,
            flags: 0x600)
        let info = attributes(attributes(bytes[32...])[1].1[...])
        #expect(attributes(info[1].1[...]).map(\.0) == [4, 10])
    }

    @Test func vxlanPortIsBigEndianAndLearningOff() throws {
        let vxlan = VXLANAttributes(vni: 4096, port: 4789, parentIndex: 2, local: address("192.0.2.1"), learning: false)
        let bytes = encode(
            .createLink(NewLink(name: "vxlan.calico", kind: .vxlan(vxlan))), expectType: 16,
            flags: 0x600)
        let info = attributes(attributes(bytes[32...])[1].1[...])
        let data = Dictionary(uniqueKeysWithValues: attributes(info[1].1[...]))
        #expect(data[1] == [0x00, 0x10, 0, 0])  // IFLA_VXLAN_ID 4096
        #expect(data[3] == [2, 0, 0, 0])  // IFLA_VXLAN_LINK
        #expect(data[4] == [192, 0, 2, 1])  // IFLA_VXLAN_LOCAL
        #expect(data[15] == [0x12, 0xb5])  // IFLA_VXLAN_PORT 4789, network order
        #expect(data[7] == [0])  // IFLA_VXLAN_LEARNING
    }

    @Test func routeReplaceWithTableAboveByteAndMTU() throws {
        let route = Route(
            destination: prefix("10.0.1.0/26"), gateway: address("192.0.2.2"), outputInterface: 7,
            protocol: RouteProtocol(80),
            table: RouteTable(1000), metric: 5, isOnLink: true, mtu: 1400)
        let bytes = encode(.replaceRoute(route), expectType: 24, flags: 0x400 | 0x100)  // CREATE|REPLACE
        // rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags(4)
        #expect(Array(bytes[16..<24]) == [2, 26, 0, 0, 0, 80, 0, 1])
        #expect(Array(bytes[24..<28]) == [4, 0, 0, 0])  // RTNH_F_ONLINK
        let attrs = attributes(bytes[28...])
        #expect(attrs.map(\.0) == [15, 1, 4, 5, 6, 8])  // TABLE, DST, OIF, GATEWAY, PRIORITY, METRICS
        #expect(attrs[0].1 == [0xe8, 0x03, 0, 0])
        #expect(attrs[1].1 == [10, 0, 1, 0])
        #expect(attrs[3].1 == [192, 0, 2, 2])
        #expect(attributes(attrs[5].1[...]).first?.0 == 2)  // RTAX_MTU
    }

    @Test func routeDeleteMatchesAnyScope() {
        let bytes = encode(
            .deleteRoute(Route(destination: prefix("10.0.0.1/32"), outputInterface: 2)), expectType: 25,
            flags: 0)
        #expect(bytes[22] == 255)  // RT_SCOPE_NOWHERE
    }

    @Test func fdbEntryIsBridgeFamilySelfPermanent() {
        let entry = FDBEntry(interfaceIndex: 9, macAddress: mac("66:e4:5a:c9:41:0b"), destination: address("192.0.2.7"))
        let bytes = encode(.replaceFDB(entry), expectType: 28, flags: 0x500)
        #expect(bytes[16] == 7)  // AF_BRIDGE
        let state = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 24, as: UInt16.self) }
        #expect(state == 0x80)  // NUD_PERMANENT
        #expect(bytes[26] == 0x02)  // NTF_SELF
        let attrs = attributes(bytes[28...])
        #expect(attrs.map(\.0) == [2, 1])  // NDA_LLADDR, NDA_DST
    }

    @Test func defaultScopesFollowIPRoute() {
        #expect(Route(destination: prefix("10.0.0.1/32"), outputInterface: 2).scope == .link)
        #expect(Route(destination: prefix("10.0.0.0/24"), gateway: address("192.0.2.1")).scope == .universe)
        #expect(Route(destination: prefix("2001:db8::/64"), outputInterface: 2).scope == .universe)
        #expect(Route(destination: prefix("10.0.0.0/8"), type: .blackhole).scope == .universe)
    }
}
