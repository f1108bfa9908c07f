import CNI
import CalicoAPI
import Datastore
import NetworkAddress
import Testing

private let builderPod = storePod(
    "web-0", labels: ["app": "web"], serviceAccount: "builder",
    containers: [
        PodContainer(
            name: "main",
            ports: [PodContainerPort(name: "http", containerPort: 8080), PodContainerPort(containerPort: 9000)])
    ],
    initContainers: [
        PodContainer(name: "setup", ports: [PodContainerPort(name: "metrics", containerPort: 9090, protocol: "UDP")])
    ])

private func podAnnotations(_ datastore: any Datastore, _ name: String = "web-0") async throws -> [String: String] {
    try await datastore.get(ResourceKey(kind: .pod, namespace: "shop", name: name)).metadata.annotations ?? [:]
}

@Suite struct StoreEndpointTests {
    @Test func aPodsEndpointIsWrittenAsCalicoWritesIt() async throws {
        let datastore = storeDatastore(
            pools: [storePool("v4", "192.0.2.0/24"), storePool("v6", "2001:db8::/120")],
            extra: [builderPod])
        let store = WorkloadStore(datastore: datastore)
        let identity = podIdentity()
        let addresses = try await store.add(identity, request: AddressRequest(assignIPv6: true))
        let endpoint = try #require(try await store.endpoint(for: identity))
        #expect(endpoint.metadata.name == "node--1-k8s-web--0-eth0")
        #expect(endpoint.metadata.namespace == "shop")
        #expect(endpoint.spec.orchestrator == "k8s")
        #expect(endpoint.spec.pod == "web-0")
        #expect(endpoint.spec.workload == nil)
        #expect(endpoint.spec.node == storeNode)
        #expect(endpoint.spec.containerID == identity.containerID)
        #expect(endpoint.spec.endpoint == "eth0")
        #expect(endpoint.spec.interfaceName == "calia4fc3c48bd8")
        #expect(endpoint.spec.mac == containerMAC)
        #expect(endpoint.spec.ipNetworks == addresses)
        #expect(endpoint.spec.serviceAccountName == "builder")
        #expect(endpoint.spec.profiles == ["kns.shop", "ksa.shop.builder"])
        #expect(
            endpoint.metadata.labels == [
                "app": "web", "projectcalico.org/namespace": "shop", "projectcalico.org/orchestrator": "k8s",
                "projectcalico.org/serviceaccount": "builder",
            ])
        #expect(
            endpoint.spec.ports == [
                EndpointPort(name: "metrics", protocol: .udp, port: 9090),
                EndpointPort(name: "http", protocol: .tcp, port: 8080),
            ])
        #expect(endpoint.metadata.resourceVersion != nil)
    }

    @Test func aPodWithoutServiceAccountHasOnlyItsNamespacesProfile() async throws {
        let datastore = storeDatastore(extra: [storePod("web-0")])
        let store = WorkloadStore(datastore: datastore)
        _ = try await store.add(podIdentity())
        let endpoint = try #require(try await store.endpoint(for: podIdentity()))
        #expect(endpoint.spec.profiles == ["kns.shop"])
        #expect(endpoint.spec.serviceAccountName == nil)
        #expect(endpoint.metadata.labels?["projectcalico.org/serviceaccount"] == nil)
        #expect(endpoint.spec.ports == nil)
    }

    @Test func aLongServiceAccountGetsItsProfileButNoLabel() async throws {
        let account = String(repeating: "a", count: 63)
        let datastore = storeDatastore(extra: [storePod("web-0", serviceAccount: account)])
        let store = WorkloadStore(datastore: datastore)
        _ = try await store.add(podIdentity())
        let endpoint = try #require(try await store.endpoint(for: podIdentity()))
        #expect(endpoint.spec.profiles == ["kns.shop", "ksa.shop.\(account)"])
        #expect(endpoint.metadata.labels?["projectcalico.org/serviceaccount"] == nil)
    }

    @Test func aPodThatIsNotStoredStillGetsItsEndpoint() async throws {
        let datastore = storeDatastore()
        let store = WorkloadStore(datastore: datastore)
        _ = try await store.add(podIdentity())
        let endpoint = try #require(try await store.endpoint(for: podIdentity()))
        #expect(
            endpoint.metadata.labels == [
                "projectcalico.org/namespace": "shop", "projectcalico.org/orchestrator": "k8s",
            ])
    }

    @Test func aPlainContainersEndpointUsesTheNetworksProfileWhichIsCreated() async throws {
        let datastore = storeDatastore()
        let store = WorkloadStore(datastore: datastore)
        let identity = containerIdentity("0123456789abcdef")
        let addresses = try await store.add(identity)
        let endpoint = try #require(try await store.endpoint(for: identity))
        #expect(endpoint.metadata.name == "node--1-cni-0123456789abcdef-eth0")
        #expect(endpoint.metadata.namespace == "default")
        #expect(endpoint.spec.orchestrator == "cni")
        #expect(endpoint.spec.pod == nil)
        #expect(endpoint.spec.interfaceName == "cali0123456789a")
        #expect(endpoint.spec.ipNetworks == addresses)
        #expect(endpoint.spec.profiles == ["podnet"])
        #expect(
            endpoint.metadata.labels == [
                "projectcalico.org/namespace": "default", "projectcalico.org/orchestrator": "cni",
            ])
        let profile = try #require(
            try await datastore.get(ResourceKey(kind: .profile, name: "podnet")).as(Profile.self))
        #expect(profile.spec.labelsToApply == ["podnet": ""])
        #expect(profile.spec.ingress?.first?.source?.selector == "has(podnet)")
        #expect(profile.spec.egress?.first?.action == .allow)
    }

    @Test func anExistingNetworkProfileIsLeftAsItIs() async throws {
        var own = Profile(name: "podnet")
        own.spec.egress = [Rule(action: .deny)]
        let datastore = storeDatastore(extra: [AnyResource(own)])
        let store = WorkloadStore(datastore: datastore)
        _ = try await store.add(containerIdentity("abc"))
        let profile = try await datastore.get(ResourceKey(kind: .profile, name: "podnet")).as(Profile.self)
        #expect(profile?.spec.egress == [Rule(action: .deny)])
        #expect(profile?.spec.labelsToApply == nil)
    }

    @Test func theAddressesAreWrittenBackToThePod() async throws {
        let datastore = storeDatastore(
            pools: [storePool("v4", "192.0.2.0/24"), storePool("v6", "2001:db8::/120")], extra: [storePod("web-0")])
        let store = WorkloadStore(datastore: datastore)
        let addresses = try await store.add(podIdentity(), request: AddressRequest(assignIPv6: true))
        let annotations = try await podAnnotations(datastore)
        #expect(annotations["cni.projectcalico.org/podIP"] == addresses[0].description)
        #expect(annotations["cni.projectcalico.org/podIPs"] == "\(addresses[0]),\(addresses[1])")
        #expect(annotations["cni.projectcalico.org/containerID"] == "c0ffee0123456789abcdef")
        #expect(addresses[0].description.hasSuffix("/32") && addresses[1].description.hasSuffix("/128"))
    }

    @Test func aPodChangedMeanwhileIsReadAgainAndKeepsTheChange() async throws {
        let datastore = storeDatastore(extra: [storePod("web-0")])
        let store = WorkloadStore(datastore: datastore)
        let identity = podIdentity()
        let stale = try #require(try await store.pod(for: identity))
        var changed = stale
        changed.metadata.labels = ["tier": "front"]
        _ = try await datastore.update(AnyResource(changed))
        let addresses = try await store.assignAddresses(for: identity, pod: stale, request: AddressRequest())
        _ = try await store.writeEndpoint(
            for: identity, pod: stale, hostInterface: "calia4fc3c48bd8", containerMAC: containerMAC,
            addresses: addresses)
        let pod = try await datastore.get(ResourceKey(kind: .pod, namespace: "shop", name: "web-0"))
        #expect(pod.metadata.labels == ["tier": "front"])
        #expect(pod.metadata.annotations?["cni.projectcalico.org/podIP"] == addresses[0].description)
    }

    @Test func writingAgainReplacesTheEndpoint() async throws {
        let datastore = storeDatastore()
        let store = WorkloadStore(datastore: datastore)
        let identity = containerIdentity("abc")
        _ = try await store.add(identity)
        let second = try await store.writeEndpoint(
            for: identity, pod: nil, hostInterface: "caliabc", containerMAC: MACAddress(0x02_00_00_00_00_09),
            addresses: [network("192.0.2.77/32")])
        #expect(second.spec.ipNetworks == [network("192.0.2.77/32")])
        #expect(try await store.endpoint(for: identity) == second)
        #expect(try await datastore.list(.workloadEndpoint, namespace: nil).resources.count == 1)
    }

    @Test func anEndpointTheDatastoreRefusesNamesTheField() async throws {
        let store = WorkloadStore(datastore: storeDatastore())
        let error = await cniError {
            _ = try await store.writeEndpoint(
                for: containerIdentity("abc"), pod: nil, hostInterface: "cali-far-too-long-a-name",
                containerMAC: containerMAC, addresses: [network("192.0.2.1/32")])
        }
        #expect(error?.code == .ioFailure)
        #expect(error?.msg.contains("refused") == true)
        #expect(error?.details.contains("spec.interfaceName") == true)
    }

    @Test func aNetworkNameThatIsNoProfileNameIsRefusedNamingTheProfile() async throws {
        let store = WorkloadStore(datastore: storeDatastore())
        let error = await cniError {
            _ = try await store.writeEndpoint(
                for: containerIdentity("abc", network: "My_Net"), pod: nil, hostInterface: "caliabc",
                containerMAC: containerMAC, addresses: [network("192.0.2.1/32")])
        }
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.msg == "the network name \"My_Net\" cannot name its Calico profile")
        #expect(error?.details.contains("lowercase") == true)
    }

    @Test func anIdentityThatMakesNoNameIsRefused() async throws {
        let store = WorkloadStore(datastore: storeDatastore())
        let error = await cniError {
            _ = try await store.writeEndpoint(
                for: containerIdentity("abc-"), pod: nil, hostInterface: "caliabc", containerMAC: containerMAC,
                addresses: [network("192.0.2.1/32")])
        }
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.details == "the containerID \"abc-\" ends with '-'")
    }

    @Test func anOldDelLeavesTheEndpointOfANewerAdd() async throws {
        let datastore = storeDatastore(extra: [storePod("web-0")])
        let store = WorkloadStore(datastore: datastore)
        let old = podIdentity(container: "aaa111")
        let new = podIdentity(container: "bbb222")
        _ = try await store.add(old)
        let addresses = try await store.add(new)
        try await store.deleteEndpoint(for: old)
        let endpoint = try #require(try await store.endpoint(for: new))
        #expect(endpoint.spec.containerID == "bbb222")
        let annotations = try await podAnnotations(datastore)
        #expect(annotations["cni.projectcalico.org/podIP"] == addresses[0].description)
        #expect(annotations["cni.projectcalico.org/containerID"] == "bbb222")

        try await store.deleteEndpoint(for: new)
        #expect(try await store.endpoint(for: new) == nil)
        let cleared = try await podAnnotations(datastore)
        #expect(cleared["cni.projectcalico.org/podIP"] == "")
        #expect(cleared["cni.projectcalico.org/podIPs"] == "")
        // Gone already: still a success.
        try await store.deleteEndpoint(for: new)
        try await store.deleteEndpoint(for: podIdentity("never-there"))
    }

    @Test func deletingAPlainContainersEndpoint() async throws {
        let datastore = storeDatastore()
        let store = WorkloadStore(datastore: datastore)
        let identity = containerIdentity("abc")
        _ = try await store.add(identity)
        try await store.deleteEndpoint(for: identity)
        #expect(try await store.endpoint(for: identity) == nil)
    }
}
