import NetworkAddress
import CalicoAPI
import ResourceCache
import Testing

@Suite("Resource cache deltas")
struct ResourceDeltaTests {
    private func resource(_ yaml: String) throws -> AnyResource { try ResourceCodec.decodeOne(yaml) }

    private func endpoint(_ name: String, node: String, labels: String = "{app: web}") throws -> AnyResource {
        try resource(
            """
            apiVersion: projectcalico.org/v3
            kind: WorkloadEndpoint
            metadata: {name: \(name), namespace: shop, labels: \(labels)}
            spec: {node: \(node), interfaceName: cali\(name), ipNetworks: [192.0.2.7/32]}
            """)
    }

    @Test func addedUpdatedRemovedCarryWhatWasBeforeAndAfter() throws {
        var cache = ResourceCache()
        let first = try endpoint("a", node: "n1")
        let addedDelta = cache.upsert(first)
        let added = try #require(addedDelta)
        #expect(added.change == .added && added.previous == nil && added.current == first)
        #expect(cache.upsert(first) == nil, "an identical resource is no change")

        let moved = try endpoint("a", node: "n2")
        let updatedDelta = cache.upsert(moved)
        let updated = try #require(updatedDelta)
        #expect(updated.change == .updated)
        #expect(updated.contents(as: WorkloadEndpoint.self).previous?.spec.node == "n1")
        #expect(cache.workloadEndpoints(on: "n1").isEmpty)
        #expect(cache.workloadEndpointKeys(on: "n2") == [first.key])

        let removedDelta = cache.remove(first.key)
        let removed = try #require(removedDelta)
        #expect(removed.change == .removed && removed.previous == moved && removed.current == nil)
        #expect(cache.remove(first.key) == nil)
        #expect(cache.workloadEndpointCount == 0)
    }

    @Test func kindsNoCalculationReadsAreNotKept() throws {
        var cache = ResourceCache()
        let handle = try resource(
            """
            apiVersion: projectcalico.org/v3
            kind: IPAMHandle
            metadata: {name: h}
            spec: {handleID: h, block: {"192.0.2.0/26": 1}}
            """)
        #expect(cache.upsert(handle) == nil)
        #expect(cache.resource(handle.key) == nil)
    }

    @Test func policyKindsAreKeptAsStored() throws {
        var cache = ResourceCache()
        let set = try resource(
            """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkSet
            metadata: {name: outside, labels: {zone: far}}
            spec: {nets: [198.51.100.0/24]}
            """)
        #expect(cache.upsert(set)?.change == .added)
        #expect(cache.resource(set.key) == set)
        #expect(cache.resources(of: .globalNetworkSet) == [set])
    }

    /// One interpretation for every reader: an entry that is not a single address (validation refuses one, but
    /// a resource can come from elsewhere) is left out and reported, for routes and for policy alike.
    @Test func workloadAddressesAreInterpretedOnce() throws {
        var cache = ResourceCache()
        var written = try #require(try endpoint("a", node: "n1").as(WorkloadEndpoint.self))
        written.spec.ipNetworks = [try CIDR(parsing: "192.0.2.7/32"), try CIDR(parsing: "192.0.2.0/24")]
        let delta = cache.upsert(AnyResource(written))
        let key = try #require(delta).key
        let record = try #require(cache.workloadEndpoint(key))
        #expect(record.addresses == [try CIDR(parsing: "192.0.2.7/32")])
        #expect(record.problems == ["ipNetworks entry 192.0.2.0/24 is not a single address (/32 or /128)"])
    }

    @Test func anUnusablePoolIsReportedAndRemovedFromReaders() throws {
        var cache = ResourceCache()
        var pool = IPPool(name: "p", spec: IPPoolSpec(cidr: try CIDR(parsing: "192.0.2.0/24")))
        #expect(cache.upsert(AnyResource(pool))?.change == .added)
        // A pool without a CIDR (validation refuses one; a resource can come from elsewhere).
        pool.spec.cidr = nil
        let broken = cache.upsert(AnyResource(pool))
        #expect(broken?.change == .removed)
        #expect(cache.pools.isEmpty)
        #expect(cache.unusable[pool.key] != nil)
        #expect(cache.upsert(AnyResource(pool)) == nil, "the same broken pool again changes nothing")
        #expect(cache.remove(pool.key)?.change == .removed, "removing it clears the problem")
        #expect(cache.unusable.isEmpty)
    }
}
