import CalicoAPI
import Datastore
import NetworkAddress

/// calico-node's start-up pools (node/pkg/lifecycle/startup `configureIPPools`): on a datastore without any
/// IPPool, create `default-ipv4-ippool` and `default-ipv6-ippool` from ``DefaultPoolSettings``. Nothing is
/// created when `NO_DEFAULT_POOLS` is set, for a family whose CIDR is `none`, or, for IPv6, when IPv6 is off.
/// Pools are created, never applied: a node that loses the race gets "already exists" and keeps the winner's
/// pool.
///
/// Unlike calico-node, which fills in each family that has no pool, any existing pool stops the bootstrap:
/// a cluster that runs with IPv4 pools does not gain a generated IPv6 pool when tabbyd restarts.
enum DefaultPoolBootstrap {
    /// calico-node's fallbacks when a host address lies inside 192.168.0.0/16: 172.16.0.0/16 to 172.31.0.0/16.
    static let fallbackIPv4CIDRs: [CIDR] = (16...31).map { CIDR("172.\($0).0.0/16")! }

    /// What the host looks like to the bootstrap.
    struct Host {
        /// The host's IPv4 interface addresses, to keep the default IPv4 pool clear of them.
        var ipv4Addresses: [IPAddress]
        /// Whether IPv6 is on: Felix's `ipv6Support` (the local setting; default true) and the kernel has IPv6.
        var ipv6Enabled: Bool
    }

    /// The pools to create, given the pools that exist: none when any exists.
    static func pools(
        _ settings: DefaultPoolSettings, existing: [IPPool], host: Host,
        randomULA: () -> CIDR = DefaultPoolBootstrap.randomULA
    ) -> [IPPool] {
        if settings.noDefaultPools || !existing.isEmpty { return [] }
        var result: [IPPool] = []
        if let template = settings.ipv4 {
            let cidr = template.cidr ?? defaultIPv4CIDR(avoiding: host.ipv4Addresses)
            result.append(pool(DefaultPoolSettings.ipv4PoolName, cidr: cidr, template))
        }
        if let template = settings.ipv6, host.ipv6Enabled {
            result.append(pool(DefaultPoolSettings.ipv6PoolName, cidr: template.cidr ?? randomULA(), template))
        }
        return result
    }

    /// 192.168.0.0/16 unless a host address is inside it, then the first of ``fallbackIPv4CIDRs`` that holds
    /// none; 192.168.0.0/16 again when every one does.
    static func defaultIPv4CIDR(avoiding addresses: [IPAddress]) -> CIDR {
        let candidates = [DefaultPoolSettings.defaultIPv4CIDR] + fallbackIPv4CIDRs
        return candidates.first { cidr in !addresses.contains { cidr.contains($0) } }
            ?? DefaultPoolSettings.defaultIPv4CIDR
    }

    /// A random RFC 4193 unique local /48: `fd` followed by a 40-bit random global ID.
    static func randomULA() -> CIDR {
        var generator = SystemRandomNumberGenerator()
        let globalID = UInt64.random(in: 0..<(1 << 40), using: &generator)
        let high = (UInt64(0xfd) << 56) | (globalID << 16)
        return try! CIDR(address: .v6(IPv6Address(high: high, low: 0)), prefixLength: 48)
    }

    private static func pool(_ name: String, cidr: CIDR, _ template: DefaultPoolSettings.Template) -> IPPool {
        var spec = IPPoolSpec(cidr: cidr)
        spec.blockSize = template.blockSize
        spec.ipipMode = cidr.family == .v4 ? template.ipipMode : .never
        spec.vxlanMode = template.vxlanMode
        spec.natOutgoing = template.natOutgoing
        spec.nodeSelector = template.nodeSelector
        spec.disableBGPExport = template.disableBGPExport
        return IPPool(name: name, spec: spec)
    }

    /// Lists the pools and creates the missing defaults; returns the pools this call created. Nothing is created
    /// while any IPPool file cannot be read: it may be a pool of that family.
    static func ensure(
        _ settings: DefaultPoolSettings, host: Host, in store: any Datastore,
        randomULA: () -> CIDR = DefaultPoolBootstrap.randomULA
    ) async throws(DefaultPoolError) -> [IPPool] {
        if settings.noDefaultPools || (settings.ipv4 == nil && settings.ipv6 == nil) { return [] }
        let listing: DatastoreListing
        do {
            listing = try await store.list(.ipPool, namespace: nil)
        } catch {
            throw DefaultPoolError("cannot list the IPPools: \(error)")
        }
        if let problem = listing.problems.first {
            throw DefaultPoolError("not creating default IPPools while an IPPool cannot be read: \(problem)")
        }
        let existing = listing.resources.compactMap { $0.as(IPPool.self) }
        var created: [IPPool] = []
        for pool in pools(settings, existing: existing, host: host, randomULA: randomULA) {
            do {
                if let written = try await store.create(AnyResource(pool)).as(IPPool.self) { created.append(written) }
            } catch .alreadyExists {
                continue  // another node created it first
            } catch {
                throw DefaultPoolError("cannot create IPPool \(pool.metadata.name) (\(pool.spec.cidr!)): \(error)")
            }
        }
        return created
    }
}

/// Why the default pools could not be made.
struct DefaultPoolError: Error, Sendable, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
