import CalicoAPI
import Datastore
import Foundation
import Testing

@testable import IPAM

/// A pool written through the datastore's write path (not seeded), as `tabbyctl apply` writes it.
func poolResource(_ name: String, _ network: String, blockSize: Int) -> AnyResource {
    var spec = IPPoolSpec(cidr: cidr(network))
    spec.blockSize = blockSize
    return AnyResource(IPPool(name: name, spec: spec))
}

/// A block as an older Tabby (or a hand edit) may have left it, affine to `node`.
func legacyBlock(_ network: String, node: String) -> [AnyResource] {
    let block = cidr(network)
    let spec = IPAMBlockSpec.empty(cidr: block, affinity: "host:\(node)", claimTime: nil, sequenceNumber: 0)
    var affinity = BlockAffinity(
        name: IPAMNames.affinity(node: node, block: block),
        spec: BlockAffinitySpec(state: .confirmed, node: node, cidr: block))
    affinity.spec.type = "host"
    return [AnyResource(IPAMBlock(name: IPAMNames.block(block), spec: spec)), AnyResource(affinity)]
}

func reasons(_ error: DatastoreError?) -> [String] {
    guard case .invalid(_, let errors) = error else { return [] }
    return errors.map { "\($0.field ?? ""): \($0.reason)" }
}

@Suite("Pool safety: no address in two blocks")
struct PoolSafetyTests {
    /// The issue's reproduction: editing a pool's blockSize let node b claim a /28 inside node a's /26, and
    /// both handed out 10.9.0.16.
    @Test func reapplyingAPoolWithAnotherBlockSizeIsRefusedAndNothingIsHandedOutTwice() async throws {
        let store = makeStore(pools: [], nodes: ["a": [:], "b": [:]])
        _ = try await store.create(poolResource("p", "10.9.0.0/26", blockSize: 26))
        let ipam = IPAMClient(datastore: store)
        let first = try await ipam.assign(count: 3, handle: "a-pods", node: "a")
        #expect(first.count == 3)

        var edited = try #require(try await store.get(ResourceKey(kind: .ipPool, name: "p")).as(IPPool.self))
        edited.spec.blockSize = 28
        edited.metadata.resourceVersion = nil
        let error = await #expect(throws: DatastoreError.self) { try await store.update(AnyResource(edited)) }
        #expect(
            reasons(error) == [
                "spec.blockSize: IPPool BlockSize cannot be modified (stored: 26, given: 28); create a new pool "
                    + "and migrate to it instead"
            ])
        #expect(error?.description.contains("IPPool \"p\"") == true)

        var handedOut = first
        handedOut += try await ipam.assign(count: 13, handle: "a-more", node: "a")
        handedOut += try await ipam.assign(count: 1, handle: "b-pod", node: "b")
        #expect(Set(handedOut).count == handedOut.count, "\(handedOut)")
        #expect(try await ipam.blocks().map(\.spec.cidr) == [cidr("10.9.0.0/26")])
        #expect(try await ipam.check(repair: false).isClean)
    }

    @Test func aPoolsCIDRCannotChange() async throws {
        let store = makeStore(pools: [])
        _ = try await store.create(poolResource("p", "10.9.0.0/24", blockSize: 26))
        let error = await #expect(throws: DatastoreError.self) {
            try await store.update(poolResource("p", "10.9.0.0/23", blockSize: 26))
        }
        #expect(
            reasons(error).first?.hasPrefix("spec.cidr: IPPool CIDR cannot be modified (stored: 10.9.0.0/24") == true)
        // Anything else may change.
        var spec = IPPoolSpec(cidr: cidr("10.9.0.0/24"))
        spec.blockSize = 26
        spec.natOutgoing = true
        spec.disabled = true
        _ = try await store.update(AnyResource(IPPool(name: "p", spec: spec)))
    }

    @Test func overlappingPoolsAreRefused() async throws {
        let store = makeStore(pools: [])
        _ = try await store.create(poolResource("wide", "10.9.0.0/16", blockSize: 26))
        let inside = await #expect(throws: DatastoreError.self) {
            try await store.create(poolResource("inside", "10.9.4.0/24", blockSize: 26))
        }
        #expect(reasons(inside) == ["spec.cidr: IPPool(inside) CIDR overlaps with IPPool(wide) CIDR 10.9.0.0/16"])
        let around = await #expect(throws: DatastoreError.self) {
            try await store.create(poolResource("around", "10.8.0.0/15", blockSize: 26))
        }
        #expect(reasons(around) == ["spec.cidr: IPPool(around) CIDR overlaps with IPPool(wide) CIDR 10.9.0.0/16"])
        _ = try await store.create(poolResource("beside", "10.10.0.0/16", blockSize: 26))
        _ = try await store.create(poolResource("v6", "2001:db8::/64", blockSize: 122))
        #expect(try await store.list(.ipPool, namespace: nil).resources.count == 3)
    }

    @Test func aPoolOverBlocksOfAnotherSizeIsRefused() async throws {
        let store = makeStore(pools: [], extra: legacyBlock("10.9.0.0/26", node: "node-a"))
        let error = await #expect(throws: DatastoreError.self) {
            try await store.create(poolResource("p", "10.9.0.0/24", blockSize: 28))
        }
        #expect(
            reasons(error) == [
                "spec.blockSize: IPPool blockSize 28 conflicts with existing allocations that use a different "
                    + "blockSize (block 10.9.0.0/26); release them or use blockSize 26"
            ])
        _ = try await store.create(poolResource("p", "10.9.0.0/24", blockSize: 26))
    }

    @Test func theDatastoreNeverStoresOverlappingBlocks() async throws {
        let store = makeStore(pools: [], extra: legacyBlock("10.9.0.0/26", node: "node-a"))
        let inside = IPAMBlockSpec.empty(
            cidr: cidr("10.9.0.16/28"), affinity: "host:b", claimTime: nil, sequenceNumber: 0)
        let error = await #expect(throws: DatastoreError.self) {
            try await store.create(AnyResource(IPAMBlock(name: "10-9-0-16-28", spec: inside)))
        }
        #expect(
            reasons(error) == [
                "spec.cidr: block 10.9.0.16/28 overlaps existing block 10.9.0.0/26 (10-9-0-0-26); an address may "
                    + "be in one block only"
            ])
        let beside = IPAMBlockSpec.empty(
            cidr: cidr("10.9.0.64/28"), affinity: "host:b", claimTime: nil, sequenceNumber: 0)
        _ = try await store.create(AnyResource(IPAMBlock(name: "10-9-0-64-28", spec: beside)))
    }

    @Test func theFileDatastoreKeepsTheSameRules() async throws {
        let directory = NSTemporaryDirectory() + "tabby-pool-rules-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try FileDatastore(directory: directory)
        _ = try await store.create(poolResource("p", "10.9.0.0/24", blockSize: 26))
        await #expect(throws: DatastoreError.self) {
            try await store.update(poolResource("p", "10.9.0.0/24", blockSize: 28))
        }
        await #expect(throws: DatastoreError.self) {
            try await store.create(poolResource("q", "10.9.0.128/25", blockSize: 26))
        }
        let wide = IPAMBlockSpec.empty(cidr: cidr("10.9.0.0/26"), affinity: "host:a", claimTime: nil, sequenceNumber: 0)
        _ = try await store.create(AnyResource(IPAMBlock(name: "10-9-0-0-26", spec: wide)))
        let inside = IPAMBlockSpec.empty(
            cidr: cidr("10.9.0.16/28"), affinity: "host:b", claimTime: nil, sequenceNumber: 0)
        await #expect(throws: DatastoreError.self) {
            try await store.create(AnyResource(IPAMBlock(name: "10-9-0-16-28", spec: inside)))
        }
        #expect(try await store.list(.ipamBlock, namespace: nil).resources.count == 1)
    }

    @Test func aNewBlockNeverOverlapsABlockOfAnotherSize() throws {
        var spec = IPPoolSpec(cidr: cidr("10.9.0.0/24"))
        spec.blockSize = 28
        let pool = IPPool(name: "p", spec: spec)
        let existing = [cidr("10.9.0.0/26"), cidr("10.9.0.200/30"), cidr("10.9.1.0/26")]
        // Every start index: the walk skips the 4 /28s inside the /26 and the /28 holding the /30.
        for index in 0..<64 {
            let block = try #require(PoolSelection.freeBlock(in: pool, node: "node-\(index)", existing: existing))
            #expect(block.prefixLength == 28)
            #expect(!existing.contains { $0.overlaps(block) }, "node-\(index) got \(block)")
        }
        let all = (0..<16).compactMap { cidr("10.9.0.0/24").subnet(at: UInt64($0), prefixLength: 28) }
        let full = all.filter { !$0.overlaps(cidr("10.9.0.0/26")) } + [cidr("10.9.0.0/26")]
        #expect(PoolSelection.freeBlock(in: pool, node: "n", existing: full) == nil)
    }

    @Test func nodesClaimAroundALegacyBlock() async throws {
        let store = makeStore(
            pools: [pool("p", "10.9.0.0/24", blockSize: 28)], extra: legacyBlock("10.9.0.0/26", node: "node-a"))
        let ipam = IPAMClient(datastore: store)
        let addresses = try await ipam.assign(count: 12 * 16, handle: "b", node: "node-b")
        #expect(!addresses.contains { cidr("10.9.0.0/26").contains($0) })
        #expect(try await ipam.check(repair: false).isClean)
    }

    @Test func checkReportsOverlappingBlocks() async throws {
        let store = makeStore(
            pools: [pool("p", "10.9.0.0/24", blockSize: 28)],
            extra: legacyBlock("10.9.0.0/26", node: "node-a") + legacyBlock("10.9.0.16/28", node: "node-b")
                + legacyBlock("10.9.0.48/28", node: "node-b") + legacyBlock("10.9.0.64/28", node: "node-b"))
        let report = try await IPAMClient(datastore: store).check(repair: true)
        let expected: [IPAMProblem] = [
            .overlappingBlocks(cidr("10.9.0.0/26"), cidr("10.9.0.16/28")),
            .overlappingBlocks(cidr("10.9.0.0/26"), cidr("10.9.0.48/28")),
        ]
        #expect(report.problems == expected)
        #expect(report.unrepaired == expected)
        #expect(
            expected[0].description
                == "blocks 10.9.0.0/26 and 10.9.0.16/28 overlap: an address in both can be handed out twice "
                + "(release the addresses of one of them, then delete it)")
    }
}
