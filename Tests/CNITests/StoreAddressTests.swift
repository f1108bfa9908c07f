import CNI
import CalicoAPI
import Datastore
import Foundation
import IPAM
import NetworkAddress
import Testing

/// Pools for precedence: only `pool-a` selects the node by itself; `pool-b` and `pool-c` serve it only when named.
private let precedencePools = [
    storePool("pool-a", "192.0.2.0/25", blockSize: 26),
    storePool("pool-b", "192.0.2.128/25", blockSize: 26, selector: "zone == 'elsewhere'"),
    storePool("pool-c", "198.51.100.0/24", blockSize: 26, selector: "zone == 'elsewhere'"),
    storePool("pool-v6", "2001:db8:1::/120", blockSize: 122),
]

private func inPool(_ addresses: [CIDR], _ text: String) -> Bool {
    addresses.count == 1 && network(text).contains(addresses[0].address)
}

@Suite struct StoreAddressTests {
    @Test func byDefaultOneIPv4AddressFromAPoolSelectingTheNode() async throws {
        let store = WorkloadStore(datastore: storeDatastore(pools: precedencePools))
        let addresses = try await store.assignAddresses(
            for: containerIdentity("aaa"), pod: nil, request: AddressRequest())
        #expect(inPool(addresses, "192.0.2.0/25"))
        #expect(addresses[0].prefixLength == 32)
    }

    @Test func dualStackGivesOneAddressOfEachFamilyIPv4First() async throws {
        let store = WorkloadStore(datastore: storeDatastore(pools: precedencePools))
        let addresses = try await store.assignAddresses(
            for: containerIdentity("aaa"), pod: nil, request: AddressRequest(assignIPv6: true))
        #expect(addresses.count == 2)
        #expect(network("192.0.2.0/25").contains(addresses[0].address) && addresses[0].prefixLength == 32)
        #expect(network("2001:db8:1::/120").contains(addresses[1].address) && addresses[1].prefixLength == 128)
    }

    @Test func onlyIPv6WhenIPv4IsNotAssigned() async throws {
        let store = WorkloadStore(datastore: storeDatastore(pools: precedencePools))
        let addresses = try await store.assignAddresses(
            for: containerIdentity("aaa"), pod: nil, request: AddressRequest(assignIPv4: false, assignIPv6: true))
        #expect(inPool(addresses, "2001:db8:1::/120"))
    }

    @Test func configPoolsServeEvenWhenTheirSelectorDoesNotMatch() async throws {
        let store = WorkloadStore(datastore: storeDatastore(pools: precedencePools))
        let byName = try await store.assignAddresses(
            for: containerIdentity("aaa"), pod: nil, request: AddressRequest(ipv4Pools: ["pool-c"]))
        #expect(inPool(byName, "198.51.100.0/24"))
        let byCIDR = try await store.assignAddresses(
            for: containerIdentity("bbb"), pod: nil, request: AddressRequest(ipv4Pools: ["192.0.2.128/25"]))
        #expect(inPool(byCIDR, "192.0.2.128/25"))
    }

    @Test func theNamespaceAnnotationBeatsTheConfig() async throws {
        let datastore = storeDatastore(
            pools: precedencePools,
            extra: [
                storeNamespace("shop", annotations: [PodSpec.Annotation.ipv4Pools: "[\"pool-b\"]"]),
                storePod("web-0"),
            ])
        let store = WorkloadStore(datastore: datastore)
        let identity = podIdentity()
        let addresses = try await store.assignAddresses(
            for: identity, pod: try await store.pod(for: identity), request: AddressRequest(ipv4Pools: ["pool-c"]))
        #expect(inPool(addresses, "192.0.2.128/25"))
    }

    @Test func thePodAnnotationBeatsTheNamespaceAndTheConfig() async throws {
        let datastore = storeDatastore(
            pools: precedencePools,
            extra: [
                storeNamespace("shop", annotations: [PodSpec.Annotation.ipv4Pools: "[\"pool-b\"]"]),
                storePod("web-0", annotations: [PodSpec.Annotation.ipv4Pools: "[\"198.51.100.0/24\"]"]),
            ])
        let store = WorkloadStore(datastore: datastore)
        let identity = podIdentity()
        let addresses = try await store.assignAddresses(
            for: identity, pod: try await store.pod(for: identity), request: AddressRequest(ipv4Pools: ["pool-a"]))
        #expect(inPool(addresses, "198.51.100.0/24"))
    }

    @Test func theNamespaceAnnotationAppliesWithoutAStoredPod() async throws {
        let datastore = storeDatastore(
            pools: precedencePools,
            extra: [storeNamespace("shop", annotations: [PodSpec.Annotation.ipv4Pools: "[\"pool-c\"]"])])
        let store = WorkloadStore(datastore: datastore)
        let addresses = try await store.assignAddresses(for: podIdentity(), pod: nil, request: AddressRequest())
        #expect(inPool(addresses, "198.51.100.0/24"))
    }

    @Test func poolAnnotationsArePerFamily() async throws {
        let datastore = storeDatastore(
            pools: precedencePools + [storePool("pool-v6b", "2001:db8:2::/120", blockSize: 122)],
            extra: [
                storeNamespace("shop", annotations: [PodSpec.Annotation.ipv6Pools: "[\"pool-v6b\"]"]),
                storePod("web-0", annotations: [PodSpec.Annotation.ipv4Pools: "[\"pool-c\"]"]),
            ])
        let store = WorkloadStore(datastore: datastore)
        let identity = podIdentity()
        let addresses = try await store.assignAddresses(
            for: identity, pod: try await store.pod(for: identity),
            request: AddressRequest(assignIPv6: true, ipv6Pools: ["pool-v6"]))
        #expect(addresses.count == 2)
        #expect(network("198.51.100.0/24").contains(addresses[0].address))
        #expect(network("2001:db8:2::/120").contains(addresses[1].address))
    }

    @Test func requestedAddressesWinOverAnnotationsAndIgnoreTheFamilyFlags() async throws {
        let datastore = storeDatastore(
            pools: precedencePools,
            extra: [storePod("web-0", annotations: [PodSpec.Annotation.ipAddresses: "[\"192.0.2.9\"]"])])
        let store = WorkloadStore(datastore: datastore)
        let identity = podIdentity()
        let addresses = try await store.assignAddresses(
            for: identity, pod: try await store.pod(for: identity),
            request: AddressRequest(requestedAddresses: [address("2001:db8:1::7")]))
        #expect(addresses == [network("2001:db8:1::7/128")])
    }

    @Test func thePodsIPAddrsAnnotationChoosesTheAddresses() async throws {
        let datastore = storeDatastore(
            pools: precedencePools,
            extra: [
                storePod(
                    "web-0", annotations: [PodSpec.Annotation.ipAddresses: "[\"2001:db8:1::9\", \"192.0.2.200\"]"])
            ])
        let store = WorkloadStore(datastore: datastore)
        let identity = podIdentity()
        let addresses = try await store.assignAddresses(
            for: identity, pod: try await store.pod(for: identity), request: AddressRequest())
        #expect(addresses == [network("192.0.2.200/32"), network("2001:db8:1::9/128")])
    }

    @Test func moreThanOneAddressOfAFamilyIsCalicosError() async throws {
        let datastore = storeDatastore(
            pools: precedencePools,
            extra: [
                storePod("web-0", annotations: [PodSpec.Annotation.ipAddresses: "[\"192.0.2.9\", \"192.0.2.10\"]"])
            ])
        let store = WorkloadStore(datastore: datastore)
        let identity = podIdentity()
        let pod = try await store.pod(for: identity)
        let annotated = await cniError {
            _ = try await store.assignAddresses(for: identity, pod: pod, request: .init())
        }
        #expect(
            annotated?.msg == "cannot have more than one IPv4 address for \"cni.projectcalico.org/ipAddrs\" annotation")
        #expect(annotated?.code == .addressUnavailable)
        let requested = await cniError {
            _ = try await store.assignAddresses(
                for: identity, pod: nil,
                request: AddressRequest(requestedAddresses: [address("2001:db8:1::1"), address("2001:db8:1::2")]))
        }
        #expect(
            requested?.msg
                == "cannot have more than one IPv6 address for the requested addresses (runtimeConfig ips, CNI_ARGS IP)"
        )
        #expect(try await allocatedAddresses(datastore).isEmpty)
    }

    @Test func badIPAddrsAnnotationsAreCalicosErrors() async throws {
        let datastore = storeDatastore(
            pools: precedencePools,
            extra: [
                storePod("empty", annotations: [PodSpec.Annotation.ipAddresses: "[]"]),
                storePod("bogus", annotations: [PodSpec.Annotation.ipAddresses: "[\"192.0.2.300\"]"]),
            ])
        let store = WorkloadStore(datastore: datastore)
        for (name, message) in [
            ("empty", "annotation \"cni.projectcalico.org/ipAddrs\" specified but empty"),
            ("bogus", "invalid IP format: 192.0.2.300"),
        ] {
            let identity = podIdentity(name)
            let pod = try await store.pod(for: identity)
            let error = await cniError {
                _ = try await store.assignAddresses(for: identity, pod: pod, request: .init())
            }
            #expect(error?.msg == message)
        }
    }

    @Test func aRequestedAddressOutsideEveryPoolIsRefusedInCalicosWords() async throws {
        let datastore = storeDatastore(
            pools: precedencePools,
            extra: [storePod("web-0", annotations: [PodSpec.Annotation.ipAddresses: "[\"203.0.113.5\"]"])])
        let store = WorkloadStore(datastore: datastore)
        let requested = await cniError {
            _ = try await store.assignAddresses(
                for: containerIdentity("aaa"), pod: nil,
                request: AddressRequest(requestedAddresses: [address("203.0.113.5")]))
        }
        #expect(requested?.msg == "The provided IP address is not in a configured pool")
        #expect(requested?.code == .addressUnavailable)
        #expect(requested?.details.contains("203.0.113.5") == true)
        let identity = podIdentity()
        let pod = try await store.pod(for: identity)
        let annotated = await cniError {
            _ = try await store.assignAddresses(for: identity, pod: pod, request: .init())
        }
        #expect(annotated?.msg == "error getting IP from IPAM: The provided IP address is not in a configured pool")
    }

    @Test func aRequestedAddressInUseIsRefusedInCalicosWords() async throws {
        let store = WorkloadStore(datastore: storeDatastore(pools: precedencePools))
        let request = AddressRequest(requestedAddresses: [address("192.0.2.7")])
        #expect(
            try await store.assignAddresses(for: containerIdentity("first"), pod: nil, request: request)
                == [network("192.0.2.7/32")])
        let error = await cniError {
            _ = try await store.assignAddresses(for: containerIdentity("second"), pod: nil, request: request)
        }
        #expect(error?.msg == "Address already assigned in block")
        #expect(error?.details.contains("podnet.first") == true)
    }

    @Test func unknownPoolsAndPoolsOfTheOtherFamilyAreCalicosErrors() async throws {
        let store = WorkloadStore(datastore: storeDatastore(pools: precedencePools))
        let cases: [(AddressRequest, String)] = [
            (AddressRequest(ipv4Pools: ["nope"]), "error parsing pool \"nope\": invalid CIDR address: nope"),
            (AddressRequest(ipv4Pools: ["2001:db8:1::/120"]), "\"2001:db8:1::\" isn't a IPv4 address"),
            (AddressRequest(ipv4Pools: ["pool-v6"]), "\"2001:db8:1::\" isn't a IPv4 address"),
            (
                AddressRequest(ipv4Pools: ["203.0.113.0/24"]),
                "the given pool (203.0.113.0/24) does not exist, or is not enabled"
            ),
        ]
        for (request, message) in cases {
            let error = await cniError {
                _ = try await store.assignAddresses(for: containerIdentity("aaa"), pod: nil, request: request)
            }
            #expect(error?.msg == message)
            #expect(error?.code == .addressUnavailable)
        }
    }

    @Test func theIPFamiliesAnnotationReplacesTheFamilyFlags() async throws {
        let families = "cni.projectcalico.org/ipFamilies"
        let datastore = storeDatastore(
            pools: precedencePools,
            extra: [
                storeNamespace("shop", annotations: [families: "[\"IPv4\", \"IPv6\"]"]),
                storePod("v6-only", annotations: [families: "[\"IPv6\"]"]),
                storePod("dual"),
                storePod("bad", annotations: [families: "[\"IPv5\"]"]),
            ])
        let store = WorkloadStore(datastore: datastore)
        for (name, expected) in [("v6-only", [IPFamily.v6]), ("dual", [.v4, .v6])] {
            let identity = podIdentity(name, container: name)
            let addresses = try await store.assignAddresses(
                for: identity, pod: try await store.pod(for: identity), request: AddressRequest())
            #expect(addresses.map(\.family) == expected, "\(name)")
        }
        let identity = podIdentity("bad")
        let pod = try await store.pod(for: identity)
        let error = await cniError { _ = try await store.assignAddresses(for: identity, pod: pod, request: .init()) }
        #expect(error?.msg == "error parsing ipFamilies: [\"IPv5\"]")
        #expect(error?.details.contains("IPv5") == true)
    }

    @Test func assigningNothingIsAConfigError() async throws {
        let store = WorkloadStore(datastore: storeDatastore())
        let error = await cniError {
            _ = try await store.assignAddresses(
                for: containerIdentity("aaa"), pod: nil, request: AddressRequest(assignIPv4: false))
        }
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.details.contains("assign_ipv4") == true)
    }

    @Test func aRepeatedAddReturnsWhatTheHandleHolds() async throws {
        let datastore = storeDatastore(pools: precedencePools)
        let store = WorkloadStore(datastore: datastore)
        let identity = containerIdentity("aaa")
        let first = try await store.assignAddresses(for: identity, pod: nil, request: AddressRequest(assignIPv6: true))
        let second = try await store.assignAddresses(for: identity, pod: nil, request: AddressRequest(assignIPv6: true))
        #expect(first == second)
        #expect(try await allocatedAddresses(datastore).count == 2)
    }

    @Test func anAddAfterAKilledOneCompletesWhatIsMissing() async throws {
        let datastore = storeDatastore(pools: precedencePools)
        let store = WorkloadStore(datastore: datastore)
        let identity = containerIdentity("aaa")
        let v4 = try await store.assignAddresses(for: identity, pod: nil, request: AddressRequest())
        let both = try await store.assignAddresses(for: identity, pod: nil, request: AddressRequest(assignIPv6: true))
        #expect(both.count == 2 && both[0] == v4[0] && both[1].family == .v6)
    }

    @Test func addressesTheHandleNoLongerNeedsAreReleased() async throws {
        let datastore = storeDatastore(pools: precedencePools)
        let store = WorkloadStore(datastore: datastore)
        let identity = containerIdentity("aaa")
        let old = try await store.assignAddresses(for: identity, pod: nil, request: AddressRequest())
        let new = try await store.assignAddresses(
            for: identity, pod: nil, request: AddressRequest(requestedAddresses: [address("192.0.2.100")]))
        #expect(new == [network("192.0.2.100/32")])
        let held = try await allocatedAddresses(datastore)
        #expect(held[old[0].address] == nil)
        #expect(held[address("192.0.2.100")] == "podnet.aaa")
    }

    @Test func whenIPv6FailsTheIPv4AddressIsReleased() async throws {
        let datastore = storeDatastore()  // no IPv6 pool
        let store = WorkloadStore(datastore: datastore)
        let error = await cniError {
            _ = try await store.assignAddresses(
                for: containerIdentity("aaa"), pod: nil, request: AddressRequest(assignIPv6: true))
        }
        #expect(error?.code == .addressUnavailable)
        #expect(error?.msg == "cannot find a qualified ippool: no enabled IPv6 pool")
        #expect(try await allocatedAddresses(datastore).isEmpty)
    }

    @Test func whenTheSecondRequestedAddressFailsTheFirstIsReleased() async throws {
        let datastore = storeDatastore(pools: precedencePools)
        let store = WorkloadStore(datastore: datastore)
        _ = try await store.assignAddresses(
            for: containerIdentity("other"), pod: nil,
            request: AddressRequest(requestedAddresses: [address("2001:db8:1::5")]))
        let error = await cniError {
            _ = try await store.assignAddresses(
                for: containerIdentity("aaa"), pod: nil,
                request: AddressRequest(requestedAddresses: [address("192.0.2.5"), address("2001:db8:1::5")]))
        }
        #expect(error?.msg == "Address already assigned in block")
        #expect(try await allocatedAddresses(datastore) == [address("2001:db8:1::5"): "podnet.other"])
    }

    @Test func allocationsCarryCalicosAttributes() async throws {
        let datastore = storeDatastore()
        let store = WorkloadStore(datastore: datastore)
        let before = Date()
        let pod = try await store.assignAddresses(for: podIdentity(), pod: nil, request: AddressRequest())
        let plain = try await store.assignAddresses(for: containerIdentity("aaa"), pod: nil, request: AddressRequest())
        let ipam = IPAMClient(datastore: datastore)
        let podAllocation = try #require(try await ipam.allocation(of: pod[0].address))
        #expect(podAllocation.handle == "k8s-pod-network.c0ffee0123456789abcdef")
        #expect(podAllocation.attributes["node"] == storeNode)
        #expect(podAllocation.attributes["pod"] == "web-0")
        #expect(podAllocation.attributes["namespace"] == "shop")
        let stamp = try #require(podAllocation.attributes["timestamp"])
        #expect(stamp.hasSuffix(" +0000 UTC"))
        let stamped = try #require(AllocationTimestamp.date(from: stamp))
        #expect(stamped.timeIntervalSince(before) > -1 && stamped.timeIntervalSinceNow < 1)
        let plainAllocation = try #require(try await ipam.allocation(of: plain[0].address))
        #expect(plainAllocation.attributes["pod"] == nil && plainAllocation.attributes["namespace"] == nil)
        #expect(plainAllocation.attributes["timestamp"] != nil)
    }

    @Test func releaseFreesTheHandleAndSucceedsWhenNothingIsHeld() async throws {
        let datastore = storeDatastore()
        let store = WorkloadStore(datastore: datastore)
        let identity = containerIdentity("aaa")
        _ = try await store.assignAddresses(for: identity, pod: nil, request: AddressRequest())
        try await store.releaseAddresses(for: identity)
        #expect(try await allocatedAddresses(datastore).isEmpty)
        try await store.releaseAddresses(for: identity)
        try await store.releaseAddresses(for: containerIdentity("never"))
    }

    @Test func twentyConcurrentAddsGetTwentyDistinctAddresses() async throws {
        let datastore = storeDatastore()
        let store = WorkloadStore(datastore: datastore)
        let results = try await withThrowingTaskGroup(of: [CIDR].self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await store.assignAddresses(
                        for: containerIdentity("c\(index)"), pod: nil, request: AddressRequest())
                }
            }
            var all: [CIDR] = []
            for try await addresses in group { all += addresses }
            return all
        }
        #expect(results.count == 20)
        #expect(Set(results).count == 20)
        #expect(try await allocatedAddresses(datastore).count == 20)
        #expect(try await IPAMClient(datastore: datastore).check(repair: false).isClean)
    }
}
