import CalicoAPI
import Datastore
import IPAM

extension WorkloadStore {
    /// CNI GC: releases every handle `<network>.<containerID>` whose addresses are this node's (their `node`
    /// attribute) and whose containerID is not in `validContainerIDs`, and deletes this node's endpoints of the
    /// network whose containerID is not valid. An endpoint is the network's when a handle of the network names its
    /// container, or, for the `cni` orchestrator, when it has the network's profile. Returns the released handles,
    /// sorted.
    ///
    /// The network name may contain dots; a container ID never does, so only a dot-free rest after
    /// `<network>.` counts as a container ID (handles of other networks, tunnel handles and Calico's older
    /// `<network>.<namespace>.<pod>` handles are left alone). A handle that holds no address (only a count) is
    /// left to `ipam check --repair`: without an allocation nothing says whose node it is.
    public func garbageCollect(network: String, node: String, validContainerIDs: Set<String>) async throws(CNIError)
        -> [String]
    {
        let allocations: [Allocation]
        do {
            allocations = try await ipam.allocations()
        } catch {
            throw StoreErrors.ipam(error, doing: "listing the allocations for GC of network \(network)")
        }
        var networkContainers: Set<String> = []
        var stale: Set<String> = []
        for allocation in allocations {
            guard let handle = allocation.handle,
                let containerID = WorkloadNames.containerID(ofHandle: handle, network: network)
            else { continue }
            networkContainers.insert(containerID)
            if allocation.attributes["node"] == node && !validContainerIDs.contains(containerID) {
                stale.insert(handle)
            }
        }
        var released: [String] = []
        for handle in stale.sorted() {
            try await release(handle: handle)
            released.append(handle)
        }
        try await deleteStaleEndpoints(
            network: network, node: node, networkContainers: networkContainers, valid: validContainerIDs)
        return released
    }

    private func deleteStaleEndpoints(
        network: String, node: String, networkContainers: Set<String>, valid: Set<String>
    ) async throws(CNIError) {
        let endpoints: [WorkloadEndpoint]
        do {
            endpoints = try await datastore.list(.workloadEndpoint, namespace: nil).resources.compactMap {
                $0.as(WorkloadEndpoint.self)
            }
        } catch {
            throw StoreErrors.datastore(error, reading: "the WorkloadEndpoints")
        }
        for endpoint in endpoints where endpoint.spec.node == node {
            guard let containerID = endpoint.spec.containerID, !containerID.isEmpty, !valid.contains(containerID)
            else { continue }
            let ofNetwork =
                networkContainers.contains(containerID)
                || (endpoint.spec.orchestrator == "cni" && (endpoint.spec.profiles ?? []).contains(network))
            guard ofNetwork else { continue }
            do {
                _ = try await datastore.delete(endpoint.key, resourceVersion: endpoint.metadata.resourceVersion)
            } catch .notFound {
                continue
            } catch .conflict {
                continue  // rewritten meanwhile (a new ADD): no longer ours to judge
            } catch {
                throw StoreErrors.datastore(error, writing: "the deletion of \(endpoint.key.description)")
            }
            if let pod = endpoint.spec.pod, let namespace = endpoint.metadata.namespace {
                let reference = WorkloadIdentity.PodReference(namespace: namespace, name: pod)
                try await clearPodAddresses(of: reference, containerID: containerID)
            }
        }
    }
}
