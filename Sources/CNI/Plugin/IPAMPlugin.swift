import IPAM
import NetworkAddress

/// `tabby-ipam`: Calico's IPAM plugin, for network plugins that delegate (`bridge`, `ptp`, ...). ADD assigns
/// the workload's addresses under its handle and prints the abbreviated result; DEL releases the handle; CHECK
/// verifies that the handle holds the addresses of `prevResult`.
struct IPAMPlugin: Sendable {
    var request: PluginRequest

    func run() async throws(CNIError) -> CNIResult? {
        switch request.environment.command {
        case .add: return try await add()
        case .delete:
            let store = WorkloadStore(datastore: try DatastoreOpening.open(request.config.datastore))
            try await HostIPAMLock.holding(request.config.ipamLockFile, log: request.log) { () throws(CNIError) in
                try await store.releaseAddresses(for: request.identity)
            }
            request.log.info("\(request.subject): released")
        case .check: try await check()
        case .status: try await PoolStatus.check(request, delegate: nil)
        case .garbageCollect: try await GarbageCollection.run(request, delegate: nil)
        case .version: break
        }
        return nil
    }

    func add() async throws(CNIError) -> CNIResult {
        let store = WorkloadStore(datastore: try DatastoreOpening.open(request.config.datastore))
        let identity = request.identity
        let pod = try await store.pod(for: identity)
        let addresses = try await HostIPAMLock.holding(request.config.ipamLockFile, log: request.log) {
            () throws(CNIError) in
            try await store.assignAddresses(for: identity, pod: pod, request: request.addressRequest)
        }
        request.log.info("\(request.subject): " + addresses.map(\.description).joined(separator: ", "))
        return ResultAssembly.ipamResult(addresses: addresses, dns: request.config.dns)
    }

    func check() async throws(CNIError) {
        guard let previous = request.config.prevResult else {
            throw CNIError(.invalidNetworkConfig, "invalid network config", details: "CHECK needs prevResult")
        }
        let addresses = previous.ips.map { CIDR(host: $0.address.address) }
        guard !addresses.isEmpty else {
            throw CNIError(.checkFailed, "prevResult has no address", details: "prevResult.ips is empty")
        }
        let datastore = try DatastoreOpening.open(request.config.datastore)
        try await AddressSource.tabby(WorkloadStore(datastore: datastore), datastore).check(
            request, addresses: addresses)
    }
}
