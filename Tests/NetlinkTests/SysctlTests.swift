import Foundation
import Netlink
import SystemError
import Testing

@Suite("Sysctls against the kernel", needsNamespaces)
struct SysctlTests {
    @Test func perInterfaceAndGlobalSysctlsInANamespace() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.socket()
            _ = try ns.vethPair("tabbysysctl0", peer: "tabbysysctl1", socket: socket)
            let hostForwarding = try String(contentsOfFile: "/proc/sys/net/ipv4/conf/all/forwarding", encoding: .utf8)
            let sysctl = Sysctl()
            let interfacePath = Sysctl.interfacePath(.v4, interface: "tabbysysctl0", "proxy_arp")

            // Expectations are checked here, not on the namespace thread, which has no test context.
            let outcome = try ns.namespace.perform { () throws in
                // The interface exists only in the namespace: this thread sees the namespace's /proc/sys/net.
                let before = try sysctl.read(interfacePath)
                let written = try sysctl.write(interfacePath, "1")
                let forwarding = try sysctl.write("net.ipv4.conf.all.forwarding", "1")
                let range = try sysctl.write("net/ipv4/ip_local_port_range", "20000 30000")
                let refused = Result { try sysctl.write("net/ipv4/ip_local_port_range", "30000 20000") }
                let missing = Result {
                    try sysctl.write(Sysctl.interfacePath(.v4, interface: "nosuchif", "proxy_arp"), "1")
                }
                return (before, written, forwarding, range, refused, missing)
            }
            #expect(outcome.0 == "0")
            #expect(outcome.1 == "1")
            #expect(outcome.2 == "1")
            #expect(outcome.3 == "20000\t30000")
            #expect(
                throws: SysctlError.system(
                    path: "/proc/sys/net/ipv4/ip_local_port_range", step: "write 30000 20000",
                    errno: Errno(EINVAL))
            ) { try outcome.4.get() }
            let missing = #expect(throws: SysctlError.self) { try outcome.5.get() }
            #expect(
                missing?.description
                    == "sysctl /proc/sys/net/ipv4/conf/nosuchif/proxy_arp open: ENOENT (No such file or directory)")
            #expect(try ns.exec("cat", interfacePath) == "1\n")
            #expect(try ns.exec("cat", "/proc/sys/net/ipv4/conf/all/forwarding") == "1\n")
            // This thread is in the host namespace, which has neither the interface nor the change.
            #expect(!FileManager.default.fileExists(atPath: interfacePath))
            #expect(
                try String(contentsOfFile: "/proc/sys/net/ipv4/conf/all/forwarding", encoding: .utf8)
                    == hostForwarding)
        }
    }
}
