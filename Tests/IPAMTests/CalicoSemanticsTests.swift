import CalicoAPI
import Datastore
import Testing

@testable import IPAM

/// libcalico-go's IPAM rules, scenario by scenario.
@Suite("IPAM as Calico's")
struct CalicoSemanticsTests {
    func relabel(_ store: InMemoryDatastore, node: String, _ labels: Labels) async throws {
        var stored = try #require(try await store.get(ResourceKey(kind: .node, name: node)).as(Node.self))
        stored.metadata.labels = labels
        _ = try await store.update(AnyResource(stored))
    }

    @Test func anEmptyBlockIsReleasedWhenItsPoolNoLongerSelectsTheNode() async throws {
        let store = makeStore(
            pools: [pool("zone-a", "10.1.0.0/24") { $0.nodeSelector = "zone == 'a'" }], nodes: ["n": ["zone": "a"]])
        let ipam = IPAMClient(datastore: store)
        _ = try await ipam.assign(count: 1, handle: "h", node: "n")
        try await ipam.release(handle: "h")
        #expect(try await ipam.blocks().count == 1, "the pool still selects the node: the block stays affine")
        _ = try await ipam.assign(count: 1, handle: "h", node: "n")
        try await relabel(store, node: "n", ["zone": "b"])
        try await ipam.release(handle: "h")
        #expect(try await ipam.blocks().isEmpty)
        #expect(try await ipam.affinities().isEmpty)
        #expect(try await ipam.check(repair: false).isClean)
    }

    @Test func anEmptyUnselectedBlockIsReleasedOnTheNodesNextAssignment() async throws {
        let store = makeStore(
            pools: [
                pool("zone-a", "10.1.0.0/24") { $0.nodeSelector = "zone == 'a'" },
                pool("zone-b", "10.2.0.0/24") { $0.nodeSelector = "zone == 'b'" },
            ], nodes: ["n": ["zone": "a"]])
        let ipam = IPAMClient(datastore: store)
        _ = try await ipam.assign(count: 1, handle: "h", node: "n")
        try await ipam.release(handle: "h")
        #expect(try await ipam.blocks().count == 1)
        try await relabel(store, node: "n", ["zone": "b"])
        let next = try await ipam.assign(count: 1, handle: "h2", node: "n")
        #expect(cidr("10.2.0.0/24").contains(next[0]))
        let blocks = try await ipam.blocks().compactMap(\.spec.cidr)
        #expect(blocks.count == 1 && cidr("10.2.0.0/24").contains(blocks[0]), "\(blocks)")
        #expect(try await ipam.check(repair: false).isClean)
    }

    @Test func aBlockInUseIsKeptWhenItsPoolNoLongerSelectsTheNode() async throws {
        let store = makeStore(
            pools: [pool("zone-a", "10.1.0.0/24") { $0.nodeSelector = "zone == 'a'" }], nodes: ["n": ["zone": "a"]])
        let ipam = IPAMClient(datastore: store)
        _ = try await ipam.assign(count: 2, handle: "h", node: "n")
        try await relabel(store, node: "n", ["zone": "b"])
        await #expect(throws: IPAMError.noPools(node: "n")) { try await ipam.assign(count: 1, handle: "h2", node: "n") }
        #expect(try await ipam.blocks().count == 1)
        #expect(try await ipam.allocations().count == 2)
    }

    @Test func namedPoolsAreUsedWhateverTheirNodeSelector() async throws {
        let store = makeStore(pools: [pool("elsewhere", "10.1.0.0/24") { $0.nodeSelector = "zone == 'x'" }])
        let ipam = IPAMClient(datastore: store)
        await #expect(throws: IPAMError.noPools(node: "n")) { try await ipam.assign(count: 1, handle: "a", node: "n") }
        let byName = try await ipam.assign(count: 1, handle: "b", node: "n", pools: ["elsewhere"])
        let byCIDR = try await ipam.assign(count: 1, handle: "c", node: "n", pools: ["10.1.0.0/24"])
        #expect(cidr("10.1.0.0/24").contains(byName[0]) && cidr("10.1.0.0/24").contains(byCIDR[0]))
    }

    @Test func aNamedPoolMustExistAndBeEnabled() async throws {
        let store = makeStore(pools: [pool("on", "10.1.0.0/24"), pool("off", "10.2.0.0/24") { $0.disabled = true }])
        let ipam = IPAMClient(datastore: store)
        for name in ["off", "missing", "10.2.0.0/24"] {
            let error = await #expect(throws: IPAMError.poolNotUsable(name)) {
                try await ipam.assign(count: 1, handle: "h", node: "n", pools: ["on", name])
            }
            #expect(error?.description == "the given pool (\(name)) does not exist, or is not enabled")
        }
        #expect(try await ipam.allocations().isEmpty)
    }

    @Test func maxBlocksPerHostCountsPerFamilyInTheUsablePools() async throws {
        let store = makeStore(
            pools: [
                pool("a", "10.1.0.0/24", blockSize: 30), pool("b", "10.2.0.0/24", blockSize: 30),
                pool("v6", "2001:db8::/120", blockSize: 126),
            ],
            config: strictConfig(maxBlocks: 1))
        let ipam = IPAMClient(datastore: store)
        _ = try await ipam.assign(count: 4, handle: "full", node: "n", pools: ["a"])
        let error = await #expect(throws: IPAMError.blockLimit(node: "n", limit: 1)) {
            try await ipam.assign(count: 1, handle: "more", node: "n", pools: ["a"])
        }
        #expect(error?.description.contains("limit of 1 blocks reached for this node") == true)
        // A block in pool a does not count against pool b, nor against IPv6.
        let inB = try await ipam.assign(count: 1, handle: "in-b", node: "n", pools: ["b"])
        let v6 = try await ipam.assign(count: 1, handle: "v6", node: "n", family: .v6)
        #expect(cidr("10.2.0.0/24").contains(inB[0]) && cidr("2001:db8::/120").contains(v6[0]))
        #expect(try await ipam.blocks().count == 3)
    }

    @Test func strictAffinityRefusesAnAddressInAnotherNodesBlock() async throws {
        let store = makeStore(pools: [pool("p", "10.1.0.0/24")], config: strictConfig())
        let ipam = IPAMClient(datastore: store)
        let owned = try await ipam.assign(count: 1, handle: "a", node: "node-a")[0]
        let block = try #require(try await ipam.blocks().first?.spec.cidr)
        let neighbour = try #require(block.address(at: 5))
        let error = await #expect(throws: IPAMError.affinityMismatch(neighbour, block: block, owner: "node-a")) {
            try await ipam.assign(address: neighbour, handle: "b", node: "node-b")
        }
        #expect(error?.description.hasPrefix("Block host affinity does not match") == true)
        try await ipam.assign(address: neighbour, handle: "a2", node: "node-a")
        #expect(try await ipam.allocation(of: neighbour)?.handle == "a2")
        #expect(owned != neighbour)
    }

    @Test func withoutStrictAffinityAnExplicitAddressMayBeBorrowed() async throws {
        let store = makeStore(pools: [pool("p", "10.1.0.0/24")])
        let ipam = IPAMClient(datastore: store)
        _ = try await ipam.assign(count: 1, handle: "a", node: "node-a")
        let block = try #require(try await ipam.blocks().first?.spec.cidr)
        try await ipam.assign(address: block.address(at: 5)!, handle: "b", node: "node-b")
        #expect(try await ipam.allocation(of: block.address(at: 5)!)?.isBorrowed == true)
    }

    @Test func automaticAssignmentNeedsTheNodeResource() async throws {
        let store = makeStore(pools: [pool("p", "10.1.0.0/24")], nodes: [:])
        let ipam = IPAMClient(datastore: store)
        let error = await #expect(throws: IPAMError.nodeNotFound("ghost")) {
            try await ipam.assign(count: 1, handle: "h", node: "ghost")
        }
        #expect(error?.description.hasPrefix("resource does not exist: Node(ghost)") == true)
        #expect(try await ipam.blocks().isEmpty)
        // An explicit address does not need it (as Calico's AssignIP).
        try await ipam.assign(address: ip("10.1.0.7"), handle: "h", node: "ghost")
    }

    @Test func explicitAddressesComeFromEnabledPoolsOnly() async throws {
        let store = makeStore(pools: [pool("off", "10.1.0.0/24") { $0.disabled = true }])
        let ipam = IPAMClient(datastore: store)
        await #expect(throws: IPAMError.notInPool(ip("10.1.0.7"))) {
            try await ipam.assign(address: ip("10.1.0.7"), handle: "h", node: "n")
        }
    }

    @Test func noPoolForTheUseOrFamily() async throws {
        let store = makeStore(pools: [pool("tunnels", "10.1.0.0/24") { $0.allowedUses = [.tunnel] }])
        let ipam = IPAMClient(datastore: store)
        let byUse = await #expect(throws: IPAMError.noQualifiedPool(family: .v4, use: .workload)) {
            try await ipam.assign(count: 1, handle: "h", node: "n")
        }
        #expect(byUse?.description == "cannot find a qualified ippool, no pools match the required use (Workload)")
        await #expect(throws: IPAMError.noQualifiedPool(family: .v6, use: nil)) {
            try await ipam.assign(count: 1, handle: "h", node: "n", family: .v6)
        }
    }
}
