import CalicoAPI
import Datastore
import Testing

@testable import IPAM

@Suite("Assigning addresses")
struct AssignmentTests {
    @Test func firstAssignmentClaimsTheNodesStartBlock() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/24", blockSize: 26)])
        let ipam = IPAMClient(datastore: store)
        let addresses = try await ipam.assign(count: 1, handle: "h1", node: "node-a")
        let start = PoolSelection.startIndex(node: "node-a", blockCount: 4)
        let expectedBlock = cidr("10.0.0.0/24").subnet(at: start, prefixLength: 26)!
        #expect(addresses == [expectedBlock.networkAddress])
        let blocks = try await ipam.blocks()
        #expect(blocks.map(\.metadata.name) == [IPAMNames.block(expectedBlock)])
        #expect(blocks.first?.spec.affinity == "host:node-a")
        let affinities = try await ipam.affinities()
        #expect(affinities.count == 1)
        #expect(affinities.first?.spec.state == .confirmed)
        #expect(affinities.first?.metadata.name == "node-a-\(IPAMNames.block(expectedBlock))")
        let handles = try await ipam.handles()
        #expect(handles.first?.spec.block == [expectedBlock.description: 1])
        #expect(try await ipam.check(repair: false).isClean)
    }

    @Test func blockNamesFollowCalico() {
        #expect(IPAMNames.block(cidr("10.244.0.0/26")) == "10-244-0-0-26")
        #expect(IPAMNames.block(cidr("2001:db8::/122")) == "2001-db8---122")
        let long = String(repeating: "n", count: 250)
        #expect(IPAMNames.affinity(node: long, block: cidr("10.0.0.0/26")).utf8.count <= 253)
    }

    @Test func nodesStartAtDifferentBlocks() {
        let starts = Set(
            ["node-a", "node-b", "node-c", "node-d", "node-e"].map {
                PoolSelection.startIndex(node: $0, blockCount: 1024)
            })
        #expect(starts.count > 1)
        #expect(
            PoolSelection.startIndex(node: "node-a", blockCount: 1024)
                == PoolSelection.startIndex(node: "node-a", blockCount: 1024))
    }

    @Test func fullBlockLeadsToANewBlock() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/28", blockSize: 30)])
        let ipam = IPAMClient(datastore: store)
        let first = try await ipam.assign(count: 4, handle: "h1", node: "n")
        let second = try await ipam.assign(count: 1, handle: "h2", node: "n")
        #expect(Set(first).count == 4)
        #expect(!first.contains(second[0]))
        #expect(try await ipam.blocks().count == 2)
        #expect(try await ipam.affinities().count == 2)
        #expect(try await ipam.check(repair: false).isClean)
    }

    @Test func poolsAreChosenByNodeSelector() async throws {
        let store = makeStore(
            pools: [
                pool("zone-a", "10.1.0.0/24") { $0.nodeSelector = "zone == 'a'" },
                pool("zone-b", "10.2.0.0/24") { $0.nodeSelector = "zone == 'b'" },
            ],
            nodes: ["na": ["zone": "a"], "nb": ["zone": "b"], "nc": ["zone": "c"]])
        let ipam = IPAMClient(datastore: store)
        let a = try await ipam.assign(count: 1, handle: "ha", node: "na")
        let b = try await ipam.assign(count: 1, handle: "hb", node: "nb")
        #expect(cidr("10.1.0.0/24").contains(a[0]))
        #expect(cidr("10.2.0.0/24").contains(b[0]))
        let error = await #expect(throws: IPAMError.noPools(node: "nc")) {
            try await ipam.assign(count: 1, handle: "hc", node: "nc")
        }
        #expect(error?.description == "no configured Calico pools for node nc")
    }

    @Test func disabledPoolsAreNeverUsed() async throws {
        let store = makeStore(pools: [
            pool("off", "10.1.0.0/24") { $0.disabled = true },
            pool("on", "10.2.0.0/24"),
        ])
        let ipam = IPAMClient(datastore: store)
        for index in 0..<5 {
            let address = try await ipam.assign(count: 1, handle: "h\(index)", node: "n")
            #expect(cidr("10.2.0.0/24").contains(address[0]))
        }
    }

    @Test func allowedUsesAreHonoured() async throws {
        let store = makeStore(pools: [
            pool("tunnels", "10.1.0.0/24") { $0.allowedUses = [.tunnel] },
            pool("workloads", "10.2.0.0/24") { $0.allowedUses = [.workload] },
        ])
        let ipam = IPAMClient(datastore: store)
        let workload = try await ipam.assign(count: 1, handle: "w", node: "n")
        let tunnel = try await ipam.assign(count: 1, handle: "t", node: "n", use: .tunnel)
        #expect(cidr("10.2.0.0/24").contains(workload[0]))
        #expect(cidr("10.1.0.0/24").contains(tunnel[0]))
    }

    @Test func slash32BlocksHoldOneAddressEach() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/30", blockSize: 32)])
        let ipam = IPAMClient(datastore: store)
        let addresses = try await ipam.assign(count: 4, handle: "h", node: "n")
        #expect(Set(addresses) == Set(["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"].map(ip)))
        #expect(try await ipam.blocks().count == 4)
        await #expect(throws: IPAMError.exhausted(pools: ["p"], node: "n", requested: 1)) {
            try await ipam.assign(count: 1, handle: "h2", node: "n")
        }
    }

    @Test func ipv6Pools() async throws {
        let store = makeStore(pools: [pool("v6", "2001:db8::/120", blockSize: 122), pool("v4", "10.0.0.0/24")])
        let ipam = IPAMClient(datastore: store)
        let addresses = try await ipam.assign(count: 3, handle: "h", node: "n", family: .v6)
        #expect(addresses.allSatisfy { cidr("2001:db8::/120").contains($0) })
        #expect(Set(addresses).count == 3)
        let block = try #require(try await ipam.blocks().first)
        #expect(block.spec.cidr?.prefixLength == 122)
        #expect(block.metadata.name.hasPrefix("2001-db8--"))
    }

    @Test func exhaustionIsAllOrNothing() async throws {
        let store = makeStore(pools: [pool("small", "10.0.0.0/30", blockSize: 30)])
        let ipam = IPAMClient(datastore: store)
        let error = await #expect(throws: IPAMError.self) {
            try await ipam.assign(count: 5, handle: "h", node: "node-x")
        }
        #expect(error?.description == "no addresses available in pools [small] for node node-x (5 requested)")
        #expect(try await ipam.allocations().isEmpty)
        #expect(try await ipam.handles().isEmpty)
        #expect(try await ipam.check(repair: false).isClean)
        // The four that exist can still be had.
        #expect(try await ipam.assign(count: 4, handle: "h", node: "node-x").count == 4)
    }

    @Test func specificAddress() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/24")])
        let ipam = IPAMClient(datastore: store)
        try await ipam.assign(address: ip("10.0.0.77"), handle: "h1", node: "n")
        let allocation = try #require(try await ipam.allocation(of: ip("10.0.0.77")))
        #expect(allocation.handle == "h1")
        #expect(allocation.block == cidr("10.0.0.64/26"))
        await #expect(throws: IPAMError.inUse(ip("10.0.0.77"), handle: "h1")) {
            try await ipam.assign(address: ip("10.0.0.77"), handle: "h2", node: "n")
        }
        await #expect(throws: IPAMError.notInPool(ip("10.9.0.1"))) {
            try await ipam.assign(address: ip("10.9.0.1"), handle: "h3", node: "n")
        }
        #expect(try await ipam.check(repair: false).isClean)
    }

    @Test func borrowingWithoutStrictAffinity() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/30", blockSize: 30)])
        let ipam = IPAMClient(datastore: store)
        _ = try await ipam.assign(count: 1, handle: "a", node: "node-a")
        let borrowed = try await ipam.assign(count: 1, handle: "b", node: "node-b")
        let allocation = try #require(try await ipam.allocation(of: borrowed[0]))
        #expect(allocation.blockOwner == "node-a")
        #expect(allocation.isBorrowed)
        #expect(try await ipam.affinities().count == 1)
    }

    @Test func strictAffinityNeverBorrows() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/30", blockSize: 30)], config: strictConfig())
        let ipam = IPAMClient(datastore: store)
        _ = try await ipam.assign(count: 1, handle: "a", node: "node-a")
        await #expect(throws: IPAMError.exhausted(pools: ["p"], node: "node-b", requested: 1)) {
            try await ipam.assign(count: 1, handle: "b", node: "node-b")
        }
    }

    @Test func maxBlocksPerHostLimitsClaims() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/24", blockSize: 30)], config: strictConfig(maxBlocks: 1))
        let ipam = IPAMClient(datastore: store)
        _ = try await ipam.assign(count: 4, handle: "a", node: "n")
        await #expect(throws: IPAMError.self) { try await ipam.assign(count: 1, handle: "b", node: "n") }
        #expect(try await ipam.blocks().count == 1)
    }

    @Test func noAutoAllocationMeansNoNewBlocks() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/24")], config: strictConfig(autoAllocate: false))
        let ipam = IPAMClient(datastore: store)
        await #expect(throws: IPAMError.exhausted(pools: ["p"], node: "n", requested: 1)) {
            try await ipam.assign(count: 1, handle: "a", node: "n")
        }
        #expect(try await ipam.blocks().isEmpty)
    }
}
