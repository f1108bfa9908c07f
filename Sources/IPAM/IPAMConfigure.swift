import CalicoAPI
import Datastore

extension IPAMClient {
    /// Changes the cluster's IPAM configuration (`IPAMConfiguration` `default`, created with Calico's defaults
    /// when missing), as `calicoctl ipam configure` does: only the settings given change. The datastore's
    /// validation keeps Calico's rules (a block limit needs strict affinity; strict affinity and automatic
    /// block allocation cannot both be off). Returns what was stored.
    @discardableResult
    public func configure(strictAffinity: Bool? = nil, maxBlocksPerHost: Int? = nil) async throws(IPAMError)
        -> IPAMConfigurationSpec
    {
        let key = ResourceKey(kind: .ipamConfiguration, name: "default")
        for _ in 0..<retries {
            do {
                var stored: IPAMConfiguration?
                do {
                    stored = try await datastore.get(key).as(IPAMConfiguration.self)
                } catch .notFound {
                    stored = nil
                }
                var configuration = stored ?? IPAMConfiguration(name: "default", spec: IPAMConfigurationSpec())
                if let strictAffinity { configuration.spec.strictAffinity = strictAffinity }
                if let maxBlocksPerHost { configuration.spec.maxBlocksPerHost = maxBlocksPerHost }
                let written =
                    stored == nil
                    ? try await datastore.create(AnyResource(configuration))
                    : try await datastore.update(AnyResource(configuration))
                return written.as(IPAMConfiguration.self)?.spec ?? configuration.spec
            } catch .conflict {
                continue
            } catch .alreadyExists {
                continue
            } catch {
                throw .datastore(error)
            }
        }
        throw .contention("IPAM configuration default")
    }
}
