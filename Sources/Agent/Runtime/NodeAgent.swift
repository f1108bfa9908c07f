import NetworkAddress
import Calculation
import CalicoAPI
import Dataplane
import Datastore
import IPAM
import Policy
import PolicyRendering

/// tabbyd's event loop: the one owner of the agent's view of the cluster and of the kernel (DESIGN.md rule 6).
///
/// Start-up (`NodeAgent+Startup.swift`): open what `AgentWiring` gives, register the Node, claim tunnel
/// addresses, start the status server, then watch the datastore until it is in sync. Afterwards every
/// datastore change, kernel notification, timer tick and signal arrives here. A change goes through the
/// `CalculationPipeline`, which says what it may affect; an apply then recomputes and reconciles only that
/// half (routes or nf_tables), at once when the agent was idle, batched when changes come quickly.
public actor NodeAgent {
    /// The least time between two applies: a burst of events costs one apply per window.
    static let applyWindow: Duration = .milliseconds(5)

    /// Work done, for tests and benchmarks.
    public struct Statistics: Sendable, Equatable {
        public var applies = 0
        /// Desired dataplanes computed (routes, devices, neighbours, sysctls).
        public var routeCalculations = 0
        /// Route reconciler runs (each compares the desired dataplane with the kernel view).
        public var routeReconciliations = 0
        /// Policy programs computed from scratch, and programs brought up to date by refreshing sets.
        public var policyCalculations = 0
        public var policySetRefreshes = 0
        /// Ruleset reconciler runs (each renders and compares with the kernel view).
        public var rulesetReconciliations = 0
        /// Datastore deltas, and those no calculation cared about.
        public var deltas = 0
        public var unusedDeltas = 0
    }

    var configuration: AgentConfiguration
    let arguments: [String]
    let processEnvironment: [String: String]
    let wiring: AgentWiring
    let log: AgentLog
    /// The published state: status socket, health and metrics read it.
    public nonisolated let board: StatusBoard
    let notifier: SystemdNotifier

    var store: (any Datastore)?
    var ipam: IPAMClient?
    var routeKernel: (any Kernel)?
    var kernelSubscription: KernelSubscription?
    var reconciler: DataplaneReconciler?
    var policyDataplane: PolicyDataplane?
    var server: StatusServer?
    var nodeAddress: CIDR?

    var pipeline: CalculationPipeline
    var resolvedSettings: (settings: FelixSettings, problems: [FelixSettingsProblem])?
    var inSync = false
    /// Route or ruleset reconciliation is due for a reason of the kernel (a notification, a resync, a retry).
    var routeWorkPending = true
    var rulesetWorkPending = true
    var lastDesired = DesiredDataplane()
    var lastRouteReport = ApplyReport()
    var lastRulesetReport = ApplyReport()
    var lastRenderingSettings: RenderingSettings?
    var statistics = Statistics()
    var pacing = ApplyPacing(window: NodeAgent.applyWindow)
    /// When the pending apply is due, if one is scheduled.
    var applyDue: ContinuousClock.Instant?
    var failureStreak = 0
    var podMTUFile: PodMTUFile
    var configurationProblems: [StatusReport.Problem] = []
    /// The datastore's unusable files (or etcd keys), shown in the status errors until fixed or removed.
    var fileProblems = DatastoreFileProblems()
    /// Why the datastore is out of reach or out of sync (a watch that lost etcd, a start-up waiting for it),
    /// shown in the status errors until the datastore is back.
    var datastoreProblem: StatusReport.Problem?
    var hasSynced = false
    var tasks: [Task<Void, Never>] = []
    var stopped: CheckedContinuation<Void, Never>?
    var isStopping = false
    var tunnelCheckPending = false
    var startedAt = ContinuousClock.now
    /// BGP with BIRD (networkingBackend `bird`): see `NodeAgent+BGP.swift`.
    var bgp = BGPDriverState()

    public init(
        configuration: AgentConfiguration, arguments: [String], environment: [String: String], log: AgentLog,
        wiring: AgentWiring = .system
    ) {
        self.configuration = configuration
        self.arguments = arguments
        self.processEnvironment = environment
        self.wiring = wiring
        self.log = log
        let metrics = AgentMetrics(nodeName: configuration.nodeName, felixNames: configuration.metricsFelixNames)
        self.board = StatusBoard(node: configuration.nodeName, version: TabbyVersion.current, metrics: metrics)
        self.notifier = SystemdNotifier(environment: environment)
        self.pipeline = CalculationPipeline(node: configuration.nodeName)
        self.podMTUFile = PodMTUFile(path: configuration.mtuFile)
        self.fileProblems = DatastoreFileProblems(connection: configuration.datastoreConnection)
    }

    /// Runs until SIGTERM or SIGINT (or `stop()`). Throws only when the agent cannot start; the dataplane is
    /// left in place when it stops, so workloads keep their connectivity while the agent restarts.
    public func run() async throws(AgentError) {
        let signals = wiring.signals()
        tasks.append(
            Task { [weak self] in
                for await signal in signals { await self?.handle(signal) }
            })
        do {
            try await start()
        } catch {
            server?.stop()
            // SIGTERM while waiting for the datastore is a clean stop, not a failure to start.
            guard isStopping else { throw error }
        }
        await withCheckedContinuation { continuation in
            if isStopping { continuation.resume() } else { stopped = continuation }
        }
        for task in tasks { task.cancel() }
        await stopBGP()
        kernelSubscription = nil
        server?.stop()
        try? notifier.stopping()
        log.info("stopped; the dataplane is left in place")
    }

    /// Stops the agent as SIGTERM does.
    public func stop() {
        log.info("stopping")
        isStopping = true
        stopped?.resume()
        stopped = nil
    }

    /// Work done so far.
    public var workDone: Statistics {
        var statistics = statistics
        statistics.routeCalculations = pipeline.routes.calculations
        statistics.policyCalculations = pipeline.policy.statistics.fullCalculations
        statistics.policySetRefreshes = pipeline.policy.statistics.setRefreshes
        statistics.deltas = pipeline.deltas
        statistics.unusedDeltas = pipeline.unusedDeltas
        return statistics
    }

    /// Starts a resync now, as the periodic one does: the kernel is dumped and listed again and whatever
    /// differs from the desired state is repaired.
    public func requestResync() { periodicResync() }

    /// Whether the datastore is in sync and the first apply is done.
    public var isReady: Bool { inSync && statistics.applies > 0 }

    /// Runs `body` on the agent's kernels (for tests that inspect or change the fake kernels the agent owns).
    public func withKernels<T: Sendable>(_ body: @Sendable (any Kernel, any RulesetKernel) throws -> T) rethrows
        -> T?
    {
        guard let routeKernel, let policyDataplane else { return nil }
        return try body(routeKernel, policyDataplane.kernel)
    }

    // MARK: Events

    func datastoreEvent(_ event: WatchEvent) {
        switch event {
        case .synced:
            inSync = true
            board.setDatastoreInSync(true)
            log.info("datastore in sync", ["resources": String(pipeline.cache.workloadEndpointCount)])
            if !hasSynced {
                hasSynced = true
                board.metrics.initialResyncTime.set(Self.seconds(ContinuousClock.now - startedAt))
            }
            scheduleTunnelCheck()
            scheduleApply()
            let problemsChanged = fileProblems.synced()
            if setDatastoreProblem(nil) || problemsChanged { publishFileProblems() }
        case .problem(let problem):
            guard fileProblems.record(problem) else { return }
            log.warning("a datastore file is not valid", ["problem": problem.description])
            publishFileProblems()
        case .problemCleared(let path):
            guard fileProblems.clear(path: path) else { return }
            log.info("a datastore file is usable again or gone", ["path": path])
            publishFileProblems()
        case .resyncing(let reason):
            // The dataplane stays as it is (no apply runs until `.synced`); the changes found when the datastore
            // is back are applied then.
            log.warning(
                "the datastore is out of reach; keeping the dataplane until it is back",
                ["datastore": configuration.datastoreConnection.summary, "reason": reason])
            inSync = false
            board.setDatastoreInSync(false)
            if setDatastoreProblem("not in sync: \(reason)") { publishFileProblems() }
        case .added, .modified, .deleted:
            let impact = pipeline.ingest(event)
            if impact.settings { resolvedSettings = nil }
            if impact.bgp && configuration.bgp.backend == .bird {
                bgp.dirty = true
                if inSync { scheduleApply() }
            }
            if inSync && impact.tunnels && needsTunnelCheck(event) { scheduleTunnelCheck() }
            if inSync && (impact.routes || impact.policy || impact.settings) { scheduleApply() }
        }
    }

    /// Shows the current file problems (and the datastore's own) in the status errors at once (an apply would
    /// too, but one may not be due), after the other errors, as an apply orders them.
    func publishFileProblems() {
        let others = board.statusReport().errors.filter {
            !DatastoreFileProblems.isProblem($0) && $0.resource != datastoreProblemResource
        }
        board.setErrors(others + [datastoreProblem].compactMap { $0 } + fileProblems.statusProblems)
    }

    /// How the datastore is named in the status errors: `datastore etcdv3 http://192.0.2.1:2379`.
    var datastoreProblemResource: String { "datastore \(configuration.datastoreConnection.summary)" }

    /// Sets (or, with nil, clears) the datastore's status error; true when that changed it.
    func setDatastoreProblem(_ reason: String?) -> Bool {
        let problem = reason.map { StatusReport.Problem(resource: datastoreProblemResource, reason: $0) }
        defer { datastoreProblem = problem }
        return problem != datastoreProblem
    }

    func watchFailed(_ error: any Error) {
        log.error("the datastore watch ended", ["error": "\(error)"])
        board.setDatastoreInSync(false)
        inSync = false
        if setDatastoreProblem("not in sync: the watch ended: \(error)") { publishFileProblems() }
        if let store { startWatch(store) }
    }

    func kernelEvent(_ event: KernelChange) {
        guard let reconciler else { return }
        if reconciler.kernelChanged(event) {
            routeWorkPending = true
            scheduleApply()
        }
    }

    func periodicResync() {
        reconciler?.requestResync()
        policyDataplane?.requestResync()
        routeWorkPending = true
        rulesetWorkPending = true
        board.metrics.resyncsStarted.increment()
        scheduleApply()
    }

    /// Someone committed to nf_tables: apply soon, which lists Tabby's tables and repairs them if needed.
    func checkRuleset() {
        if inSync, policyDataplane?.checkForChanges() == true {
            rulesetWorkPending = true
            scheduleApply()
        }
    }

    func heartbeat() {
        board.heartbeat()
        if notifier.watchdogInterval != nil { try? notifier.watchdog() }
    }

    func refreshInterval() -> Duration {
        let interval = currentSettings().settings.routeRefreshInterval
        return interval > .zero ? interval : .seconds(90)
    }

    /// FelixConfiguration `default`, `node.<name>` and the local overrides, resolved once per change.
    func currentSettings() -> (settings: FelixSettings, problems: [FelixSettingsProblem]) {
        if let resolvedSettings { return resolvedSettings }
        var (settings, problems) = FelixSettings.resolve(
            cache: pipeline.cache, node: configuration.nodeName, overrides: configuration.felixOverrides)
        settings.unencapsulatedRoutesByBIRD = configuration.bgp.backend == .bird
        let resolved = (settings: settings, problems: problems)
        resolvedSettings = resolved
        return resolved
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
