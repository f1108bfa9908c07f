import CNI
import Testing

@Suite struct StoreNamesTests {
    @Test func aPodsVethIsNamedAfterTheHashOfNamespaceAndPod() {
        // SHA-1("shop.web-0") starts a4fc3c48bd8.
        #expect(WorkloadNames.hostInterfaceName(for: podIdentity()) == "calia4fc3c48bd8")
        #expect(WorkloadNames.hostInterfaceName(for: podIdentity(), prefix: "tap") == "tapa4fc3c48bd8")
        // Another sandbox of the same pod keeps the name.
        #expect(WorkloadNames.hostInterfaceName(for: podIdentity(container: "feed")) == "calia4fc3c48bd8")
    }

    @Test func aPlainContainersVethIsNamedAfterItsContainerID() {
        #expect(WorkloadNames.hostInterfaceName(for: containerIdentity("0123456789abcdef")) == "cali0123456789a")
        #expect(WorkloadNames.hostInterfaceName(for: containerIdentity("abc")) == "caliabc")
    }

    @Test func endpointNamesDoubleTheDashesInsideEachSegment() {
        #expect(WorkloadNames.endpointName(for: podIdentity()) == "node--1-k8s-web--0-eth0")
        #expect(
            WorkloadNames.endpointName(for: containerIdentity("ab-12", node: "n1")) == "n1-cni-ab--12-eth0")
    }

    @Test func endpointsOfPlainContainersLiveInTheDefaultNamespace() {
        #expect(WorkloadNames.endpointNamespace(for: podIdentity()) == "shop")
        #expect(WorkloadNames.endpointNamespace(for: containerIdentity("abc")) == "default")
    }

    @Test func aSegmentStartingOrEndingWithADashMakesNoName() {
        #expect(WorkloadNames.endpointNameProblem(for: podIdentity()) == nil)
        #expect(
            WorkloadNames.endpointNameProblem(for: containerIdentity("abc-"))
                == "the containerID \"abc-\" ends with '-'")
        #expect(WorkloadNames.endpointNameProblem(for: podIdentity("-x")) == "the pod \"-x\" starts with '-'")
        #expect(WorkloadNames.endpointNameProblem(for: containerIdentity("abc", node: "")) == "the node is empty")
    }

    @Test func theHandleIsNetworkDotContainerID() {
        #expect(WorkloadNames.handle(for: podIdentity()) == "k8s-pod-network.c0ffee0123456789abcdef")
    }

    @Test func aHandlesContainerIDIsTheDotFreeRestAfterTheNetwork() {
        #expect(WorkloadNames.containerID(ofHandle: "my.net.abc123", network: "my.net") == "abc123")
        // Calico's older workload handles and other networks' handles are not this network's sandboxes.
        #expect(WorkloadNames.containerID(ofHandle: "my.net.shop.web-0", network: "my.net") == nil)
        #expect(WorkloadNames.containerID(ofHandle: "my.netabc", network: "my.net") == nil)
        #expect(WorkloadNames.containerID(ofHandle: "my.net.", network: "my.net") == nil)
        #expect(WorkloadNames.containerID(ofHandle: "vxlan-tunnel-addr-node-1", network: "my.net") == nil)
    }
}
