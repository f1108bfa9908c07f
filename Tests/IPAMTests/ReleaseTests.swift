import CalicoAPI
import Datastore
import Testing

@testable import IPAM

@Suite("Releasing addresses")
struct ReleaseTests {
    @Test func releaseByHandleFreesEverythingAndForgetsTheHandle() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/24")])
        let ipam = IPAMClient(datastore: store)
        let addresses = try await ipam.assign(count: 3, handle: "pod-1", node: "n")
        _ = try await ipam.assign(count: 1, handle: "pod-2", node: "n")
        let released = try await ipam.release(handle: "pod-1")
        #expect(Set(released) == Set(addresses))
        #expect(try await ipam.handles().map(\.spec.handleID) == ["pod-2"])
        #expect(try await ipam.allocations().count == 1)
        await #expect(throws: IPAMError.handleNotFound("pod-1")) { try await ipam.release(handle: "pod-1") }
        #expect(try await ipam.check(repair: false).isClean)
    }

    @Test func releaseByAddressWithSequenceNumber() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/30", blockSize: 30)])
        let ipam = IPAMClient(datastore: store)
        let first = try await ipam.assign(count: 4, handle: "h", node: "n")
        let address = first[0]
        let sequence = try #require(try await ipam.allocation(of: address)?.sequenceNumber)
        #expect(try await ipam.release(address: address, sequenceNumber: sequence) == "h")
        // Hand it out again: the old sequence number no longer names this allocation.
        let again = try await ipam.assign(count: 1, handle: "h2", node: "n")
        #expect(again == [address])
        await #expect(throws: IPAMError.self) { try await ipam.release(address: address, sequenceNumber: sequence) }
        #expect(try await ipam.allocation(of: address)?.handle == "h2")
        await #expect(throws: IPAMError.notAllocated(ip("10.9.9.9"))) {
            try await ipam.release(address: ip("10.9.9.9"))
        }
        #expect(try await ipam.check(repair: false).isClean)
    }

    @Test func releasedAddressesGoToTheBackOfTheQueue() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/24")])
        let ipam = IPAMClient(datastore: store)
        let first = try await ipam.assign(count: 1, handle: "a", node: "n")
        try await ipam.release(handle: "a")
        let next = try await ipam.assign(count: 1, handle: "b", node: "n")
        #expect(next != first)
    }

    @Test func emptyBlocksStayAffineToTheirNode() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/29", blockSize: 31)])
        let ipam = IPAMClient(datastore: store)
        _ = try await ipam.assign(count: 2, handle: "first", node: "n")
        _ = try await ipam.assign(count: 2, handle: "second", node: "n")
        #expect(try await ipam.blocks().count == 2)
        try await ipam.release(handle: "second")
        try await ipam.release(address: try await ipam.assign(count: 1, handle: "third", node: "n")[0])
        try await ipam.release(handle: "first")
        // As in Calico: a block's affinity is given up only when asked, or when its pool stops selecting the node.
        #expect(try await ipam.blocks().count == 2)
        #expect(try await ipam.blocks().allSatisfy { $0.spec.isEmpty && $0.spec.affinity == "host:n" })
        #expect(try await ipam.affinities().filter { $0.spec.state == .confirmed }.count == 2)
        #expect(try await ipam.check(repair: false).isClean)
    }

    @Test func attributesAreCompactedOnRelease() {
        var block = IPAMBlockSpec.empty(
            cidr: cidr("10.0.0.0/30"), affinity: "host:n", claimTime: nil, sequenceNumber: 0)
        _ = block.allocate(count: 1, handle: "a", attributes: ["pod": "a"])
        _ = block.allocate(count: 1, handle: "b", attributes: ["pod": "b"])
        #expect(block.attributes.count == 2)
        block.release(ordinals: [0])
        #expect(block.attributes.count == 1)
        #expect(block.handle(of: 1) == "b")
        #expect(block.unallocated == [2, 3, 0])
        #expect(block.sequenceNumber == 3)
    }
}

@Suite("Tunnel addresses")
struct TunnelAddressTests {
    @Test func ipipAndVXLANAddressesFollowThePools() async throws {
        let store = makeStore(
            pools: [
                pool("ipip", "10.10.0.0/24") { $0.ipipMode = .always },
                pool("vxlan", "10.20.0.0/24") { $0.vxlanMode = .crossSubnet },
            ], nodes: ["node-a": [:]])
        let ipam = IPAMClient(datastore: store)
        let tunnels = try await ipam.ensureTunnelAddresses(node: "node-a")
        let ipipAddress = try #require(tunnels.ipip)
        let vxlanAddress = try #require(tunnels.vxlan)
        #expect(cidr("10.10.0.0/24").contains(ipipAddress))
        #expect(cidr("10.20.0.0/24").contains(vxlanAddress))
        #expect(tunnels.vxlanMAC == FelixConventions.vxlanMAC(node: "node-a"))
        let node = try await store.get(ResourceKey(kind: .node, name: "node-a")).as(Node.self)!
        #expect(node.spec.bgp?.ipv4IPIPTunnelAddr == ipipAddress)
        #expect(node.spec.ipv4VXLANTunnelAddr == vxlanAddress)
        #expect(node.spec.vxlanTunnelMACAddr == tunnels.vxlanMAC)
        let allocation = try #require(try await ipam.allocation(of: ipipAddress))
        #expect(allocation.handle == "ipip-tunnel-addr-node-a")
        #expect(allocation.attributes["type"] == "ipipTunnelAddress")
        // Idempotent.
        #expect(try await ipam.ensureTunnelAddresses(node: "node-a") == tunnels)
        #expect(try await ipam.allocations().count == 2)
    }

    @Test func addressesAreReleasedWhenNoPoolNeedsThem() async throws {
        let store = makeStore(pools: [pool("ipip", "10.10.0.0/24") { $0.ipipMode = .always }], nodes: ["n": [:]])
        let ipam = IPAMClient(datastore: store)
        #expect(try await ipam.ensureTunnelAddresses(node: "n").ipip != nil)
        var stored = try await store.get(ResourceKey(kind: .ipPool, name: "ipip")).as(IPPool.self)!
        stored.spec.ipipMode = .never
        _ = try await store.update(AnyResource(stored))
        let after = try await ipam.ensureTunnelAddresses(node: "n")
        #expect(after == TunnelAddresses())
        #expect(try await ipam.allocations().isEmpty)
        let node = try await store.get(ResourceKey(kind: .node, name: "n")).as(Node.self)!
        #expect(node.spec.bgp?.ipv4IPIPTunnelAddr == nil)
    }

    @Test func tunnelPoolsMustAllowTunnelUse() async throws {
        let store = makeStore(
            pools: [
                pool("ipip", "10.10.0.0/24") {
                    $0.ipipMode = .always
                    $0.allowedUses = [.workload]
                }
            ], nodes: ["n": [:]])
        let ipam = IPAMClient(datastore: store)
        #expect(try await ipam.ensureTunnelAddresses(node: "n").ipip == nil)
    }

    @Test func vxlanMACDerivation() {
        // 0x66, then the first five bytes of SHA-1("node-a").
        let digest = SHA1.hex("node-a")
        let expected =
            "66:"
            + stride(from: 0, to: 10, by: 2).map { offset -> String in
                let start = digest.index(digest.startIndex, offsetBy: offset)
                return String(digest[start..<digest.index(start, offsetBy: 2)])
            }.joined(separator: ":")
        #expect(FelixConventions.vxlanMAC(node: "node-a").description == expected)
        #expect(SHA1.hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }
}

@Suite("Consistency check")
struct ConsistencyCheckTests {
    @Test func findsAndRepairsEachKindOfProblem() async throws {
        let store = makeStore(pools: [pool("p", "10.0.0.0/24", blockSize: 28)])
        let ipam = IPAMClient(datastore: store)
        _ = try await ipam.assign(count: 2, handle: "a", node: "n")
        _ = try await ipam.assign(count: 1, handle: "b", node: "n")
        #expect(try await ipam.check(repair: false).isClean)

        // A handle record lost (its addresses leak), a handle counting more than it holds, an affinity whose
        // block is missing, a block whose affinity is missing, and a block with a lost free ordinal.
        _ = try await store.delete(ResourceKey(kind: .ipamHandle, name: "a"), resourceVersion: nil)
        var b = try await store.get(ResourceKey(kind: .ipamHandle, name: "b")).as(IPAMHandle.self)!
        b.spec.block = b.spec.block.mapValues { $0 + 2 }
        _ = try await store.update(AnyResource(b))
        _ = try await store.create(
            AnyResource(
                BlockAffinity(
                    name: "n-10-0-0-240-28",
                    spec: BlockAffinitySpec(state: .pending, node: "n", cidr: cidr("10.0.0.240/28")))))
        let affinity = try #require(try await ipam.affinities().first { $0.spec.cidr != cidr("10.0.0.240/28") })
        _ = try await store.delete(affinity.key, resourceVersion: nil)
        var block = try #require(try await ipam.blocks().first)
        block.spec.unallocated.removeLast()
        _ = try await store.update(AnyResource(block))

        let report = try await ipam.check(repair: false)
        let kinds = Set(
            report.problems.map { problem -> String in
                switch problem {
                case .leakedAddress: "leaked"
                case .handleWithoutAllocations: "handle"
                case .duplicateAllocation: "duplicate"
                case .lostAddress: "lost"
                case .blockWithoutAffinity: "block"
                case .affinityWithoutBlock: "affinity"
                case .overlappingBlocks: "overlap"
                case .addressWithoutEndpoint: "unused"
                }
            })
        #expect(kinds == ["leaked", "handle", "lost", "block", "affinity"])

        let repaired = try await ipam.check(repair: true)
        #expect(!repaired.repairs.isEmpty)
        #expect(repaired.unrepaired.isEmpty)
        #expect(try await ipam.check(repair: false).isClean)
        #expect(try await ipam.allocations().count == 3, "repair never frees an address")
    }

    @Test func duplicatesInTheFreeListAreFound() async throws {
        var block = IPAMBlockSpec.empty(cidr: cidr("10.0.0.0/30"), affinity: nil, claimTime: nil, sequenceNumber: 0)
        _ = block.allocate(count: 1, handle: "a", attributes: [:])
        block.unallocated.append(0)
        let problems = IPAMClient.structuralProblems(block, cidr: cidr("10.0.0.0/30"))
        #expect(
            problems == [.duplicateAllocation(ip("10.0.0.0"), detail: "both allocated and free in block 10.0.0.0/30")])
    }
}
