import Calculation
import ResourceCache
import CalicoAPI
import Testing

@Suite("Borrowed addresses and route conflicts")
struct BorrowedAddressTests {
    /// Block 10.244.1.0/26 is affine to `same`; its address .5 is allocated to `far`, .6 to `local`, .7 to
    /// `same` itself and .8 has no node attribute.
    static func cluster(vxlan: EncapsulationMode = .always) -> ResourceCache {
        var resources = threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: vxlan))
        resources.append(
            block("10.244.1.0/26", affinity: "same", allocations: [5: "far", 6: "local", 7: "same", 8: nil]))
        return state(resources)
    }

    @Test func aThirdNodeRoutesTheBorrowedAddressToItsUser() {
        let dataplane = desired(Self.cluster())
        // The block goes to its owner, the borrowed /32 to the node that uses it.
        #expect(
            dataplane.routes[cidr("10.244.1.0/26")]?.target == .gateway(ip("10.244.1.1"), interface: "vxlan.calico"))
        #expect(
            dataplane.routes[cidr("10.244.1.5/32")]
                == DesiredRoute(
                    destination: cidr("10.244.1.5/32"), target: .gateway(ip("10.244.2.1"), interface: "vxlan.calico"),
                    kind: .vxlanTunnel, routeProtocol: 3, mtu: 1450))
        // This node's own borrowed address is its workload's route (none here: no endpoint), and addresses of
        // the owner or without a node need no /32.
        #expect(dataplane.routes[cidr("10.244.1.6/32")] == nil)
        #expect(dataplane.routes[cidr("10.244.1.7/32")] == nil)
        #expect(dataplane.routes[cidr("10.244.1.8/32")] == nil)
    }

    @Test func theBlockOwnerKeepsItsBlackholeAndRoutesTheBorrowedAddressOut() {
        let dataplane = desired(Self.cluster(), node: "same")
        #expect(dataplane.routes[cidr("10.244.1.0/26")]?.kind == .blackhole)
        #expect(
            dataplane.routes[cidr("10.244.1.5/32")]?.target == .gateway(ip("10.244.2.1"), interface: "vxlan.calico"))
        // `local` is in the same subnet as `same` but the pool is VXLAN Always: still the tunnel.
        #expect(
            dataplane.routes[cidr("10.244.1.6/32")]?.target == .gateway(ip("10.244.0.1"), interface: "vxlan.calico"))
    }

    @Test func theBorrowedRouteFollowsTheUsersRouteKind() {
        // CrossSubnet: from `same`, `local` is in its subnet (direct) and `far` is not (tunnel).
        let dataplane = desired(Self.cluster(vxlan: .crossSubnet), node: "same")
        #expect(
            dataplane.routes[cidr("10.244.1.6/32")]
                == DesiredRoute(
                    destination: cidr("10.244.1.6/32"), target: .gateway(ip("192.0.2.1"), interface: "eth0"),
                    kind: .vxlanSameSubnet, routeProtocol: 80))
        #expect(dataplane.routes[cidr("10.244.1.5/32")]?.kind == .vxlanTunnel)
    }

    @Test func theUserOfABorrowedAddressRoutesItToItsWorkload() {
        var cluster = Self.cluster()
        cluster.upsert(workload("pod-a", node: "far", interface: "cali0000000000a", ips: ["10.244.1.5/32"]))
        let environment = NodeEnvironment(
            interfaces: ["eth0", "cali0000000000a"], hostMTU: 1500, underlayInterface: "eth0")
        let dataplane = desired(cluster, node: "far", environment: environment)
        #expect(
            dataplane.routes[cidr("10.244.1.5/32")]
                == DesiredRoute(
                    destination: cidr("10.244.1.5/32"), target: .interface("cali0000000000a"), kind: .localWorkload,
                    routeProtocol: 3))
    }

    @Test func unaffineBlocksRouteEachAllocationToItsNode() {
        let cluster = state(
            threeNodes(pool: pool("p", "10.244.0.0/16", ipip: .always))
                + [block("10.244.9.0/26", affinity: nil, allocations: [1: "far", 2: "local"])])
        let dataplane = desired(cluster)
        #expect(dataplane.routes[cidr("10.244.9.0/26")] == nil)
        #expect(dataplane.routes[cidr("10.244.9.1/32")]?.target == .gateway(ip("198.51.100.3"), interface: "tunl0"))
        #expect(dataplane.routes[cidr("10.244.9.2/32")] == nil)
    }

    @Test func theLowestRouteKindWinsForOneDestination() {
        // A remote /32 block that a local workload also claims (say, during a move): the workload route wins.
        let resources =
            threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .always)) + [
                block("10.244.3.7/32", affinity: "far"),
                block("10.244.3.8/32", affinity: "far"),
                workload("pod", node: "local", interface: "cali0000000000b", ips: ["10.244.3.7/32"]),
            ]
        let environment = NodeEnvironment(
            interfaces: ["eth0", "cali0000000000b"], hostMTU: 1500, underlayInterface: "eth0")
        let dataplane = desired(state(resources), environment: environment)
        #expect(dataplane.routes[cidr("10.244.3.7/32")]?.kind == .localWorkload)
        #expect(dataplane.routes[cidr("10.244.3.8/32")]?.kind == .vxlanTunnel)
    }

    @Test func aRemoteBorrowedAddressBeatsTheLocalBlackholeOnlyForItsOwnPrefix() {
        // A /32 block affine to this node gets no blackhole, so a borrowed use elsewhere is routed normally.
        let resources =
            threeNodes(pool: pool("p", "10.244.0.0/16", ipip: .always)) + [
                block("10.244.4.0/32", affinity: "local", allocations: [0: "far"])
            ]
        let dataplane = desired(state(resources))
        #expect(dataplane.routes[cidr("10.244.4.0/32")]?.kind == .ipipTunnel)
    }

    @Test(arguments: [
        (DesiredRoute.Kind.localWorkload, DesiredRoute.Kind.vxlanSameSubnet),
        (.vxlanSameSubnet, .vxlanTunnel), (.vxlanTunnel, .ipipSameSubnet), (.ipipSameSubnet, .ipipTunnel),
        (.ipipTunnel, .noEncapsulation), (.noEncapsulation, .blackhole),
    ])
    func routeKindsAreOrderedAsFelixsRouteClasses(lower: DesiredRoute.Kind, higher: DesiredRoute.Kind) {
        #expect(lower < higher)
    }

    @Test func deletedBlocksAreIgnored() {
        var cluster = Self.cluster()
        var deleted = block("10.244.1.0/26", affinity: "same", allocations: [5: "far"]).as(IPAMBlock.self)!
        deleted.spec.deleted = true
        cluster.upsert(AnyResource(deleted))
        let dataplane = desired(cluster)
        #expect(dataplane.routes[cidr("10.244.1.0/26")] == nil)
        #expect(dataplane.routes[cidr("10.244.1.5/32")] == nil)
    }
}
