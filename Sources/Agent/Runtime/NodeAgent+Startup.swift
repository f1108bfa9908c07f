import CalicoAPI
import Dataplane
import Datastore
import IPAM
import NetworkAddress

extension NodeAgent {
    func start() async throws(AgentError) {
        let name = configuration.nodeName
        startedAt = .now
        let datastore = configuration.datastoreConnection.summary
        log.info("starting", ["node": name, "version": TabbyVersion.current, "datastore": datastore])
        let store: any Datastore
        do {
            store = try wiring.openDatastore(configuration)
        } catch {
            throw AgentError("cannot open the datastore \(datastore): \(error)")
        }
        self.store = store
        ipam = IPAMClient(datastore: store)
        do {
            let kernel = try wiring.openRouteKernel()
            routeKernel = kernel
            reconciler = DataplaneReconciler(kernel: kernel)
            // Notifications first, so that nothing between the first dump and the subscription is missed.
            if let source = kernel as? any KernelChangeSource {
                do {
                    kernelSubscription = try source.watchChanges()
                } catch {
                    log.error(
                        "cannot watch the kernel for changes; relying on the periodic resync", ["error": "\(error)"])
                }
            }
        } catch {
            throw AgentError("cannot open a netlink socket: \(error)")
        }
        do {
            policyDataplane = PolicyDataplane(kernel: try wiring.openRulesetKernel())
        } catch {
            throw AgentError("cannot open an nf_tables socket: \(error)")
        }
        // The status server first: while the agent waits for its datastore, the status says why.
        do {
            server = try StatusServer.start(StatusServer.Configuration(agent: configuration), provider: board, log: log)
        } catch {
            throw AgentError("cannot serve status on \(configuration.statusSocket): \(error)")
        }
        let existing = try await waitForDatastore("read Node \(name)") { () async throws(DatastoreError) in
            try await self.registeredAddresses(in: store)
        }
        let addresses = try resolveNodeAddresses(existing: existing)
        nodeAddress = addresses.ipv4
        do {
            _ = try await waitForDatastore("register Node \(name)") { () async throws(DatastoreError) in
                try await NodeRegistration.ensure(
                    node: name, address: addresses.ipv4, ipv6Address: addresses.ipv6,
                    labels: self.configuration.nodeLabels, in: store)
            }
        } catch {
            throw AgentError("cannot register Node \(name): \(error)")
        }
        await bootstrapDefaultPools(store)
        await ensureTunnelAddresses()
        if let changes = kernelSubscription?.changes {
            tasks.append(
                Task { [weak self] in
                    for await event in changes { await self?.kernelEvent(event) }
                })
        }
        startWatch(store)
        startTimers()
    }

    func startWatch(_ store: any Datastore) {
        fileProblems.watchStarted()
        let events = store.watch(CalculationPipeline.watchedKinds)
        tasks.append(
            Task { [weak self] in
                do {
                    for try await event in events { await self?.datastoreEvent(event) }
                } catch {
                    await self?.watchFailed(error)
                }
            })
    }

    private func startTimers() {
        tasks.append(
            Task { [weak self] in
                while !Task.isCancelled {
                    let interval = await self?.refreshInterval() ?? .seconds(90)
                    try? await Task.sleep(for: interval)
                    await self?.periodicResync()
                }
            })
        tasks.append(
            Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(10))
                    await self?.heartbeat()
                }
            })
        tasks.append(
            Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: PolicyDataplane.checkInterval)
                    await self?.checkRuleset()
                }
            })
    }

    // MARK: Tunnel addresses

    /// Claims (or gives back) this node's tunnel addresses as the pools require.
    func ensureTunnelAddresses() async {
        guard let ipam else { return }
        do {
            let tunnels = try await ipam.ensureTunnelAddresses(node: configuration.nodeName)
            board.update {
                $0.tunnelAddresses = StatusReport.TunnelAddresses(
                    ipip: tunnels.ipip?.description, vxlan: tunnels.vxlan?.description,
                    vxlanMAC: tunnels.vxlanMAC?.description, vxlanV6: tunnels.vxlanV6?.description,
                    vxlanMACV6: tunnels.vxlanMACV6?.description)
            }
        } catch {
            log.error("cannot claim tunnel addresses", ["error": error.description])
            configurationProblems.append(
                StatusReport.Problem(resource: "Node \(configuration.nodeName)", reason: "tunnel addresses: \(error)"))
        }
    }

    /// A pool changed, or our Node lost its tunnel addresses (someone rewrote it): claim them again.
    func needsTunnelCheck(_ event: WatchEvent) -> Bool {
        let node: Node
        switch event {
        case .added(let resource), .modified(let resource):
            guard resource.kind == .node else { return true }
            guard let written = resource.as(Node.self) else { return false }
            node = written
        case .deleted(let resource):
            return resource.kind == .ipPool
        case .synced, .problem, .problemCleared, .resyncing:
            return false
        }
        let report = board.statusReport().tunnelAddresses
        return (report.vxlan != nil && node.spec.ipv4VXLANTunnelAddr == nil)
            || (report.vxlanV6 != nil && node.spec.ipv6VXLANTunnelAddr == nil)
            || (report.ipip != nil && node.spec.bgp?.ipv4IPIPTunnelAddr == nil)
    }

    func scheduleTunnelCheck() {
        guard !tunnelCheckPending else { return }
        tunnelCheckPending = true
        Task { [weak self] in await self?.runTunnelCheck() }
    }

    private func runTunnelCheck() async {
        tunnelCheckPending = false
        configurationProblems.removeAll { $0.reason.hasPrefix("tunnel addresses:") }
        await ensureTunnelAddresses()
    }
}
