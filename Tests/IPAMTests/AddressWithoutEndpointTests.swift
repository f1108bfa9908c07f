import CalicoAPI
import Datastore
import Foundation
import NetworkAddress
import Testing

@testable import IPAM

/// What a CNI ADD records with a workload's address, stamped `age` seconds ago.
private func workloadAttributes(age: TimeInterval, now: Date) -> AllocationAttributes {
    ["node": "n", "timestamp": AllocationTimestamp.string(from: now.addingTimeInterval(-age))]
}

private func endpoint(_ name: String, containerID: String, addresses: [String]) -> AnyResource {
    var spec = WorkloadEndpointSpec()
    spec.node = "n"
    spec.orchestrator = "cni"
    spec.containerID = containerID
    spec.endpoint = "eth0"
    spec.interfaceName = "cali" + containerID
    spec.ipNetworks = addresses.map { cidr($0) }
    return AnyResource(WorkloadEndpoint(name: name, namespace: "default", spec: spec))
}

@Suite struct AddressWithoutEndpointTests {
    @Test func anOldWorkloadAddressNoEndpointUsesIsReported() async throws {
        let now = Date()
        let store = makeStore(pools: [pool("p", "10.1.0.0/24")])
        let ipam = IPAMClient(datastore: store)
        let leaked = try await ipam.assign(
            count: 1, handle: "net.dead", attributes: workloadAttributes(age: 120, now: now), node: "n")
        let report = try await ipam.check(repair: false, now: now)
        let stamp = workloadAttributes(age: 120, now: now)["timestamp"]!
        #expect(report.problems == [.addressWithoutEndpoint(leaked[0], handle: "net.dead", allocatedAt: stamp)])
        #expect(report.unrepaired == report.problems)
        #expect(!report.isClean)
        #expect(report.problems[0].description.contains("tabbyctl ipam release --ip \(leaked[0])"))
    }

    @Test func addressesInUseInFlightOrNotAWorkloadsAreNotReported() async throws {
        let now = Date()
        let store = makeStore(pools: [pool("p", "10.1.0.0/24")])
        let ipam = IPAMClient(datastore: store)
        // Used by an endpoint through its ipNetworks, or by its containerID (the handle's last part).
        let byAddress = try await ipam.assign(
            count: 1, handle: "net.aaa", attributes: workloadAttributes(age: 600, now: now), node: "n")
        _ = try await ipam.assign(
            count: 1, handle: "my.net.bbb", attributes: workloadAttributes(age: 600, now: now), node: "n")
        _ = try await store.create(
            endpoint("n-cni-other-eth0", containerID: "other", addresses: ["\(byAddress[0])/32"]))
        _ = try await store.create(endpoint("n-cni-bbb-eth0", containerID: "bbb", addresses: []))
        // An ADD in flight (younger than the grace period), a tunnel address, an `ipam assign` without a timestamp.
        _ = try await ipam.assign(
            count: 1, handle: "net.young", attributes: workloadAttributes(age: 5, now: now), node: "n")
        var tunnel = workloadAttributes(age: 600, now: now)
        tunnel["type"] = "vxlanTunnelAddress"
        _ = try await ipam.assign(count: 1, handle: "vxlan-tunnel-addr-n", attributes: tunnel, node: "n", use: .tunnel)
        _ = try await ipam.assign(count: 1, handle: "manual", node: "n")
        #expect(try await ipam.check(repair: false, now: now).isClean)
        // Past its grace period the young one is reported too.
        let later = try await ipam.check(repair: false, now: now.addingTimeInterval(120))
        #expect(later.problems.map(\.description).count == 1)
        guard case .addressWithoutEndpoint(_, let handle, _) = later.problems.first else {
            Issue.record("expected an address without endpoint, got \(later.problems)")
            return
        }
        #expect(handle == "net.young")
    }

    @Test func repairNeverReleasesThem() async throws {
        let now = Date()
        let store = makeStore(pools: [pool("p", "10.1.0.0/24")])
        let ipam = IPAMClient(datastore: store)
        let leaked = try await ipam.assign(
            count: 1, handle: "net.dead", attributes: ["node": "n", "timestamp": "not a time"], node: "n")
        let repaired = try await ipam.check(repair: true, now: now)
        #expect(repaired.repairs.isEmpty)
        #expect(repaired.unrepaired.count == 1)
        #expect(try await ipam.allocation(of: leaked[0])?.handle == "net.dead")
        try await ipam.release(address: leaked[0])
        #expect(try await ipam.check(repair: false, now: now).isClean)
    }

    /// A block's claim time is RFC 3339 in UTC, as Calico writes it; an ISO 8601 reader reads it back.
    @Test func claimTimesAreRFC3339() throws {
        let text = Timestamp.now()
        #expect(text.count == 20 && text.hasSuffix("Z"), "\(text)")
        let read = try #require(ISO8601DateFormatter().date(from: text))
        #expect(abs(read.timeIntervalSinceNow) < 5)
        #expect(UTCTime(secondsSince1970: 1_796_297_425).date == "2026-12-03")
        #expect(UTCTime(secondsSince1970: 951_782_400).date == "2000-02-29")
    }

    @Test func timestampsInGoAndRFC3339Forms() throws {
        let date = Date(timeIntervalSince1970: 1_796_297_425.5)
        let text = AllocationTimestamp.string(from: date)
        #expect(text == "2026-12-03 11:30:25.5 +0000 UTC")
        #expect(AllocationTimestamp.date(from: text) == date)
        #expect(
            AllocationTimestamp.string(from: Date(timeIntervalSince1970: 1_796_297_425))
                == "2026-12-03 11:30:25 +0000 UTC")
        let go = try #require(AllocationTimestamp.date(from: "2026-12-03 12:30:25.123456789 +0100 CET m=+0.01"))
        #expect(abs(go.timeIntervalSince1970 - 1_796_297_425.123456789) < 0.000_01)
        #expect(AllocationTimestamp.date(from: "2026-12-03T11:30:25Z") == Date(timeIntervalSince1970: 1_796_297_425))
        #expect(
            AllocationTimestamp.date(from: "2026-12-03T11:30:25.25Z") == Date(timeIntervalSince1970: 1_796_297_425.25))
        for bad in [
            "", "yesterday", "2026-13-03 11:30:25 +0000 UTC", "2026-12-03 11:30 +0000 UTC", "2026-12-03 11:30:25 UTC",
        ] {
            #expect(AllocationTimestamp.date(from: bad) == nil, "\(bad)")
        }
    }
}
