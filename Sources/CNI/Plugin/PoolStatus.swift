import CalicoAPI
import Datastore
import NetworkAddress

/// STATUS (1.1.0): the plugin can serve ADDs when the datastore is readable and, for the in-process IPAM, an
/// enabled IPPool exists for every family the config assigns; else code 50 (plugin not available) with the
/// reason. A delegated IPAM plugin is asked too, as the spec says, and its error passed on.
enum PoolStatus {
    static func check(_ request: PluginRequest, delegate: DelegatedPlugin?) async throws(CNIError) {
        let datastore: any Datastore
        do {
            datastore = try DatastoreOpening.open(request.config.datastore)
        } catch {
            throw CNIError(.pluginNotAvailable, "the datastore is not available", details: error.description)
        }
        if let delegate {
            _ = try await delegate.run(.status, environment: request.environment, stdin: request.stdin)
            return
        }
        let listing: DatastoreListing
        do {
            listing = try await datastore.list(.ipPool, namespace: nil)
        } catch {
            throw CNIError(.pluginNotAvailable, "the datastore is not readable", details: "listing IPPools: \(error)")
        }
        let enabled = listing.resources.compactMap { $0.as(IPPool.self) }.filter { !$0.spec.isDisabled }
        let ipam = request.config.ipam
        for (family, wanted) in [(IPFamily.v4, ipam.assignIPv4), (.v6, ipam.assignIPv6)] where wanted {
            guard enabled.contains(where: { $0.spec.cidr?.family == family }) else {
                let flag = family == .v4 ? "assign_ipv4" : "assign_ipv6"
                throw CNIError(
                    .pluginNotAvailable, "no enabled \(family) IP pool",
                    details: "the datastore has no enabled \(family) IPPool, and ipam.\(flag) is true")
            }
        }
    }
}
