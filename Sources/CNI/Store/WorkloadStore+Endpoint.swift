import CalicoAPI
import Datastore
import NetworkAddress

extension WorkloadStore {
    /// Writes (creates or replaces) the WorkloadEndpoint as Calico's plugin writes it (see ``EndpointBuilder``),
    /// then the pod's `podIP`, `podIPs` and `containerID` annotations. For the `cni` orchestrator the network's
    /// profile is created first when it does not exist (never changed when it does). The write goes through the
    /// datastore's validation, the same tabbyctl's writes pass. Returns the stored endpoint.
    public func writeEndpoint(
        for identity: WorkloadIdentity, pod: Pod?, hostInterface: String, containerMAC: MACAddress, addresses: [CIDR]
    ) async throws(CNIError) -> WorkloadEndpoint {
        if let problem = WorkloadNames.endpointNameProblem(for: identity) {
            throw CNIError(.invalidEnvironment, "error constructing WorkloadEndpoint name", details: problem)
        }
        if identity.pod == nil { try await ensureNetworkProfile(identity.network) }
        let endpoint = EndpointBuilder.endpoint(
            for: identity, pod: pod, hostInterface: hostInterface, containerMAC: containerMAC, addresses: addresses)
        let stored = try await createOrReplace(endpoint)
        if let reference = identity.pod {
            let podIPs = addresses.map { CIDR(host: $0.address).description }
            try await changeAnnotations(of: reference, startingFrom: pod) { annotations in
                let wanted = [
                    PodSpec.Annotation.podIP: podIPs.first ?? "",
                    PodSpec.Annotation.podIPs: podIPs.joined(separator: ","),
                    PodSpec.Annotation.containerID: identity.containerID,
                ]
                guard wanted.contains(where: { annotations[$0.key] != $0.value }) else { return false }
                annotations.merge(wanted) { $1 }
                return true
            }
        }
        return stored
    }

    /// Deletes the endpoint only if it belongs to this container: an endpoint a newer ADD wrote for the same pod
    /// (another containerID) is left alone, as Calico's plugin leaves it. Then, when the pod's annotations are
    /// this container's, sets `podIP` and `podIPs` to empty, as Calico does on delete. Succeeds when the endpoint
    /// or the pod is gone.
    public func deleteEndpoint(for identity: WorkloadIdentity) async throws(CNIError) {
        let key = endpointKey(for: identity)
        for _ in 0..<retries {
            guard let endpoint = try await get(key, as: WorkloadEndpoint.self) else { break }
            if let owner = endpoint.spec.containerID, !owner.isEmpty, owner != identity.containerID { return }
            do {
                _ = try await datastore.delete(key, resourceVersion: endpoint.metadata.resourceVersion)
                break
            } catch .notFound {
                break
            } catch .conflict {
                continue
            } catch {
                throw StoreErrors.datastore(error, writing: "the deletion of \(key)")
            }
        }
        guard let reference = identity.pod else { return }
        try await clearPodAddresses(of: reference, containerID: identity.containerID)
    }

    /// Sets the pod's `podIP` and `podIPs` to empty (Calico's form for "no addresses"), only while its
    /// `containerID` annotation names `containerID`: a newer sandbox's addresses are not ours to clear.
    func clearPodAddresses(of reference: WorkloadIdentity.PodReference, containerID: String) async throws(CNIError) {
        try await changeAnnotations(of: reference, startingFrom: nil) { annotations in
            guard annotations[PodSpec.Annotation.containerID] == containerID else { return false }
            let cleared = [PodSpec.Annotation.podIP: "", PodSpec.Annotation.podIPs: ""]
            guard cleared.contains(where: { annotations[$0.key] != $0.value }) else { return false }
            annotations.merge(cleared) { $1 }
            return true
        }
    }

    /// Creates the endpoint, or replaces the stored one of that name.
    private func createOrReplace(_ endpoint: WorkloadEndpoint) async throws(CNIError) -> WorkloadEndpoint {
        for _ in 0..<retries {
            do {
                do {
                    return try await datastore.create(AnyResource(endpoint)).as(WorkloadEndpoint.self) ?? endpoint
                } catch .alreadyExists {
                    return try await datastore.update(AnyResource(endpoint)).as(WorkloadEndpoint.self) ?? endpoint
                }
            } catch .notFound {
                continue  // deleted between our create and update: create it again
            } catch {
                throw StoreErrors.datastore(error, writing: endpoint.key.description)
            }
        }
        throw CNIError(
            .ioFailure, "error writing \(endpoint.key.description): it kept being deleted and recreated meanwhile")
    }

    /// Calico's plugin creates the network's profile for `cni` workloads when it is missing, and never updates it.
    private func ensureNetworkProfile(_ network: String) async throws(CNIError) {
        if let problem = NameSyntax.subdomainProblem(network) {
            throw CNIError(
                .invalidNetworkConfig, "the network name \"\(network)\" cannot name its Calico profile",
                details: "name: \(problem) (a plain CNI workload's profile is named after its network, as in Calico)")
        }
        let profile = EndpointBuilder.networkProfile(network)
        if try await get(profile.key, as: Profile.self) != nil { return }
        do {
            _ = try await datastore.create(AnyResource(profile))
        } catch .alreadyExists {
            return
        } catch {
            throw StoreErrors.datastore(error, writing: "the network's \(profile.key.description)")
        }
    }

    /// Changes the pod's annotations with compare-and-swap, retried on conflict. `change` edits them in place and
    /// returns false when there is nothing to write. A pod that is not (or no longer) stored is not an error: there is nothing to
    /// annotate. `pod`, when given, is tried first, saving a read.
    func changeAnnotations(
        of reference: WorkloadIdentity.PodReference, startingFrom pod: Pod?,
        _ change: (inout [String: String]) -> Bool
    ) async throws(CNIError) {
        let key = ResourceKey(kind: .pod, namespace: reference.namespace, name: reference.name)
        var current = pod.flatMap { $0.metadata.resourceVersion == nil ? nil : $0 }
        for _ in 0..<retries {
            if current == nil { current = try await get(key, as: Pod.self) }
            guard var stored = current else { return }
            var annotations = stored.metadata.annotations ?? [:]
            guard change(&annotations) else { return }
            stored.metadata.annotations = annotations
            do {
                _ = try await datastore.update(AnyResource(stored))
                return
            } catch .conflict {
                current = nil
            } catch .notFound {
                return
            } catch {
                throw StoreErrors.datastore(error, writing: "the annotations of \(key.description)")
            }
        }
        throw CNIError(
            .ioFailure, "error writing the annotations of \(key.description)",
            details: "the pod changed \(retries) times while its annotations were being written")
    }
}
