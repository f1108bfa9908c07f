import NetworkAddress
import Calculation
import CalicoAPI
import ResourceCache
import Testing

@Suite("Resource cache, as the route calculation reads it")
struct ResourceCacheIndexTests {
    @Test func upsertReportsChangesAndIgnoresRepeatsAndOtherKinds() {
        var cluster = ResourceCache()
        let resource = node("a", ip: "192.0.2.1/24")
        do {
            let changed = cluster.upsert(resource) != nil
            #expect(changed)
        }
        do {
            let changed = cluster.upsert(resource) != nil
            #expect(!changed)
        }
        do {
            let changed = cluster.upsert(AnyResource(IPAMConfiguration(name: "default"))) != nil
            #expect(!changed)
        }
        do {
            let changed = cluster.remove(ResourceKey(kind: .ipamConfiguration, name: "default")) != nil
            #expect(!changed)
        }
        do {
            let changed = cluster.upsert(node("a", ip: "192.0.2.9/24")) != nil
            #expect(changed)
        }
        #expect(cluster.node(named: "a")?.resource.spec.bgp?.ipv4Address == cidr("192.0.2.9/24"))
        do {
            let changed = cluster.remove(ResourceKey(kind: .node, name: "a")) != nil
            #expect(changed)
        }
        do {
            let changed = cluster.remove(ResourceKey(kind: .node, name: "a")) != nil
            #expect(!changed)
        }
        #expect(cluster.nodes.isEmpty)
    }

    @Test func workloadEndpointsAreIndexedByNode() {
        var cluster = state([
            workload("a", node: "n1", interface: "calia", ips: ["10.244.0.1/32"]),
            workload("b", node: "n1", interface: "calib", ips: ["10.244.0.2/32"], namespace: "other"),
            workload("a", node: "n2", interface: "calic", ips: ["10.244.1.1/32"], namespace: "other2"),
        ])
        #expect(cluster.workloadEndpoints(on: "n1").map(\.resource.metadata.name) == ["a", "b"])
        #expect(cluster.workloadEndpoints(on: "n2").count == 1)
        #expect(cluster.workloadEndpointCount == 3)
        // Moving an endpoint to another node moves it in the index.
        cluster.upsert(workload("b", node: "n2", interface: "calib", ips: ["10.244.0.2/32"], namespace: "other"))
        #expect(cluster.workloadEndpoints(on: "n1").map(\.resource.metadata.name) == ["a"])
        #expect(cluster.workloadEndpoints(on: "n2").count == 2)
        #expect(cluster.workloadEndpointCount == 3)
        // Removal by key, namespace included.
        do {
            let changed = cluster.remove(ResourceKey(kind: .workloadEndpoint, namespace: "default", name: "b")) != nil
            #expect(!changed)
        }
        do {
            let changed = cluster.remove(ResourceKey(kind: .workloadEndpoint, namespace: "other", name: "b")) != nil
            #expect(changed)
        }
        #expect(cluster.workloadEndpoints(on: "n2").map(\.resource.metadata.namespace) == ["other2"])
        do {
            let changed = cluster.remove(ResourceKey(kind: .workloadEndpoint, namespace: "default", name: "a")) != nil
            #expect(changed)
        }
        #expect(cluster.workloadEndpoints(on: "n1").isEmpty)
        #expect(cluster.workloadEndpointCount == 1)
    }

    @Test func blocksAreIndexedByCIDRAndRemovedByName() {
        var cluster = state([block("10.244.1.0/26", affinity: "a"), block("10.244.2.0/26", affinity: "b")])
        #expect(cluster.block(cidr("10.244.1.0/26"))?.resource.spec.affinity == "host:a")
        #expect(cluster.blocks(affineTo: "b").map(\.resource.spec.cidr) == [cidr("10.244.2.0/26")])
        do {
            let changed = cluster.remove(ResourceKey(kind: .ipamBlock, name: "10-244-1-0-26")) != nil
            #expect(changed)
        }
        #expect(cluster.block(cidr("10.244.1.0/26")) == nil)
        #expect(cluster.blocks.count == 1)
        var deleted = block("10.244.2.0/26", affinity: "b").as(IPAMBlock.self)!
        deleted.spec.deleted = true
        do {
            let changed = cluster.upsert(AnyResource(deleted)) != nil
            #expect(changed)
        }
        #expect(cluster.blocks.isEmpty)
    }

    @Test func unusableResourcesAreReportedUntilFixedOrRemoved() {
        var cluster = ResourceCache()
        // A pool without a CIDR (a manifest without spec: decodes to one; validation rejects it).
        var bad = IPPool(name: "bad")
        do {
            let changed = cluster.upsert(AnyResource(bad)) != nil
            #expect(changed)
        }
        #expect(cluster.pools.isEmpty)
        #expect(cluster.unusable[bad.key]?.contains("spec.cidr") == true)
        let dataplane = Calculator.desired(
            cache: cluster, node: "n", environment: defaultEnvironment, settings: FelixSettings())
        #expect(dataplane.problems.contains { $0.resource == #"IPPool "bad""# })
        bad.spec.cidr = cidr("10.0.0.0/16")
        do {
            let changed = cluster.upsert(AnyResource(bad)) != nil
            #expect(changed)
        }
        #expect(cluster.unusable.isEmpty)
        #expect(cluster.pools["bad"] != nil)
    }

    @Test func hostEndpointsAndConfigurationsAreKept() {
        var cluster = ResourceCache()
        var hostEndpointSpec = HostEndpointSpec()
        hostEndpointSpec.node = "a"
        hostEndpointSpec.interfaceName = "eth0"
        cluster.upsert(AnyResource(HostEndpoint(name: "a-eth0", spec: hostEndpointSpec)))
        cluster.upsert(felixConfiguration("default") { $0.vxlanVNI = 10 })
        #expect(cluster.hostEndpoints(on: "a").map(\.name) == ["a-eth0"])
        #expect(cluster.hostEndpoints(on: "b").isEmpty)
        #expect(cluster.felixConfiguration(named: "default")?.spec.vxlanVNI == 10)
        do {
            let changed = cluster.remove(ResourceKey(kind: .hostEndpoint, name: "a-eth0")) != nil
            #expect(changed)
        }
        #expect(cluster.hostEndpoints.isEmpty)
        do {
            let changed = cluster.remove(ResourceKey(kind: .felixConfiguration, name: "default")) != nil
            #expect(changed)
        }
        #expect(cluster.felixConfigurations.isEmpty)
    }

    @Test func aNodesDataplaneIgnoresOtherNodesEndpointChanges() {
        var cluster = state(threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .always)))
        let before = desired(cluster)
        cluster.upsert(workload("x", node: "far", interface: "cali0000000000x", ips: ["10.244.2.5/32"]))
        #expect(desired(cluster) == before)
    }

    @Test func updatesReplaceWhatTheOldVersionProduced() {
        let environment = NodeEnvironment(
            interfaces: ["eth0", "cali0000000000a"], hostMTU: 1500, underlayInterface: "eth0")
        var cluster = state(threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .always)))
        cluster.upsert(
            workload("a", node: "local", interface: "cali0000000000a", ips: ["10.244.0.5/32"], mac: "ee:ee:ee:ee:ee:01")
        )
        cluster.upsert(
            workload("a", node: "local", interface: "cali0000000000a", ips: ["10.244.0.6/32"], mac: "ee:ee:ee:ee:ee:02")
        )
        var dataplane = desired(cluster, environment: environment)
        #expect(dataplane.routes[cidr("10.244.0.5/32")] == nil)
        #expect(dataplane.routes[cidr("10.244.0.6/32")]?.kind == .localWorkload)
        #expect(dataplane.neighbors.filter { $0.interface == "cali0000000000a" }.map(\.mac) == [mac("ee:ee:ee:ee:ee:02")])
        // A block resource renamed to another CIDR leaves no route to the old one.
        var moved = block("10.244.1.0/26", affinity: "same").as(IPAMBlock.self)!
        moved.spec.cidr = cidr("10.244.5.0/26")
        cluster.upsert(AnyResource(moved))
        dataplane = desired(cluster, environment: environment)
        #expect(dataplane.routes[cidr("10.244.1.0/26")] == nil)
        #expect(dataplane.routes[cidr("10.244.5.0/26")]?.kind == .vxlanTunnel)
        #expect(cluster.block(cidr("10.244.1.0/26")) == nil)
        // Moving the endpoint to another node removes its route here.
        cluster.upsert(workload("a", node: "far", interface: "cali0000000000a", ips: ["10.244.0.6/32"]))
        dataplane = desired(cluster, environment: environment)
        #expect(dataplane.routes[cidr("10.244.0.6/32")] == nil)
        #expect(dataplane.sysctls["net/ipv4/conf/cali0000000000a/proxy_arp"] == nil)
    }
}
