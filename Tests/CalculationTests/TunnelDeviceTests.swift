import Calculation
import CalicoAPI
import ResourceCache
import Testing

@Suite("Tunnel devices, VTEPs and MTU")
struct TunnelDeviceTests {
    @Test func noEncapsulationNoDevices() {
        let dataplane = desired(state(threeNodes(pool: pool("p", "10.244.0.0/16"))))
        #expect(dataplane.vxlan == nil)
        #expect(dataplane.ipip == nil)
        #expect(dataplane.neighbors.isEmpty)
        #expect(dataplane.fdb.isEmpty)
        #expect(dataplane.podMTU == 1500)
    }

    @Test func vxlanDeviceWithFelixDefaults() {
        let dataplane = desired(state(threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .always))))
        #expect(
            dataplane.vxlan
                == VXLANDevice(
                    vni: 4096, port: 4789, mac: FelixConventions.vxlanMAC(node: "local"), address: ip("10.244.0.1"),
                    mtu: 1450, parentInterface: "eth0", localAddress: ip("192.0.2.1")))
        #expect(dataplane.ipip == nil)
        #expect(dataplane.podMTU == 1450)
    }

    @Test func vxlanDeviceWaitsForTheTunnelAddress() {
        let cluster = state([
            pool("p", "10.244.0.0/16", vxlan: .always),
            node("local", ip: "192.0.2.1/24"),
            node("far", ip: "198.51.100.3/24", vxlan: "10.244.2.1"),
            block("10.244.2.0/26", affinity: "far"),
        ])
        let dataplane = desired(cluster)
        #expect(dataplane.vxlan == nil)
        #expect(dataplane.routes[cidr("10.244.2.0/26")] == nil)
        #expect(dataplane.neighbors.isEmpty && dataplane.fdb.isEmpty)
        #expect(dataplane.problems.map(\.reason).contains { $0.contains("no IPv4 VXLAN tunnel address") })
        // The pod MTU already accounts for VXLAN, which is in use.
        #expect(dataplane.podMTU == 1450)
    }

    @Test func vxlanEnabledByConfigurationWithoutVXLANPools() {
        let cluster = state(
            threeNodes(pool: pool("p", "10.244.0.0/16")) + [felixConfiguration("default") { $0.vxlanEnabled = true }])
        let dataplane = desired(cluster)
        #expect(dataplane.vxlan?.address == ip("10.244.0.1"))
        // Remote VTEPs are programmed; block routes follow the pool (no encapsulation).
        #expect(dataplane.fdb.count == 2)
        #expect(dataplane.routes[cidr("10.244.1.0/26")]?.kind == .noEncapsulation)
    }

    @Test func ipipDevice() {
        let dataplane = desired(state(threeNodes(pool: pool("p", "10.244.0.0/16", ipip: .crossSubnet))))
        #expect(dataplane.ipip == IPIPDevice(address: ip("10.244.0.2"), mtu: 1480))
        #expect(dataplane.vxlan == nil)
        #expect(dataplane.podMTU == 1480)
    }

    @Test func ipipDeviceWithoutATunnelAddressYet() {
        let cluster = state([pool("p", "10.244.0.0/16", ipip: .always), node("local", ip: "192.0.2.1/24")])
        #expect(desired(cluster).ipip == IPIPDevice(address: nil, mtu: 1480))
    }

    @Test func ipv6PoolsTurnOnIPv6VXLANOnly() {
        let cluster = state([pool("v6", "2001:db8:1::/48", vxlan: .always), node("local", ip: "192.0.2.1/24")])
        #expect(FelixSettings.resolve(cache: cluster, node: "local").1.isEmpty)
        let dataplane = desired(cluster)
        #expect(dataplane.vxlan == nil)
        // IPv6 VXLAN is in use (Felix's VXLANEnabledV6), so its MTU counts, though the device waits for addresses.
        #expect(dataplane.vxlanV6 == nil)
        #expect(dataplane.podMTU == 1430)
    }

    struct MTUCase: Sendable, CustomTestStringConvertible {
        let global: Int?
        let perNode: Int?
        let otherNode: Int?
        let override: String?
        let expected: Int
        var testDescription: String { "default \(global as Any), node \(perNode as Any), local \(override as Any)" }
    }

    @Test(arguments: [
        MTUCase(global: nil, perNode: nil, otherNode: nil, override: nil, expected: 8950),
        MTUCase(global: 1400, perNode: nil, otherNode: nil, override: nil, expected: 1400),
        MTUCase(global: 1400, perNode: 1300, otherNode: nil, override: nil, expected: 1300),
        MTUCase(global: nil, perNode: 1300, otherNode: nil, override: nil, expected: 1300),
        MTUCase(global: 1400, perNode: nil, otherNode: 1200, override: nil, expected: 1400),
        MTUCase(global: 1400, perNode: 1300, otherNode: nil, override: "1250", expected: 1250),
        MTUCase(global: 1400, perNode: 1300, otherNode: nil, override: "0", expected: 8950),
    ])
    func vxlanMTUPrecedence(_ test: MTUCase) {
        var resources = threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .always))
        if let value = test.global { resources.append(felixConfiguration("default") { $0.vxlanMTU = value }) }
        if let value = test.perNode { resources.append(felixConfiguration("node.local") { $0.vxlanMTU = value }) }
        if let value = test.otherNode { resources.append(felixConfiguration("node.far") { $0.vxlanMTU = value }) }
        let environment = NodeEnvironment(interfaces: ["eth0"], hostMTU: 9000, underlayInterface: "eth0")
        let overrides = test.override.map { ["vxlanMTU": $0] } ?? [:]
        let dataplane = desired(state(resources), environment: environment, overrides: overrides)
        #expect(dataplane.vxlan?.mtu == test.expected)
        #expect(dataplane.routes[cidr("10.244.2.0/26")]?.mtu == test.expected)
        #expect(dataplane.podMTU == test.expected)
    }

    @Test func podMTUIsTheSmallestAmongEnabledEncapsulations() {
        let resources =
            threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .always)) + [
                felixConfiguration("default") {
                    $0.ipipEnabled = true
                    $0.ipipMTU = 1400
                }
            ]
        let dataplane = desired(state(resources))
        #expect(dataplane.vxlan?.mtu == 1450)
        #expect(dataplane.ipip?.mtu == 1400)
        #expect(dataplane.podMTU == 1400)
        let bigIPIP = desired(state(resources), overrides: ["ipipMTU": "1470"])
        #expect(bigIPIP.podMTU == 1450)
    }

    @Test func vxlanSettingsFromConfiguration() {
        let resources =
            threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .always)) + [
                felixConfiguration("default") {
                    $0.vxlanVNI = 4097
                    $0.vxlanPort = 8472
                }
            ]
        let device = desired(state(resources)).vxlan
        #expect(device?.vni == 4097)
        #expect(device?.port == 8472)
    }

    @Test func vtepMACIsDerivedUnlessTheNodeSetsOne() {
        // Felix's derivation: 0x66 then the first five bytes of SHA-1 of the node name.
        #expect(FelixConventions.vxlanMAC(node: "local").bytes.first == 0x66)
        var resources = threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .always))
        resources.append(node("local", ip: "192.0.2.1/24", vxlan: "10.244.0.1", mac: "02:AB:CD:EF:01:23"))
        resources.append(node("far", ip: "198.51.100.3/24", vxlan: "10.244.2.1", mac: "02-00-00-00-00-0F"))
        let dataplane = desired(state(resources))
        #expect(dataplane.vxlan?.mac == mac("02:ab:cd:ef:01:23"))
        #expect(
            dataplane.neighbors.contains(
                DesiredNeighbor(interface: "vxlan.calico", address: ip("10.244.2.1"), mac: mac("02:00:00:00:00:0f"))))
        #expect(
            dataplane.neighbors.contains(
                DesiredNeighbor(
                    interface: "vxlan.calico", address: ip("10.244.1.1"), mac: FelixConventions.vxlanMAC(node: "same")))
        )
    }

    @Test func oneNeighbourAndOneFDBEntryPerRemoteVTEP() {
        let resources =
            threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .always)) + [
                node("novtep", ip: "203.0.113.4/24"),
                node("noip", ip: nil, vxlan: "10.244.5.1"),
            ]
        let dataplane = desired(state(resources))
        let sameMAC = FelixConventions.vxlanMAC(node: "same")
        let farMAC = FelixConventions.vxlanMAC(node: "far")
        #expect(
            dataplane.neighbors == [
                DesiredNeighbor(interface: "vxlan.calico", address: ip("10.244.1.1"), mac: sameMAC),
                DesiredNeighbor(interface: "vxlan.calico", address: ip("10.244.2.1"), mac: farMAC),
            ])
        #expect(
            dataplane.fdb == [
                DesiredFDBEntry(interface: "vxlan.calico", mac: sameMAC, destination: ip("192.0.2.2")),
                DesiredFDBEntry(interface: "vxlan.calico", mac: farMAC, destination: ip("198.51.100.3")),
            ])
    }
}
