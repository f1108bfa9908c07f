import Calculation
import ResourceCache
import CalicoAPI
import Testing

@Suite("This node: workloads, blackholes, sysctls")
struct LocalStateTests {
    static let interfaces: Set<String> = ["lo", "eth0", "cali1111111111a", "cali2222222222b"]
    static let environment = NodeEnvironment(interfaces: interfaces, hostMTU: 1500, underlayInterface: "eth0")

    static func cluster(_ extra: [AnyResource] = []) -> ResourceCache {
        state(
            threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .always)) + [
                workload(
                    "a", node: "local", interface: "cali1111111111a", ips: ["10.244.0.5/32", "2001:db8:5::5/128"],
                    mac: "EE:EE:EE:EE:EE:01"),
                workload("b", node: "local", interface: "cali2222222222b", ips: ["10.244.0.6/32"]),
                // The CNI plugin has not created this one's interface yet.
                workload(
                    "c", node: "local", interface: "cali3333333333c", ips: ["10.244.0.7/32"], mac: "ee:ee:ee:ee:ee:03"),
                // Another node's endpoint, even with an interface name that exists here.
                workload("d", node: "far", interface: "cali1111111111a", ips: ["10.244.2.9/32"]),
            ] + extra)
    }

    @Test func workloadRoutesOnlyForInterfacesThatExist() {
        let dataplane = desired(Self.cluster(), environment: Self.environment)
        #expect(
            dataplane.routes[cidr("10.244.0.5/32")]
                == DesiredRoute(
                    destination: cidr("10.244.0.5/32"), target: .interface("cali1111111111a"), kind: .localWorkload,
                    routeProtocol: 3))
        #expect(dataplane.routes[cidr("2001:db8:5::5/128")]?.target == .interface("cali1111111111a"))
        #expect(dataplane.routes[cidr("10.244.0.6/32")]?.target == .interface("cali2222222222b"))
        #expect(dataplane.routes[cidr("10.244.0.7/32")] == nil)
        #expect(dataplane.routes[cidr("10.244.2.9/32")] == nil)
        #expect(dataplane.sysctls["net/ipv4/conf/cali3333333333c/proxy_arp"] == nil)
    }

    @Test func theRouteAppearsWhenTheInterfaceDoes() {
        var environment = Self.environment
        environment.interfaces.insert("cali3333333333c")
        let dataplane = desired(Self.cluster(), environment: environment)
        #expect(dataplane.routes[cidr("10.244.0.7/32")]?.target == .interface("cali3333333333c"))
        #expect(
            dataplane.neighbors.contains(
                DesiredNeighbor(interface: "cali3333333333c", address: ip("10.244.0.7"), mac: mac("ee:ee:ee:ee:ee:03"))))
    }

    @Test func permanentNeighboursForWorkloadMACs() {
        let dataplane = desired(Self.cluster(), environment: Self.environment)
        let workloadNeighbours = dataplane.neighbors.filter { $0.interface.hasPrefix("cali") }
        // IPv4 only (as Felix's static ARP entries), lowercased; none for the endpoint without a MAC.
        #expect(
            workloadNeighbours == [
                DesiredNeighbor(interface: "cali1111111111a", address: ip("10.244.0.5"), mac: mac("ee:ee:ee:ee:ee:01"))
            ])
    }

    @Test func workloadAddressesMustBeSingleAddresses() {
        let cluster = Self.cluster([
            workload("b", node: "local", interface: "cali2222222222b", ips: ["10.244.0.64/26", "10.244.0.6/32"])
        ])
        let dataplane = desired(cluster, environment: Self.environment)
        #expect(dataplane.routes[cidr("10.244.0.6/32")] != nil)
        #expect(dataplane.routes[cidr("10.244.0.64/26")] == nil)
        #expect(dataplane.problems.filter { $0.resource == #"WorkloadEndpoint "default/b""# }.count == 1)
    }

    @Test func interfacePrefixesDecideWhichInterfacesAreWorkloads() {
        var environment = Self.environment
        environment.interfaces.insert("tap0123456789a")
        let cluster = Self.cluster([
            workload("e", node: "local", interface: "tap0123456789a", ips: ["10.244.0.9/32"])
        ])
        let withDefault = desired(cluster, environment: environment)
        #expect(withDefault.routes[cidr("10.244.0.9/32")] == nil)
        #expect(withDefault.problems.contains { $0.reason.contains("does not start with an interface prefix (cali)") })
        let withTap = desired(cluster, environment: environment, overrides: ["InterfacePrefix": "cali,tap"])
        #expect(withTap.routes[cidr("10.244.0.9/32")]?.target == .interface("tap0123456789a"))
        #expect(withTap.problems.isEmpty)
    }

    @Test func blackholeForEachLocalBlockButNotForSingleAddressBlocks() {
        let cluster = Self.cluster([
            block("10.244.0.64/26", affinity: "local"),
            block("10.244.5.5/32", affinity: "local"),
        ])
        let dataplane = desired(cluster, environment: Self.environment)
        let blackholes = dataplane.routes.values.filter { $0.kind == .blackhole }
        #expect(Set(blackholes.map(\.destination)) == [cidr("10.244.0.0/26"), cidr("10.244.0.64/26")])
        #expect(blackholes.allSatisfy { $0.target == .blackhole && $0.routeProtocol == 80 && $0.mtu == nil })
        #expect(dataplane.routes[cidr("10.244.5.5/32")] == nil)
    }

    @Test func sysctlsWithIPv6() {
        let dataplane = desired(Self.cluster(), environment: Self.environment)
        var expected: [String: String] = ["net/ipv4/ip_forward": "1", "net/ipv6/conf/all/forwarding": "1"]
        for interface in ["cali1111111111a", "cali2222222222b"] {
            expected["net/ipv4/conf/\(interface)/proxy_arp"] = "1"
            expected["net/ipv4/neigh/\(interface)/proxy_delay"] = "0"
            expected["net/ipv4/conf/\(interface)/forwarding"] = "1"
            expected["net/ipv4/conf/\(interface)/route_localnet"] = "1"
            expected["net/ipv4/conf/\(interface)/rp_filter"] = "1"
            expected["net/ipv6/conf/\(interface)/accept_ra"] = "0"
            expected["net/ipv6/conf/\(interface)/proxy_ndp"] = "1"
            expected["net/ipv6/conf/\(interface)/forwarding"] = "1"
        }
        #expect(dataplane.sysctls == expected)
    }

    @Test func sysctlsWithoutIPv6() {
        let dataplane = desired(Self.cluster(), environment: Self.environment, overrides: ["ipv6Support": "false"])
        #expect(dataplane.sysctls["net/ipv4/ip_forward"] == "1")
        #expect(dataplane.sysctls["net/ipv4/conf/cali1111111111a/proxy_arp"] == "1")
        #expect(!dataplane.sysctls.keys.contains { $0.hasPrefix("net/ipv6/") })
        #expect(dataplane.routes[cidr("2001:db8:5::5/128")] == nil)
        #expect(dataplane.sysctls.count == 1 + 2 * 5)
    }

    @Test func forwardingLeftAloneWhenIPForwardingIsDisabled() {
        let dataplane = desired(Self.cluster(), environment: Self.environment, overrides: ["ipForwarding": "Disabled"])
        #expect(dataplane.sysctls["net/ipv4/ip_forward"] == nil)
        #expect(dataplane.sysctls["net/ipv6/conf/all/forwarding"] == nil)
        #expect(dataplane.sysctls["net/ipv4/conf/cali1111111111a/forwarding"] == "1")
    }

    @Test func reversePathFilterIsLooseOnlyForAllowedSpoofing() {
        let cluster = Self.cluster([
            workload(
                "b", node: "local", interface: "cali2222222222b", ips: ["10.244.0.6/32"], spoofing: ["10.9.0.0/16"])
        ])
        let strict = desired(cluster, environment: Self.environment)
        #expect(strict.sysctls["net/ipv4/conf/cali2222222222b/rp_filter"] == "1")
        let spoofing = desired(cluster, environment: Self.environment, overrides: ["workloadSourceSpoofing": "Any"])
        #expect(spoofing.sysctls["net/ipv4/conf/cali2222222222b/rp_filter"] == "0")
        #expect(spoofing.sysctls["net/ipv4/conf/cali1111111111a/rp_filter"] == "1")
    }

    @Test func withoutANodeResourceLocalStateIsStillComputed() {
        let cluster = state([
            pool("p", "10.244.0.0/16", vxlan: .always),
            node("far", ip: "198.51.100.3/24", vxlan: "10.244.2.1"),
            block("10.244.0.0/26", affinity: "local"),
            block("10.244.2.0/26", affinity: "far"),
            workload("a", node: "local", interface: "cali1111111111a", ips: ["10.244.0.5/32"]),
        ])
        let dataplane = desired(cluster, environment: Self.environment)
        #expect(dataplane.routes[cidr("10.244.0.5/32")]?.kind == .localWorkload)
        #expect(dataplane.routes[cidr("10.244.0.0/26")]?.kind == .blackhole)
        #expect(dataplane.routes[cidr("10.244.2.0/26")] == nil)
        #expect(dataplane.vxlan == nil)
        #expect(
            dataplane.problems.contains { $0.resource == #"Node "local""# && $0.reason.contains("no Node resource") })
    }

    @Test func theResultDoesNotDependOnInsertionOrder() {
        let resources =
            threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .crossSubnet)).filter { $0.kind != .ipamBlock } + [
                block("10.244.0.0/26", affinity: "local"),
                block("10.244.1.0/26", affinity: "same", allocations: [5: "far", 6: "local"]),
                block("10.244.2.0/26", affinity: "far", allocations: [9: "same"]),
                workload(
                    "a", node: "local", interface: "cali1111111111a", ips: ["10.244.0.5/32"], mac: "ee:ee:ee:ee:ee:01"),
                node("fourth", ip: "203.0.113.4/24"),
                block("10.244.4.0/26", affinity: "fourth"),
            ]
        let forward = desired(state(resources), environment: Self.environment)
        let backward = desired(state(resources.reversed()), environment: Self.environment)
        #expect(forward == backward)
        #expect(!forward.problems.isEmpty)
    }
}
