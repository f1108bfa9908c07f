import SystemError
import Testing

@testable import Netlink

/// Error replies and descriptions, from hand-built bytes.
@Suite("Reply parsing")
struct ReplyParsingTests {
    private func attribute(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        let length = UInt16(4 + payload.count)
        var bytes =
            withUnsafeBytes(of: length.littleEndian, Array.init) + withUnsafeBytes(of: type.littleEndian, Array.init)
        bytes += payload
        while bytes.count % 4 != 0 { bytes.append(0) }
        return bytes
    }

    @Test func cappedErrorWithExtendedAck() throws {
        var payload = withUnsafeBytes(of: Int32(-101).littleEndian, Array.init)  // -ENETUNREACH
        payload += [UInt8](repeating: 0, count: 16)  // the echoed request header (capped)
        payload += attribute(1, Array("Nexthop has invalid gateway\0".utf8))
        payload += attribute(2, [40, 0, 0, 0])
        let reply = try payload.withUnsafeBytes { raw in
            try #require(KernelErrorReply(errorPayload: raw, flags: 0x100 | 0x200))
        }
        let error = reply.error(operation: "route replace 10.0.1.0/26 via 192.0.2.2 dev vxlan.calico")
        #expect(error.errno.name == "ENETUNREACH")
        #expect(error.message == "Nexthop has invalid gateway")
        #expect(error.offset == 40)
        let expected =
            "route replace 10.0.1.0/26 via 192.0.2.2 dev vxlan.calico: "
            + "ENETUNREACH (Nexthop has invalid gateway) at byte 40"
        #expect(error.description == expected)
    }

    @Test func errorWithoutExtendedAckUsesTheCLibraryText() throws {
        let payload = withUnsafeBytes(of: Int32(-17).littleEndian, Array.init) + [UInt8](repeating: 0, count: 16)
        let reply = try payload.withUnsafeBytes { try #require(KernelErrorReply(errorPayload: $0, flags: 0x100)) }
        let error = reply.error(operation: "route add 10.0.0.1/32 dev eth0")
        #expect(error.errno.name == "EEXIST")
        #expect(error.description == "route add 10.0.0.1/32 dev eth0: EEXIST (File exists)")
    }

    @Test func unknownErrnoIsNamedByNumber() {
        #expect(NetlinkError(Errno(4000), operation: "x").description == "x: errno 4000 (Unknown error 4000)")
    }

    @Test func operationsDescribeThemselvesWithInterfaceNames() {
        let names: (Int32) -> String = { $0 == 7 ? "vxlan.calico" : "if\($0)" }
        let route = Route(
            destination: prefix("10.0.1.0/26"), gateway: address("192.0.2.2"), outputInterface: 7, isOnLink: true)
        #expect(
            NetlinkOperation.replaceRoute(route).describe(interfaceName: names)
                == "route replace 10.0.1.0/26 via 192.0.2.2 dev vxlan.calico onlink")
        #expect(
            NetlinkOperation.addRoute(
                Route(destination: prefix("10.9.0.0/16"), table: RouteTable(100), type: .blackhole)
            )
            .describe(interfaceName: names) == "route add blackhole 10.9.0.0/16 table 100")
        let fdb = FDBEntry(interfaceIndex: 7, macAddress: mac("66:e4:5a:c9:41:0b"), destination: address("192.0.2.7"))
        #expect(
            NetlinkOperation.replaceFDB(fdb).describe(interfaceName: names)
                == "fdb replace 66:e4:5a:c9:41:0b dev vxlan.calico dst 192.0.2.7")
    }

    @Test func sysctlPathsStayUnderProcSysNet() throws {
        #expect(try Sysctl.path(for: "net.ipv4.ip_forward") == "/proc/sys/net/ipv4/ip_forward")
        #expect(
            Sysctl.interfacePath(.v4, interface: "vxlan.calico", "rp_filter")
                == "/proc/sys/net/ipv4/conf/vxlan.calico/rp_filter")
        #expect(throws: SysctlError.notANetworkSysctl("kernel.hostname")) { try Sysctl.path(for: "kernel.hostname") }
        #expect(throws: SysctlError.self) { try Sysctl.path(for: "/proc/sys/net/../kernel/hostname") }
        #expect(throws: SysctlError.self) { try Sysctl.path(for: "/proc/sys/net/") }
        #expect(throws: SysctlError.self) { try Sysctl().write("/etc/passwd", "x") }
    }

    @Test func sysctlReadBackComparesFieldsAndNumbers() {
        #expect(Sysctl.sameValue("1024 65000", "1024\t65000"))
        #expect(Sysctl.sameValue("01", "1"))
        #expect(!Sysctl.sameValue("1001", "1004"))
        #expect(!Sysctl.sameValue("1 2", "1"))
    }
}
