import CalicoAPI
import Datastore
import NetworkAddress

extension IPAMClient {
    /// Splits a pool into `parts` equal pools, as `calicoctl ipam split` does: `parts` a power of two, each part
    /// at least one block, the new pools named `split-<name>-<i>` with the old pool's labels, annotations and
    /// spec (enabled), and the old pool removed. Its blocks, affinities and addresses are left as they are:
    /// every block falls inside one of the parts.
    ///
    /// Calico requires its datastore to be locked for the split; Tabby has no such lock, so the pool must be
    /// disabled first: no address is assigned from a disabled pool, and releases are safe meanwhile. The old
    /// pool is deleted before the parts are created (pools never overlap); if a part cannot be created, the
    /// parts made so far are removed and the old pool is put back.
    public func split(pool reference: String, into parts: Int) async throws(IPAMError) -> [IPPool] {
        let pools = try await listPools()
        guard
            let old = pools.first(where: { $0.metadata.name == reference })
                ?? pools.first(where: {
                    $0.spec.cidr.map { $0.description == reference || $0.masked.description == reference } ?? false
                }),
            let network = old.spec.cidr?.masked
        else { throw .poolSplit(pool: reference, reason: "there is no IP pool with that name or CIDR") }
        let name = old.metadata.name
        guard old.spec.isDisabled else {
            throw .poolSplit(
                pool: name,
                reason:
                    "disable it first (spec.disabled: true), so that no address is assigned from it during the split")
        }
        let cidrs: [CIDR]
        do {
            cidrs = try Self.splitCIDR(network, into: parts)
        } catch {
            throw .poolSplit(pool: name, reason: error.reason)
        }
        let blockSize = old.spec.effectiveBlockSize
        if let part = cidrs.first, part.prefixLength > blockSize {
            throw .poolSplit(
                pool: name,
                reason:
                    "each of \(parts) parts (/\(part.prefixLength)) would be smaller than its block size /\(blockSize)")
        }
        if let straddling = try await listBlocks().compactMap(\.spec.cidr).first(where: { block in
            network.overlaps(block) && !cidrs.contains { $0.contains(block) }
        }) {
            throw .poolSplit(pool: name, reason: "block \(straddling) would straddle two of the new pools")
        }
        let children = cidrs.enumerated().map { index, cidr -> IPPool in
            var child = IPPool(name: Self.splitName(name, index), spec: old.spec)
            child.metadata.labels = old.metadata.labels
            child.metadata.annotations = old.metadata.annotations
            child.spec.cidr = cidr
            child.spec.disabled = false
            return child
        }
        if let taken = children.first(where: { child in pools.contains { $0.metadata.name == child.metadata.name } }) {
            throw .poolSplit(pool: name, reason: "an IP pool named \(taken.metadata.name) already exists")
        }
        do {
            _ = try await datastore.delete(old.key, resourceVersion: old.metadata.resourceVersion)
        } catch {
            throw .datastore(error)
        }
        var created: [IPPool] = []
        for child in children {
            do {
                created.append(try await datastore.create(AnyResource(child)).as(IPPool.self) ?? child)
            } catch {
                for made in created { _ = try? await datastore.delete(made.key, resourceVersion: nil) }
                var restored = old
                restored.metadata.resourceVersion = nil
                _ = try? await datastore.create(AnyResource(restored))
                throw .poolSplit(
                    pool: name, reason: "creating \(child.metadata.name) failed, the pool was restored: \(error)")
            }
        }
        return created
    }

    /// Why a CIDR cannot be split.
    public struct SplitProblem: Error {
        public var reason: String
    }

    /// `network` cut into `parts` equal prefixes, in address order.
    public static func splitCIDR(_ network: CIDR, into parts: Int) throws(SplitProblem) -> [CIDR] {
        guard parts >= 2, parts & (parts - 1) == 0 else {
            throw SplitProblem(reason: "the number of parts must be a power of 2 (2, 4, 8, ...), not \(parts)")
        }
        let prefixLength = network.prefixLength + parts.trailingZeroBitCount
        guard prefixLength <= network.address.bitWidth else {
            throw SplitProblem(reason: "\(network) is not large enough to be split into \(parts) parts")
        }
        return (0..<parts).compactMap { network.subnet(at: UInt64($0), prefixLength: prefixLength) }
    }

    /// Calico's names for the parts: `split-<name>-<i>`, the name shortened to keep within 253 characters.
    static func splitName(_ name: String, _ index: Int) -> String {
        let full = "split-\(name)-\(index)"
        return full.utf8.count <= 253 ? full : "split-\(name.prefix(245))-\(index)"
    }
}
