import CalicoAPI
import Datastore
import Testing

@testable import IPAM

@Suite("ipam split and configure")
struct PoolSplitTests {
    @Test func cidrsSplitIntoPowersOfTwo() throws {
        #expect(
            try IPAMClient.splitCIDR(cidr("172.0.0.0/15"), into: 2) == [cidr("172.0.0.0/16"), cidr("172.1.0.0/16")])
        #expect(try IPAMClient.splitCIDR(cidr("2001:db8::/120"), into: 4).last == cidr("2001:db8::c0/122"))
        for parts in [0, 1, 3, 6] {
            #expect(throws: IPAMClient.SplitProblem.self) { try IPAMClient.splitCIDR(cidr("10.0.0.0/24"), into: parts) }
        }
        #expect(throws: IPAMClient.SplitProblem.self) { try IPAMClient.splitCIDR(cidr("10.0.0.0/31"), into: 4) }
        #expect(IPAMClient.splitName(String(repeating: "p", count: 250), 3).utf8.count <= 253)
    }

    @Test func aPoolIsSplitOnlyWhenDisabledAndKeepsItsBlocks() async throws {
        let store = makeStore(pools: [])
        var spec = IPPoolSpec(cidr: cidr("10.9.0.0/24"))
        spec.blockSize = 26
        spec.natOutgoing = true
        var original = IPPool(name: "p", spec: spec)
        original.metadata.labels = ["team": "net"]
        _ = try await store.create(AnyResource(original))
        let ipam = IPAMClient(datastore: store)
        let held = try await ipam.assign(count: 70, handle: "h", node: "n")

        let enabled = await #expect(throws: IPAMError.self) { try await ipam.split(pool: "p", into: 2) }
        #expect(enabled?.description.hasPrefix("cannot split IP pool p: disable it first") == true)

        var disabled = try #require(try await store.get(ResourceKey(kind: .ipPool, name: "p")).as(IPPool.self))
        disabled.spec.disabled = true
        _ = try await store.update(AnyResource(disabled))
        let tooSmall = await #expect(throws: IPAMError.self) { try await ipam.split(pool: "10.9.0.0/24", into: 8) }
        #expect(tooSmall?.description.contains("would be smaller than its block size /26") == true)

        let parts = try await ipam.split(pool: "10.9.0.0/24", into: 2)
        #expect(parts.map(\.metadata.name) == ["split-p-0", "split-p-1"])
        #expect(parts.map(\.spec.cidr) == [cidr("10.9.0.0/25"), cidr("10.9.0.128/25")])
        #expect(parts.allSatisfy { !$0.spec.isDisabled && $0.spec.blockSize == 26 && $0.spec.natOutgoing == true })
        #expect(parts.allSatisfy { $0.metadata.labels == ["team": "net"] })
        let names = try await store.list(.ipPool, namespace: nil).resources.map(\.metadata.name)
        #expect(names == ["split-p-0", "split-p-1"])
        // The blocks and addresses are untouched, and the node goes on using its blocks.
        #expect(try await ipam.allocations().count == held.count)
        #expect(try await ipam.check(repair: false).isClean)
        let more = try await ipam.assign(count: 1, handle: "h2", node: "n")
        #expect(!held.contains(more[0]))
        await #expect(throws: IPAMError.poolSplit(pool: "p", reason: "there is no IP pool with that name or CIDR")) {
            try await ipam.split(pool: "p", into: 2)
        }
    }

    @Test func configureChangesOnlyWhatIsGiven() async throws {
        let store = makeStore(pools: [])
        let ipam = IPAMClient(datastore: store)
        let strict = try await ipam.configure(strictAffinity: true)
        #expect(strict.strictAffinity == true && strict.autoAllocateBlocks == true && strict.maxBlocksPerHost == 0)
        let limited = try await ipam.configure(maxBlocksPerHost: 4)
        #expect(limited.strictAffinity == true && limited.maxBlocksPerHost == 4)
        #expect(try await ipam.configuration().effectiveMaxBlocksPerHost == 4)
        // Calico's rule: a block limit needs strict affinity.
        await #expect(throws: IPAMError.self) { try await ipam.configure(strictAffinity: false) }
        #expect(try await ipam.configuration().effectiveStrictAffinity)
    }
}
