import Calculation
import CalicoAPI
import Dataplane
import Datastore
import Foundation
import IPAM
import Netlink
import NetworkAddress
import Policy

/// tabbyd's main loop: the one owner of the agent's view of the cluster and of the kernel (DESIGN.md rule 6).
///
/// Start-up: register the Node, claim tunnel addresses, start the status socket, then watch the datastore
/// until it is in sync and dump the kernel before the first write. Afterwards every datastore change, kernel
/// notification, refresh tick and signal arrives here; changes are debounced into one apply that computes the
/// desired dataplane and lets the reconciler write only the difference.
public actor NodeAgent {
    /// The kinds the calculation reads.
    static let watchedKinds: Set<ResourceKind> = [
        .ipPool, .node, .ipamBlock, .blockAffinity, .workloadEndpoint, .hostEndpoint, .felixConfiguration,
        .globalNetworkPolicy, .networkPolicy, .tier, .profile, .namespace, .globalNetworkSet, .networkSet,
    ]
    /// How long changes are gathered before an apply: a burst of events costs one apply.
    static let debounce: Duration = .milliseconds(5)

    private var configuration: AgentConfiguration
    private let arguments: [String]
    private let processEnvironment: [String: String]
    private let log: AgentLog
    private let board: StatusBoard
    private let notifier: SystemdNotifier

    private var store: FileDatastore?
    private var ipam: IPAMClient?
    private var kernel: NetlinkKernel?
    private var monitor: NetlinkMonitor?
    private var reconciler: DataplaneReconciler?
    private var policyDataplane: PolicyDataplane?
    private var server: StatusServer?
    private var nodeAddress: CIDR?

    private var state = ClusterState()
    private var policyState = PolicyState()
    private var inSync = false
    private var applyScheduled = false
    private var applyCount = 0
    private var failureStreak = 0
    private var lastPodMTU: Int?
    private var configurationProblems: [StatusReport.Problem] = []
    private var tasks: [Task<Void, Never>] = []
    private var stopped: CheckedContinuation<Void, Never>?
    private var isStopping = false
    private var tunnelCheckPending = false

    public init(configuration: AgentConfiguration, arguments: [String], environment: [String: String], log: AgentLog) {
        self.configuration = configuration
        self.arguments = arguments
        self.processEnvironment = environment
        self.log = log
        self.board = StatusBoard(node: configuration.nodeName, version: TabbyVersion.current)
        self.notifier = SystemdNotifier(environment: environment)
    }

    /// Runs until SIGTERM or SIGINT. Throws only when the agent cannot start; the dataplane is left in place
    /// when it stops, so workloads keep their connectivity while the agent restarts.
    public func run() async throws(AgentError) {
        let signals = Signals.stream()
        tasks.append(Task { [weak self] in
            for await signal in signals { await self?.handle(signal) }
        })
        try await start()
        await withCheckedContinuation { continuation in
            if isStopping { continuation.resume() } else { stopped = continuation }
        }
        for task in tasks { task.cancel() }
        server?.stop()
        try? notifier.stopping()
        log.info("stopped; the dataplane is left in place")
    }

    // MARK: Start-up

    private func start() async throws(AgentError) {
        let name = configuration.nodeName
        log.info("starting", ["node": name, "version": TabbyVersion.current, "datastore": configuration.datastore])
        let store: FileDatastore
        do {
            store = try FileDatastore(directory: configuration.datastore)
        } catch {
            throw AgentError("cannot open the datastore \(configuration.datastore): \(error)")
        }
        self.store = store
        ipam = IPAMClient(datastore: store)
        do {
            let kernel = try NetlinkKernel()
            self.kernel = kernel
            reconciler = DataplaneReconciler(kernel: kernel)
            policyDataplane = try PolicyDataplane()
        } catch {
            throw AgentError("cannot open a netlink socket: \(error)")
        }
        let address = try detectNodeAddress()
        nodeAddress = address
        do {
            _ = try await NodeRegistration.ensure(
                node: name, address: address, labels: configuration.nodeLabels, in: store)
        } catch {
            throw AgentError("cannot register Node \(name): \(error)")
        }
        await ensureTunnelAddresses()
        do {
            server = try StatusServer.start(StatusServer.Configuration(agent: configuration), provider: board, log: log)
        } catch {
            throw AgentError("cannot serve status on \(configuration.statusSocket): \(error)")
        }
        startKernelMonitor()
        startWatch(store)
        startTimers()
    }

    private func detectNodeAddress() throws(AgentError) -> CIDR {
        if let address = configuration.nodeIP { return address }
        do {
            let detected = try NodeIPDetection.detect(using: try RouteSocket())
            log.info("detected the node address", ["address": detected.description])
            return detected.address
        } catch {
            throw AgentError("\(error)")
        }
    }

    /// Claims (or gives back) this node's tunnel addresses as the pools require.
    private func ensureTunnelAddresses() async {
        guard let ipam else { return }
        do {
            let tunnels = try await ipam.ensureTunnelAddresses(node: configuration.nodeName)
            board.update {
                $0.tunnelAddresses = StatusReport.TunnelAddresses(
                    ipip: tunnels.ipip?.description, vxlan: tunnels.vxlan?.description,
                    vxlanMAC: tunnels.vxlanMAC?.description)
            }
        } catch {
            log.error("cannot claim tunnel addresses", ["error": error.description])
            configurationProblems.append(StatusReport.Problem(resource: "Node \(configuration.nodeName)", reason: "tunnel addresses: \(error)"))
        }
    }

    // MARK: Event sources

    private func startWatch(_ store: FileDatastore) {
        let events = store.watch(Self.watchedKinds)
        tasks.append(Task { [weak self] in
            do {
                for try await event in events { await self?.datastoreEvent(event) }
            } catch {
                await self?.watchFailed(error)
            }
        })
    }

    private func startKernelMonitor() {
        guard let kernel else { return }
        do {
            let monitor = try kernel.makeMonitor()
            let events = try monitor.events()
            self.monitor = monitor
            tasks.append(Task { [weak self] in
                for await event in events { await self?.kernelEvent(event) }
            })
        } catch {
            log.error("cannot watch the kernel for changes; relying on the periodic resync", ["error": "\(error)"])
        }
    }

    private func startTimers() {
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                let interval = await self?.refreshInterval ?? .seconds(90)
                try? await Task.sleep(for: interval)
                await self?.periodicResync()
            }
        })
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(10))
                await self?.heartbeat()
            }
        })
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: PolicyDataplane.checkInterval)
                await self?.checkRuleset()
            }
        })
    }

    /// Someone committed to nf_tables: apply soon, which lists Tabby's tables and repairs them if needed.
    private func checkRuleset() {
        if inSync, policyDataplane?.checkForChanges() == true { scheduleApply() }
    }

    private var refreshInterval: Duration {
        let (settings, _) = FelixSettings.resolve(
            state: state, node: configuration.nodeName, overrides: configuration.felixOverrides)
        return settings.routeRefreshInterval > .zero ? settings.routeRefreshInterval : .seconds(90)
    }

    private func heartbeat() {
        board.heartbeat()
        if notifier.watchdogInterval != nil { try? notifier.watchdog() }
    }

    // MARK: Events

    private func datastoreEvent(_ event: WatchEvent) {
        var changed = false
        switch event {
        case .added(let resource), .modified(let resource):
            changed = state.upsert(resource)
            changed = policyState.upsert(resource) || changed
            if inSync && (resource.kind == .ipPool || isOwnNodeMissingTunnels(resource)) { scheduleTunnelCheck() }
        case .deleted(let resource):
            changed = state.remove(resource.key)
            changed = policyState.remove(resource.key) || changed
            if inSync && resource.kind == .ipPool { scheduleTunnelCheck() }
        case .synced:
            inSync = true
            board.setDatastoreInSync(true)
            log.info("datastore in sync", ["resources": String(state.workloadEndpointCount)])
            scheduleTunnelCheck()
            changed = true
        case .problem(let problem):
            log.warning("a datastore file is not valid", ["problem": problem.description])
        }
        if changed && inSync { scheduleApply() }
    }

    /// Our Node lost its tunnel addresses (someone rewrote it): claim them again.
    private func isOwnNodeMissingTunnels(_ resource: AnyResource) -> Bool {
        guard resource.kind == .node, resource.metadata.name == configuration.nodeName,
            let node = resource.as(Node.self)
        else { return false }
        let report = board.statusReport().tunnelAddresses
        return (report.vxlan != nil && node.spec.ipv4VXLANTunnelAddr == nil)
            || (report.ipip != nil && node.spec.bgp?.ipv4IPIPTunnelAddr == nil)
    }

    private func scheduleTunnelCheck() {
        guard !tunnelCheckPending else { return }
        tunnelCheckPending = true
        Task { [weak self] in await self?.runTunnelCheck() }
    }

    private func runTunnelCheck() async {
        tunnelCheckPending = false
        configurationProblems.removeAll { $0.reason.hasPrefix("tunnel addresses:") }
        await ensureTunnelAddresses()
    }

    private func watchFailed(_ error: any Error) {
        log.error("the datastore watch ended", ["error": "\(error)"])
        board.setDatastoreInSync(false)
        inSync = false
        if let store { startWatch(store) }
    }

    private func kernelEvent(_ event: NetlinkEvent) {
        guard let reconciler else { return }
        if reconciler.kernelChanged(event) { scheduleApply() }
    }

    private func periodicResync() {
        reconciler?.requestResync()
        policyDataplane?.requestResync()
        board.metrics.resyncsStarted.increment()
        scheduleApply()
    }

    // MARK: Applying

    private func scheduleApply(after delay: Duration = NodeAgent.debounce) {
        guard !applyScheduled, !isStopping else { return }
        applyScheduled = true
        Task { [weak self] in
            try? await Task.sleep(for: delay)
            await self?.apply()
        }
    }

    /// Computes the desired dataplane and applies the difference.
    private func apply() {
        applyScheduled = false
        guard inSync, let reconciler, !isStopping else { return }
        let started = ContinuousClock.now
        let (settings, settingsProblems) = FelixSettings.resolve(
            state: state, node: configuration.nodeName, overrides: configuration.felixOverrides)
        let reconcilerConfiguration = DataplaneReconciler.Configuration(
            workloadInterfacePrefixes: settings.interfacePrefixes, deviceRouteProtocol: settings.deviceRouteProtocol,
            removeExternalRoutes: settings.removeExternalRoutes)
        if reconcilerConfiguration != reconciler.configuration, let kernel {
            self.reconciler = DataplaneReconciler(kernel: kernel, configuration: reconcilerConfiguration)
            return apply()
        }
        let environment: NodeEnvironment
        do {
            environment = try reconciler.environment(
                nodeAddress: nodeAddress?.address, mtuInterfacePattern: settings.mtuIfacePattern)
        } catch {
            log.error("cannot read the kernel's interfaces", ["error": "\(error)"])
            board.recordApplyFailure()
            scheduleApply(after: .seconds(1))
            return
        }
        let calculated = ContinuousClock.now
        let desired = Calculator.desired(
            state: state, node: configuration.nodeName, environment: environment, settings: settings)
        board.metrics.calculationTime.observe(Self.seconds(ContinuousClock.now - calculated))
        var report = reconciler.apply(desired)
        if let policyDataplane {
            let ruleset = policyDataplane.apply(
                state: policyState, node: configuration.nodeName,
                settings: PolicyDataplane.settings(settings, desired: desired))
            report.include(ruleset)
        }
        if report.failures.isEmpty { failureStreak = 0 }
        writePodMTU(desired.podMTU)
        applyCount += 1

        let duration = Self.seconds(ContinuousClock.now - started)
        board.recordApply(durationSeconds: duration, writes: report.writeCount)
        if !report.failures.isEmpty { board.recordApplyFailure() }
        updateStatus(desired: desired, report: report, settingsProblems: settingsProblems)
        if report.writeCount > 0 || !report.failures.isEmpty || applyCount == 1 {
            log.info(
                "applied", ["writes": String(report.writeCount), "failures": String(report.failures.count),
                    "seconds": String(format: "%.4f", duration)])
            for failure in report.failures { log.warning("kernel write failed", ["failure": failure.description]) }
        }
        if applyCount == 1 {
            try? notifier.ready(status: "programmed \(report.writeCount) changes")
        }
        if !report.failures.isEmpty {
            // Retry what failed (a device that appears later, a transient error), soon at first, then backing
            // off to every 5 s while it keeps failing.
            failureStreak += 1
            scheduleApply(after: min(.milliseconds(50) * (1 << min(failureStreak, 7)), .seconds(5)))
        } else if let expiry = report.graceExpiry {
            scheduleApply(after: max(.milliseconds(1), expiry - ContinuousClock.now))
        }
    }

    private func updateStatus(desired: DesiredDataplane, report: ApplyReport, settingsProblems: [FelixSettingsProblem]) {
        let summary = reconciler?.summary
        let name = configuration.nodeName
        var blocks: [StatusReport.Block] = []
        for (cidr, block) in state.ipamBlocks.sorted(by: { $0.key < $1.key }) {
            let owner = block.spec.affinity.flatMap { $0.hasPrefix("host:") ? String($0.dropFirst(5)) : nil }
            let routeState: String
            if owner == name {
                routeState = "local"
            } else if let route = desired.routes[cidr] {
                switch route.kind {
                case .vxlanTunnel: routeState = "vxlan"
                case .ipipTunnel: routeState = "ipip"
                case .blackhole: routeState = "local"
                default: routeState = "direct"
                }
            } else {
                routeState = "unreachable"
            }
            blocks.append(StatusReport.Block(cidr: cidr.description, node: owner, state: routeState))
        }
        var errors = configurationProblems
        errors += desired.problems.map { StatusReport.Problem(resource: $0.resource, reason: $0.reason) }
        errors += report.failures.map { StatusReport.Problem(resource: "\($0.object)", reason: $0.reason) }
        errors += settingsProblems.map { StatusReport.Problem(resource: $0.source, reason: "\($0.parameter): \($0.reason)") }
        errors += policyState.unusable.sorted { $0.key < $1.key }.map {
            StatusReport.Problem(resource: "\($0.key)", reason: $0.value)
        }
        let localEndpoints = state.workloadEndpoints(on: name).count
        let ruleset = policyDataplane?.summary
        board.update { report in
            report.ruleset = ruleset.map(StatusReport.Ruleset.init)
            report.blocks = blocks
            report.counts = StatusReport.Counts(
                routes: summary?.routes ?? 0, devices: summary?.devices.count ?? 0, neighbors: summary?.neighbors ?? 0,
                workloadEndpoints: localEndpoints)
        }
        board.setErrors(errors)
        board.metrics.routes.set(Double(summary?.routes ?? 0))
        board.metrics.activeLocalEndpoints.set(Double(localEndpoints))
        board.metrics.clusterHosts.set(Double(state.nodes.count))
        board.metrics.clusterWorkloadEndpoints.set(Double(state.workloadEndpointCount))
    }

    /// Writes the pod MTU for the CNI plugin, only when it changed.
    private func writePodMTU(_ mtu: Int?) {
        guard let mtu, mtu != lastPodMTU else { return }
        let path = configuration.mtuFile
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try "\(mtu)\n".write(toFile: path, atomically: true, encoding: .utf8)
            lastPodMTU = mtu
        } catch {
            log.warning("cannot write the pod MTU file", ["path": path, "error": "\(error)"])
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    // MARK: Signals

    private func handle(_ signal: AgentSignal) async {
        switch signal {
        case .hangup:
            await reload()
        case .terminate, .interrupt:
            log.info("stopping", ["signal": signal.description])
            isStopping = true
            stopped?.resume()
            stopped = nil
        }
    }

    /// SIGHUP: re-reads the configuration file and applies the difference in place. An invalid configuration
    /// is rejected with an error in the log and the status, and the running one is kept.
    private func reload() async {
        try? notifier.reloading()
        defer { try? notifier.ready(status: "reloaded") }
        let fresh: AgentConfiguration
        do {
            fresh = try AgentConfiguration.load(arguments: arguments, environment: processEnvironment)
        } catch {
            log.error("reload rejected: the configuration is not valid; keeping the running one", ["error": error.description])
            board.metrics.configReloadFailures.increment()
            configurationProblems.removeAll { $0.resource.hasPrefix("config") }
            configurationProblems.append(
                StatusReport.Problem(resource: "config \(configuration.configFile ?? "(none)")", reason: error.description))
            board.setErrors(configurationProblems + board.statusReport().errors.filter { !$0.resource.hasPrefix("config") })
            return
        }
        configurationProblems.removeAll { $0.resource.hasPrefix("config") }
        var changed = fresh.changedFields(from: configuration)
        let fixed = ["nodeName", "datastore", "statusSocket"].filter { changed.contains($0) }
        var accepted = fresh
        if !fixed.isEmpty {
            log.warning("these settings need a restart and keep their running values", ["fields": fixed.joined(separator: ",")])
            accepted.nodeName = configuration.nodeName
            accepted.datastore = configuration.datastore
            accepted.statusSocket = configuration.statusSocket
            changed.removeAll { fixed.contains($0) }
        }
        let old = configuration
        configuration = accepted
        board.metrics.configReloads.increment()
        log.reconfigure(level: accepted.logLevel, format: accepted.logFormat)
        log.info("reloaded", ["changed": changed.isEmpty ? "nothing" : changed.joined(separator: ",")])
        if accepted.nodeLabels != old.nodeLabels || accepted.nodeIP != old.nodeIP, let store {
            if let address = accepted.nodeIP { nodeAddress = address }
            if let address = nodeAddress {
                _ = try? await NodeRegistration.ensure(
                    node: accepted.nodeName, address: address, labels: accepted.nodeLabels, in: store)
            }
        }
        let listenersChanged = ["healthEnabled", "healthHost", "healthPort", "metricsEnabled", "metricsHost", "metricsPort"]
            .contains { changed.contains($0) }
        if listenersChanged {
            server?.stop()
            server = try? StatusServer.start(StatusServer.Configuration(agent: accepted), provider: board, log: log)
        }
        reconciler?.requestResync()
        policyDataplane?.requestResync()
        scheduleApply()
    }
}
