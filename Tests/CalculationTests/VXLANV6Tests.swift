import Calculation
import CalicoAPI
import NetworkAddress
import ResourceCache
import Testing

/// IPv6 VXLAN (`vxlan-v6.calico`) as Felix programs it: the device, the remote VTEPs, routes, CrossSubnet, MTU.
@Suite("IPv6 VXLAN: vxlan-v6.calico")
struct VXLANV6Tests {
    /// `local` and `same` share 2001:db8::/64 (and 192.0.2.0/24); `far` is in 2001:db8:ff::/64. Each node has one
    /// /122 block of 2001:db8:1::/48, whose first address is its IPv6 VXLAN tunnel address.
    static func cluster(mode: EncapsulationMode = .always, extra: [AnyResource] = []) -> [AnyResource] {
        [
            pool("v6", "2001:db8:1::/48", vxlan: mode),
            node("local", ip: "192.0.2.1/24", ipv6: "2001:db8::1/64", vxlanV6: "2001:db8:1::1"),
            node("same", ip: "192.0.2.2/24", ipv6: "2001:db8::2/64", vxlanV6: "2001:db8:1::41"),
            node("far", ip: "198.51.100.3/24", ipv6: "2001:db8:ff::3/64", vxlanV6: "2001:db8:1::81"),
            block("2001:db8:1::/122", affinity: "local"),
            block("2001:db8:1::40/122", affinity: "same"),
            block("2001:db8:1::80/122", affinity: "far"),
        ] + extra
    }

    @Test func theDeviceFollowsFelix() throws {
        let dataplane = desired(state(Self.cluster()))
        let device = try #require(dataplane.vxlanV6)
        #expect(device.interfaceName == "vxlan-v6.calico")
        #expect(
            device
                == VXLANDevice(
                    vni: 4096, port: 4789, mac: FelixConventions.vxlanMACV6(node: "local"),
                    address: ip("2001:db8:1::1"), mtu: 1430, parentInterface: "eth0",
                    localAddress: ip("2001:db8::1")))
        // No IPv4 VXLAN pool: no vxlan.calico.
        #expect(dataplane.vxlan == nil)
        #expect(!dataplane.problems.contains { $0.reason.contains("IPv6 VXLAN") }, "\(dataplane.problems)")
    }

    @Test func theMACIsFelixsDerivationOfTheNameWithV6() {
        // SHA-1("node-1-v6") starts 24 ac 63 df 6c; SHA-1("node-1") starts b3 68 28 39 8e.
        #expect(FelixConventions.vxlanMACV6(node: "node-1") == mac("66:24:ac:63:df:6c"))
        #expect(FelixConventions.vxlanMAC(node: "node-1") == mac("66:b3:68:28:39:8e"))
        // A MAC set on the Node wins.
        var resources = Self.cluster()
        resources[1] = node(
            "local", ip: "192.0.2.1/24", ipv6: "2001:db8::1/64", vxlanV6: "2001:db8:1::1", macV6: "66:00:00:00:00:06")
        #expect(desired(state(resources)).vxlanV6?.mac == mac("66:00:00:00:00:06"))
    }

    @Test func remoteVTEPsGetNeighboursFDBEntriesAndRoutes() {
        let dataplane = desired(state(Self.cluster()))
        for (name, tunnel, nodeIP) in [
            ("same", "2001:db8:1::41", "2001:db8::2"), ("far", "2001:db8:1::81", "2001:db8:ff::3"),
        ] {
            let vtepMAC = FelixConventions.vxlanMACV6(node: name)
            #expect(
                dataplane.neighbors.contains(
                    DesiredNeighbor(interface: "vxlan-v6.calico", address: ip(tunnel), mac: vtepMAC)))
            #expect(
                dataplane.fdb.contains(
                    DesiredFDBEntry(interface: "vxlan-v6.calico", mac: vtepMAC, destination: ip(nodeIP))))
        }
        #expect(dataplane.neighbors.count == 2)
        #expect(dataplane.fdb.count == 2)
        #expect(
            dataplane.routes[cidr("2001:db8:1::80/122")]
                == DesiredRoute(
                    destination: cidr("2001:db8:1::80/122"),
                    target: .gateway(ip("2001:db8:1::81"), interface: "vxlan-v6.calico"), kind: .vxlanTunnel,
                    routeProtocol: 3, mtu: 1430))
        // Always: the node in this subnet goes through the tunnel too.
        #expect(
            dataplane.routes[cidr("2001:db8:1::40/122")]?.target
                == .gateway(ip("2001:db8:1::41"), interface: "vxlan-v6.calico"))
        #expect(
            dataplane.routes[cidr("2001:db8:1::/122")]
                == DesiredRoute(
                    destination: cidr("2001:db8:1::/122"), target: .blackhole, kind: .blackhole, routeProtocol: 80))
    }

    @Test func crossSubnetGoesDirectInTheSubnetAndThroughTheTunnelOutsideIt() {
        let environment = NodeEnvironment(
            interfaces: ["eth0", "eth1"], hostMTU: 1500, underlayInterface: "eth0", underlayInterfaceV6: "eth1")
        let dataplane = desired(state(Self.cluster(mode: .crossSubnet)), environment: environment)
        #expect(
            dataplane.routes[cidr("2001:db8:1::40/122")]
                == DesiredRoute(
                    destination: cidr("2001:db8:1::40/122"), target: .gateway(ip("2001:db8::2"), interface: "eth1"),
                    kind: .vxlanSameSubnet, routeProtocol: 80))
        #expect(
            dataplane.routes[cidr("2001:db8:1::80/122")]?.target
                == .gateway(ip("2001:db8:1::81"), interface: "vxlan-v6.calico"))
        // The IPv6 underlay, not the IPv4 one, is the device's parent.
        #expect(dataplane.vxlanV6?.parentInterface == "eth1")
    }

    @Test func crossSubnetWaitsForTheIPv6Underlay() {
        let environment = NodeEnvironment(interfaces: ["eth0"], hostMTU: 1500, underlayInterface: "eth0")
        let dataplane = desired(state(Self.cluster(mode: .crossSubnet)), environment: environment)
        #expect(dataplane.routes[cidr("2001:db8:1::40/122")] == nil)
        #expect(
            dataplane.problems.contains {
                $0.reason.contains("wait for the interface holding the node's IPv6 address")
            })
    }

    @Test func vniPortAndMTUComeFromFelixConfiguration() throws {
        let resources = Self.cluster(extra: [
            felixConfiguration("default") {
                $0.vxlanVNI = 7000
                $0.vxlanPort = 8472
                $0.vxlanMTUV6 = 1400
                $0.vxlanMTU = 1300
            }
        ])
        let dataplane = desired(state(resources))
        let device = try #require(dataplane.vxlanV6)
        #expect(device.vni == 7000)
        #expect(device.port == 8472)
        #expect(device.mtu == 1400)
        #expect(dataplane.routes[cidr("2001:db8:1::80/122")]?.mtu == 1400)
        #expect(dataplane.podMTU == 1400)
    }

    @Test func podMTUIsTheSmallestOfTheEncapsulationsInUse() {
        let v4Pool = pool("v4", "10.244.0.0/16", vxlan: .always)
        let v4Node = node(
            "local", ip: "192.0.2.1/24", vxlan: "10.244.0.1", ipv6: "2001:db8::1/64", vxlanV6: "2001:db8:1::1")
        // IPv4 VXLAN alone: host - 50.
        #expect(desired(state([v4Pool, v4Node])).podMTU == 1450)
        // With an IPv6 VXLAN pool: host - 70.
        #expect(desired(state([v4Pool, v4Node, pool("v6", "2001:db8:1::/48", vxlan: .always)])).podMTU == 1430)
        // An IPv6 pool without VXLAN does not count.
        #expect(desired(state([v4Pool, v4Node, pool("v6", "2001:db8:1::/48")])).podMTU == 1450)
        // Nor does one when IPv6 is off.
        let off = desired(
            state([v4Pool, v4Node, pool("v6", "2001:db8:1::/48", vxlan: .always)]), overrides: ["ipv6Support": "false"])
        #expect(off.podMTU == 1450)
    }

    @Test func dualStackHasBothDevicesEachWithItsOwnVTEPs() throws {
        let resources: [AnyResource] = [
            pool("v4", "10.244.0.0/16", vxlan: .always),
            pool("v6", "2001:db8:1::/48", vxlan: .always),
            node(
                "local", ip: "192.0.2.1/24", vxlan: "10.244.0.1", ipv6: "2001:db8::1/64", vxlanV6: "2001:db8:1::1"),
            node(
                "far", ip: "198.51.100.3/24", vxlan: "10.244.2.1", ipv6: "2001:db8:ff::3/64", vxlanV6: "2001:db8:1::81"),
            block("10.244.2.0/26", affinity: "far"),
            block("2001:db8:1::80/122", affinity: "far"),
        ]
        let dataplane = desired(state(resources))
        #expect(dataplane.vxlan?.mac == FelixConventions.vxlanMAC(node: "local"))
        #expect(dataplane.vxlanV6?.mac == FelixConventions.vxlanMACV6(node: "local"))
        #expect(
            Set(dataplane.fdb)
                == [
                    DesiredFDBEntry(
                        interface: "vxlan.calico", mac: FelixConventions.vxlanMAC(node: "far"),
                        destination: ip("198.51.100.3")),
                    DesiredFDBEntry(
                        interface: "vxlan-v6.calico", mac: FelixConventions.vxlanMACV6(node: "far"),
                        destination: ip("2001:db8:ff::3")),
                ])
        #expect(
            dataplane.routes[cidr("10.244.2.0/26")]?.target == .gateway(ip("10.244.2.1"), interface: "vxlan.calico"))
        #expect(
            dataplane.routes[cidr("2001:db8:1::80/122")]?.target
                == .gateway(ip("2001:db8:1::81"), interface: "vxlan-v6.calico"))
    }

    @Test func nothingIPv6IsProgrammedWithoutIPv6Support() {
        let dataplane = desired(state(Self.cluster()), overrides: ["ipv6Support": "false"])
        #expect(dataplane.vxlanV6 == nil)
        #expect(dataplane.neighbors.isEmpty)
        #expect(dataplane.fdb.isEmpty)
        #expect(dataplane.routes.isEmpty)
        #expect(dataplane.podMTU == 1500)
    }

    @Test func vxlanEnabledDoesNotSwitchIPv6VXLAN() {
        // Felix derives IPv6 VXLAN from the pools alone; vxlanEnabled is IPv4's.
        let resources = Self.cluster(extra: [felixConfiguration("default") { $0.vxlanEnabled = false }])
        let dataplane = desired(state(resources))
        #expect(dataplane.vxlanV6 != nil)
        #expect(dataplane.routes[cidr("2001:db8:1::80/122")]?.kind == .vxlanTunnel)
    }

    @Test func everythingGoesWithThePool() {
        var cache = state(Self.cluster())
        #expect(desired(cache).vxlanV6 != nil)
        cache.remove(ResourceKey(kind: .ipPool, name: "v6"))
        let dataplane = desired(cache)
        #expect(dataplane.vxlanV6 == nil)
        #expect(!dataplane.neighbors.contains { $0.interface == "vxlan-v6.calico" })
        #expect(!dataplane.fdb.contains { $0.interface == "vxlan-v6.calico" })
        #expect(!dataplane.routes.values.contains { $0.target.interface == "vxlan-v6.calico" })
        // The pool's former blocks are not routed through a tunnel any more (no pool: no encapsulation).
        #expect(dataplane.routes[cidr("2001:db8:1::80/122")] == nil)
    }

    @Test func missingAddressesAreReportedNotGuessed() {
        var resources = Self.cluster()
        resources[1] = node("local", ip: "192.0.2.1/24", ipv6: "2001:db8::1/64")
        var dataplane = desired(state(resources))
        #expect(dataplane.vxlanV6 == nil)
        #expect(dataplane.problems.contains { $0.reason.contains("spec.ipv6VXLANTunnelAddr") })
        #expect(dataplane.routes[cidr("2001:db8:1::80/122")] == nil)

        resources[1] = node("local", ip: "192.0.2.1/24", vxlanV6: "2001:db8:1::1")
        dataplane = desired(state(resources))
        #expect(dataplane.vxlanV6 == nil)
        #expect(dataplane.problems.contains { $0.reason.contains("no IPv6 address (spec.bgp.ipv6Address)") })

        // A remote without its IPv6 tunnel address: no neighbour, no FDB entry, no route, one problem.
        resources = Self.cluster()
        resources[3] = node("far", ip: "198.51.100.3/24", ipv6: "2001:db8:ff::3/64")
        dataplane = desired(state(resources))
        #expect(dataplane.routes[cidr("2001:db8:1::80/122")] == nil)
        #expect(!dataplane.fdb.contains { $0.destination == ip("2001:db8:ff::3") })
        #expect(
            dataplane.problems.contains {
                $0.reason.contains(
                    "node far's VXLAN tunnel endpoint (spec.ipv6VXLANTunnelAddr and spec.bgp.ipv6Address)")
            })
    }

    @Test func aTunnelAddressOfTheWrongFamilyIsAProblemOfTheRecord() throws {
        var spec = NodeSpec()
        spec.bgp = NodeSpec.BGP(ipv4Address: cidr("192.0.2.1/24"))
        spec.ipv6VXLANTunnelAddr = ip("10.244.0.9")
        let cache = state([AnyResource(Node(name: "local", spec: spec))])
        let record = try #require(cache.nodes["local"])
        #expect(record.vxlanTunnelAddressV6 == nil)
        #expect(record.problems == ["spec.ipv6VXLANTunnelAddr \"10.244.0.9\" is not an IPv6 address"])
        #expect(record.vtep(.v6) == nil)
    }
}

extension DesiredRoute.Target {
    fileprivate var interface: String? {
        switch self {
        case .interface(let name), .gateway(_, let name): name
        case .blackhole: nil
        }
    }
}
