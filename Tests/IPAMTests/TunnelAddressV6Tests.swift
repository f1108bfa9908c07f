import CalicoAPI
import Datastore
import NetworkAddress
import Testing

@testable import IPAM

@Suite("IPv6 VXLAN tunnel addresses")
struct TunnelAddressV6Tests {
    @Test func anIPv6VXLANPoolGivesTheNodeItsAddressAndMAC() async throws {
        let store = makeStore(
            pools: [
                pool("v4", "10.20.0.0/24") { $0.vxlanMode = .always },
                pool("v6", "2001:db8:1::/120", blockSize: 124) { $0.vxlanMode = .crossSubnet },
            ], nodes: ["node-a": [:]])
        let ipam = IPAMClient(datastore: store)
        let tunnels = try await ipam.ensureTunnelAddresses(node: "node-a")
        let address = try #require(tunnels.vxlanV6)
        #expect(cidr("2001:db8:1::/120").contains(address))
        #expect(tunnels.vxlanMACV6 == FelixConventions.vxlanMACV6(node: "node-a"))
        #expect(tunnels.vxlanMACV6 != tunnels.vxlanMAC)
        #expect(tunnels.vxlan.map { cidr("10.20.0.0/24").contains($0) } == true)

        let node = try #require(try await store.get(ResourceKey(kind: .node, name: "node-a")).as(Node.self))
        #expect(node.spec.ipv6VXLANTunnelAddr == address)
        #expect(node.spec.vxlanTunnelMACAddrV6 == tunnels.vxlanMACV6)
        // Calico's handle and attributes, so calico-node and `calicoctl ipam` see the same allocation.
        let allocation = try #require(try await ipam.allocation(of: address))
        #expect(allocation.handle == "vxlan-v6-tunnel-addr-node-a")
        #expect(allocation.attributes["type"] == "vxlanV6TunnelAddress")
        #expect(allocation.attributes["node"] == "node-a")
        // Idempotent.
        #expect(try await ipam.ensureTunnelAddresses(node: "node-a") == tunnels)
        #expect(try await ipam.allocations().count == 2)
        #expect(try await ipam.check(repair: false).isClean)
    }

    @Test func onlyPoolsWithVXLANThatSelectTheNodeCount() async throws {
        let store = makeStore(
            pools: [
                pool("plain", "2001:db8:1::/120", blockSize: 124),
                pool("elsewhere", "2001:db8:2::/120", blockSize: 124) {
                    $0.vxlanMode = .always
                    $0.nodeSelector = "zone == 'b'"
                },
                pool("off", "2001:db8:3::/120", blockSize: 124) {
                    $0.vxlanMode = .always
                    $0.disabled = true
                },
            ], nodes: ["node-a": ["zone": "a"]])
        let ipam = IPAMClient(datastore: store)
        let tunnels = try await ipam.ensureTunnelAddresses(node: "node-a")
        #expect(tunnels.vxlanV6 == nil)
        #expect(tunnels.vxlanMACV6 == nil)
        #expect(try await ipam.allocations().isEmpty)
    }

    @Test func theAddressIsReleasedWhenNoPoolNeedsIt() async throws {
        let store = makeStore(
            pools: [pool("v6", "2001:db8:1::/120", blockSize: 124) { $0.vxlanMode = .always }], nodes: ["n": [:]])
        let ipam = IPAMClient(datastore: store)
        #expect(try await ipam.ensureTunnelAddresses(node: "n").vxlanV6 != nil)
        var stored = try #require(try await store.get(ResourceKey(kind: .ipPool, name: "v6")).as(IPPool.self))
        stored.spec.vxlanMode = .never
        _ = try await store.update(AnyResource(stored))

        #expect(try await ipam.ensureTunnelAddresses(node: "n") == TunnelAddresses())
        #expect(try await ipam.allocations().isEmpty)
        let node = try #require(try await store.get(ResourceKey(kind: .node, name: "n")).as(Node.self))
        #expect(node.spec.ipv6VXLANTunnelAddr == nil)
        #expect(node.spec.vxlanTunnelMACAddrV6 == nil)
    }

    @Test func aMACTheNodeSetsIsKept() async throws {
        var node = Node(name: "n")
        node.spec.vxlanTunnelMACAddrV6 = MACAddress("66:00:00:00:00:06")
        let store = makeStore(
            pools: [pool("v6", "2001:db8:1::/120", blockSize: 124) { $0.vxlanMode = .always }], nodes: [:],
            extra: [AnyResource(node)])
        let tunnels = try await IPAMClient(datastore: store).ensureTunnelAddresses(node: "n")
        #expect(tunnels.vxlanMACV6 == MACAddress("66:00:00:00:00:06"))
    }
}
