import CalicoAPI
import Datastore
import IPAM
import NetworkAddress

/// Where `tabby` gets a workload's addresses: in process through the IPAM module when `ipam.type` is
/// `tabby-ipam` (no exec, the fast path), else from the named IPAM plugin, delegated as the spec says (so
/// `host-local` works too).
enum AddressSource: Sendable {
    case tabby(WorkloadStore, any Datastore)
    case delegated(DelegatedPlugin)

    /// The workload's addresses as /32 and /128, IPv4 first.
    func assign(_ request: PluginRequest, pod: Pod?) async throws(CNIError) -> [CIDR] {
        switch self {
        case .tabby(let store, _):
            return try await HostIPAMLock.holding(request.config.ipamLockFile, log: request.log) {
                () throws(CNIError) in
                try await store.assignAddresses(for: request.identity, pod: pod, request: request.addressRequest)
            }
        case .delegated(let plugin):
            let result: CNIResult?
            do {
                result = try await plugin.run(.add, environment: request.environment, stdin: request.stdin)
            } catch {
                // The spec: a delegate that failed ADD is run again with DEL before the failure is returned.
                try? await release(request)
                throw error
            }
            let addresses = (result?.ips ?? []).map { CIDR(host: $0.address.address) }.sorted()
            guard !addresses.isEmpty else {
                // The delegate may still hold something: the spec asks for a DEL before failing.
                try? await release(request)
                throw CNIError(
                    .addressUnavailable, "the IPAM plugin returned no address",
                    details: "\(plugin.type) returned no ips")
            }
            return addresses
        }
    }

    /// Gives back everything the workload holds; succeeds when it holds nothing.
    func release(_ request: PluginRequest) async throws(CNIError) {
        switch self {
        case .tabby(let store, _):
            try await HostIPAMLock.holding(request.config.ipamLockFile, log: request.log) { () throws(CNIError) in
                try await store.releaseAddresses(for: request.identity)
            }
        case .delegated(let plugin):
            _ = try await plugin.run(.delete, environment: request.environment, stdin: request.stdin)
        }
    }

    /// CHECK: the addresses are still the workload's. For `tabby-ipam` each address must be allocated under the
    /// workload's handle; a delegate is asked with CHECK.
    func check(_ request: PluginRequest, addresses: [CIDR]) async throws(CNIError) {
        switch self {
        case .tabby(_, let datastore):
            let handle = WorkloadNames.handle(for: request.identity)
            let client = IPAMClient(datastore: datastore)
            for address in addresses {
                let allocation: Allocation?
                do {
                    allocation = try await client.allocation(of: address.address)
                } catch {
                    throw CNIError(.ioFailure, "cannot read the IPAM blocks", details: "\(error)")
                }
                guard let allocation else {
                    throw CNIError(
                        .checkFailed, "an address of the workload is not allocated",
                        details: "\(address.address) is not allocated (handle \(handle))")
                }
                guard allocation.handle == handle else {
                    throw CNIError(
                        .checkFailed, "an address of the workload is allocated to another handle",
                        details:
                            "\(address.address) is allocated to handle \(allocation.handle ?? "none"), not \(handle)")
                }
            }
        case .delegated(let plugin):
            _ = try await plugin.run(.check, environment: request.environment, stdin: request.stdin)
        }
    }
}

extension CNIError.Code {
    /// CHECK found the attachment other than ADD left it (Tabby's own code).
    public static let checkFailed = CNIError.Code(rawValue: 102)
}
