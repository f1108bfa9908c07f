import CalicoAPI
import Datastore
import NetworkAddress

extension NodeAgent {
    /// How a failed bootstrap is named in the status errors.
    static let defaultPoolProblem = "IPPool (default)"

    /// Creates the default IPPools on a datastore without pools (``DefaultPoolBootstrap``). A failure does not
    /// stop the agent: it is logged and shown in the status errors until a reload tries again and succeeds.
    func bootstrapDefaultPools(_ store: any Datastore) async {
        configurationProblems.removeAll { $0.resource == Self.defaultPoolProblem }
        let settings = configuration.defaultPools
        if settings.noDefaultPools {
            log.info("not creating default IPPools (noDefaultPools)")
            return
        }
        do throws(DefaultPoolError) {
            let created = try await DefaultPoolBootstrap.ensure(settings, host: bootstrapHost(), in: store)
            for pool in created {
                log.info(
                    "created a default IPPool",
                    [
                        "pool": pool.metadata.name, "cidr": pool.spec.cidr?.description ?? "",
                        "blockSize": "\(pool.spec.effectiveBlockSize)",
                        "ipipMode": pool.spec.effectiveIPIPMode.rawValue,
                        "vxlanMode": pool.spec.effectiveVXLANMode.rawValue,
                        "natOutgoing": "\(pool.spec.natOutgoing ?? false)",
                    ])
            }
        } catch {
            log.error("cannot create the default IPPools", ["error": error.description])
            configurationProblems.append(
                StatusReport.Problem(resource: Self.defaultPoolProblem, reason: error.description))
        }
    }

    /// A reload tries the bootstrap again when it failed at start (the unreadable pool file may be fixed now).
    func retryDefaultPoolsIfFailed(_ store: any Datastore) async {
        guard configurationProblems.contains(where: { $0.resource == Self.defaultPoolProblem }) else { return }
        await bootstrapDefaultPools(store)
    }

    /// The host's IPv4 addresses and whether IPv6 is on, as calico-node reads them for its default pools.
    private func bootstrapHost() -> DefaultPoolBootstrap.Host {
        let addresses = (try? routeKernel?.addresses()) ?? []
        // calico-node checks FELIX_IPV6SUPPORT and that the kernel has IPv6 (/proc/sys/net/ipv6).
        let kernelHasIPv6 = (try? routeKernel?.readSysctl("net/ipv6/conf/all/forwarding")) != nil
        return DefaultPoolBootstrap.Host(
            ipv4Addresses: addresses.filter { $0.prefix.family == .v4 }.map(\.prefix.address),
            ipv6Enabled: (configuration.felix.ipv6Support ?? true) && kernelHasIPv6)
    }
}
