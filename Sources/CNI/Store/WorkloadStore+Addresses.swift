import CalicoAPI
import Foundation
import IPAM
import NetworkAddress

extension WorkloadStore {
    /// Calico's address choice (see ``AddressPlan``) and assignment under the identity's handle: /32 and /128
    /// CIDRs, IPv4 first.
    ///
    /// Idempotent: an address the handle already holds is returned again rather than assigned anew (a repeated
    /// ADD, or one after a plugin was killed midway); addresses the handle holds beyond what is asked for now are
    /// released, so afterwards the handle holds exactly the result. All or nothing: when one address cannot be
    /// had, the ones this call assigned are released before the error is thrown.
    public func assignAddresses(for identity: WorkloadIdentity, pod: Pod?, request: AddressRequest)
        async throws(CNIError) -> [CIDR]
    {
        let handle = WorkloadNames.handle(for: identity)
        let attributes = Self.allocationAttributes(for: identity, at: Date())
        let held = try await heldAddresses(handle: handle)
        // The Namespace matters only when no address is requested (its annotations name pools).
        var podNamespace: Namespace?
        if request.requestedAddresses.isEmpty
            && (pod?.metadata.annotations?[PodSpec.Annotation.ipAddresses] ?? "").isEmpty
        {
            podNamespace = try await namespace(for: identity)
        }
        let plan = try AddressChoice.plan(request: request, pod: pod, namespace: podNamespace)

        var assigned: [IPAddress] = []
        var result: [IPAddress] = []
        do {
            switch plan {
            case .specific(let addresses, let source):
                for address in addresses {
                    if held.contains(address) {
                        result.append(address)
                        continue
                    }
                    try await assign(
                        address, handle: handle, attributes: attributes, node: identity.node, source: source)
                    assigned.append(address)
                    result.append(address)
                }
            case .automatic(let families):
                var pools: [IPPool] = []
                if families.contains(where: { !$0.pools.isEmpty }) { pools = try await listPools() }
                for wanted in families {
                    if let reused = held.first(where: { $0.family == wanted.family }) {
                        result.append(reused)
                        continue
                    }
                    let names = try PoolResolution.names(
                        wanted.pools, family: wanted.family, pools: pools, source: wanted.source ?? "the config")
                    let address = try await assignOne(
                        wanted, names: names, handle: handle, attributes: attributes, node: identity.node)
                    assigned.append(address)
                    result.append(address)
                }
            }
        } catch {
            await releaseQuietly(assigned)
            throw error
        }
        await releaseQuietly(held.filter { !result.contains($0) })
        return result.map { CIDR(host: $0) }
    }

    /// Releases everything under the identity's handle; succeeds when there is nothing.
    public func releaseAddresses(for identity: WorkloadIdentity) async throws(CNIError) {
        try await release(handle: WorkloadNames.handle(for: identity))
    }

    func release(handle: String) async throws(CNIError) {
        do {
            try await ipam.release(handle: handle)
        } catch .handleNotFound {
            return
        } catch {
            throw StoreErrors.ipam(error, doing: "releasing the addresses of handle \(handle)")
        }
    }

    /// The attributes Calico's plugin records with a workload's allocation: `node` and `timestamp`, and for a pod
    /// `pod` and `namespace`.
    static func allocationAttributes(for identity: WorkloadIdentity, at date: Date) -> AllocationAttributes {
        var attributes: AllocationAttributes = [
            "node": identity.node, AllocationTimestamp.attribute: AllocationTimestamp.string(from: date),
        ]
        if let pod = identity.pod {
            attributes["pod"] = pod.name
            attributes["namespace"] = pod.namespace
        }
        return attributes
    }

    /// The addresses the blocks hold for `handle` (the blocks are the truth; the handle only says where to
    /// look).
    func heldAddresses(handle: String) async throws(CNIError) -> [IPAddress] {
        let key = ResourceKey(kind: .ipamHandle, name: IPAMNames.handle(handle))
        guard let stored = try await get(key, as: IPAMHandle.self) else { return [] }
        var addresses: [IPAddress] = []
        for text in stored.spec.block.keys.sorted() {
            guard let cidr = try? CIDR(parsing: text),
                let block = try await get(
                    ResourceKey(kind: .ipamBlock, name: IPAMNames.block(cidr)), as: IPAMBlock.self)
            else { continue }
            addresses += block.spec.ordinals(of: handle).compactMap { cidr.address(at: UInt64($0)) }
        }
        return addresses.sorted()
    }

    private func listPools() async throws(CNIError) -> [IPPool] {
        do {
            return try await datastore.list(.ipPool, namespace: nil).resources.compactMap { $0.as(IPPool.self) }
        } catch {
            throw StoreErrors.datastore(error, reading: "the IP pools")
        }
    }

    /// A requested address, with Calico's words when IPAM refuses it (from the pod's annotation Calico's plugin
    /// prefixes them with "error getting IP from IPAM").
    private func assign(
        _ address: IPAddress, handle: String, attributes: AllocationAttributes, node: String,
        source: AddressPlan.SpecificSource
    ) async throws(CNIError) {
        do {
            try await ipam.assign(address: address, handle: handle, attributes: attributes, node: node)
        } catch {
            let prefix = source == .podAnnotation ? "error getting IP from IPAM: " : ""
            let asked = "\(address), requested by \(source.description)"
            switch error {
            case .notInPool:
                throw CNIError(
                    .addressUnavailable, prefix + "The provided IP address is not in a configured pool",
                    details: "\(asked), is in no enabled IP pool")
            case .inUse(_, let owner):
                throw CNIError(
                    .addressUnavailable, prefix + "Address already assigned in block",
                    details: "\(asked), is already assigned" + (owner.map { " to handle \($0)" } ?? ""))
            default:
                let mapped = StoreErrors.ipam(error, doing: "assigning \(asked)")
                throw CNIError(mapped.code, prefix + mapped.msg, details: mapped.details)
            }
        }
    }

    /// One address of a family, from the named pools (or every usable one).
    private func assignOne(
        _ wanted: AddressPlan.FamilyPools, names: [String], handle: String, attributes: AllocationAttributes,
        node: String
    ) async throws(CNIError) -> IPAddress {
        let family = wanted.family
        let what =
            "assigning an IPv\(family.rawValue) address to handle \(handle) on node \(node)"
            + (names.isEmpty ? "" : " from pools \(names.joined(separator: ", ")) (\(wanted.source ?? "config"))")
        let addresses: [IPAddress]
        do {
            addresses = try await ipam.assign(
                count: 1, handle: handle, attributes: attributes, node: node, family: family, use: .workload,
                pools: names.isEmpty ? nil : names)
        } catch .exhausted(let pools, let node, let requested) {
            let error = IPAMError.exhausted(pools: pools, node: node, requested: requested)
            throw CNIError(
                .addressUnavailable, "failed to request IPv\(family.rawValue) addresses: \(error)", details: what)
        } catch {
            throw StoreErrors.ipam(error, doing: what)
        }
        guard let address = addresses.first else {
            throw CNIError(.addressUnavailable, "failed to request IPv\(family.rawValue) addresses", details: what)
        }
        return address
    }

    /// Gives back addresses this call took (or that a handle no longer needs); a failure here leaves the address
    /// to `ipam check` and GC rather than hiding the error that made us roll back.
    private func releaseQuietly(_ addresses: [IPAddress]) async {
        for address in addresses {
            _ = try? await ipam.release(address: address)
        }
    }
}
