import BGP
import Glibc

/// The BGP half of the agent (networkingBackend `bird`): what was rendered, what BIRD has in force, and the
/// supervisor that runs BIRD.
struct BGPDriverState {
    var supervisor: BIRDSupervisor?
    var statusTask: Task<Void, Never>?
    /// A BGP input may have changed since the last render.
    var dirty = true
    var lastInputs: BGPInputs?
    /// The text BIRD runs with, and the last text it refused (not offered again until it changes or a reload).
    var inForce: String?
    var rejected: String?
    var inFlight = false
    var pending: BIRDConfiguration?
    /// The renderer's problems (resources left out) and BIRD's own (a refused configuration, a failed start).
    var renderProblems: [StatusReport.Problem] = []
    var birdProblem: StatusReport.Problem?

    var problems: [StatusReport.Problem] { renderProblems + [birdProblem].compactMap { $0 } }
}

extension NodeAgent {
    /// How often BIRD's peers are read for the status and the metrics (not for routes: BIRD programs those
    /// itself as its sessions learn them).
    static let birdStatusInterval: Duration = .seconds(1)

    /// Renders BIRD's configuration when a BGP input changed, and hands a changed text to the supervisor.
    func applyBGP() {
        guard configuration.bgp.backend == .bird, bgp.dirty else { return }
        bgp.dirty = false
        let inputs = BGPInputsAssembly(node: configuration.nodeName, settings: configuration.bgp)
            .inputs(from: pipeline.cache)
        guard inputs != bgp.lastInputs else { return }
        bgp.lastInputs = inputs
        let started = ContinuousClock.now
        let rendered = BIRDRenderer.render(inputs)
        board.metrics.bgpRenderTime.observe(Self.seconds(ContinuousClock.now - started))
        bgp.renderProblems = rendered.problems.map {
            StatusReport.Problem(resource: $0.resource, reason: "\($0.field): \($0.reason)")
        }
        submitToBIRD(rendered)
    }

    private func submitToBIRD(_ rendered: BIRDConfiguration) {
        if rendered.text == bgp.inForce {
            // Back to what BIRD runs (the change it refused was undone): nothing to load, and no refusal to report.
            if bgp.rejected != nil {
                bgp.rejected = nil
                bgp.birdProblem = nil
                let supervisor = birdSupervisor()
                Task { await supervisor.clearLastError() }
            }
            return
        }
        guard rendered.text != bgp.rejected else { return }
        if bgp.inFlight {
            bgp.pending = rendered
            return
        }
        bgp.inFlight = true
        let supervisor = birdSupervisor()
        Task { [weak self] in
            let started = ContinuousClock.now
            let outcome = await supervisor.apply(rendered)
            await self?.birdApplied(rendered, outcome, took: ContinuousClock.now - started)
        }
    }

    private func birdApplied(_ rendered: BIRDConfiguration, _ outcome: BIRDApplyOutcome, took: Duration) {
        bgp.inFlight = false
        let file = configuration.bgp.birdConfigFile
        switch outcome {
        case .unchanged, .started, .reconfigured:
            bgp.inForce = rendered.text
            bgp.rejected = nil
            bgp.birdProblem = nil
            if outcome != .unchanged {
                board.metrics.birdReconfigurations.increment()
                board.metrics.birdApplyTime.observe(Self.seconds(took))
                log.info(
                    outcome == .started ? "BIRD started" : "BIRD reconfigured",
                    [
                        "config": file, "sessions": String(rendered.sessions.count),
                        "seconds": String(Self.seconds(took)),
                    ])
            }
        case .rejected(let message):
            bgp.rejected = rendered.text
            bgp.birdProblem = StatusReport.Problem(
                resource: "BIRD configuration \(file)",
                reason: "BIRD refused the rendered configuration: \(message); the last good one stays in force")
            log.error("BIRD refused the rendered configuration; keeping the last good one", ["error": message])
        case .failed(let message):
            bgp.birdProblem = StatusReport.Problem(resource: "BIRD \(configuration.bgp.birdPath)", reason: message)
            log.error("BIRD could not be started or reached; retrying", ["error": message])
            // Try again later with whatever is current then.
            bgp.lastInputs = nil
            bgp.dirty = true
            scheduleApply(after: .seconds(2))
        }
        if let pending = bgp.pending {
            bgp.pending = nil
            submitToBIRD(pending)
        }
        scheduleApply()
    }

    /// The supervisor, made (with BIRD's directory) and polled for the status on first use.
    private func birdSupervisor() -> BIRDSupervisor {
        if let supervisor = bgp.supervisor { return supervisor }
        let settings = configuration.bgp
        for path in [settings.birdConfigFile, settings.birdSocket, settings.birdPidFile] {
            Self.makeParentDirectory(of: path)
        }
        let log = self.log
        let supervisor = BIRDSupervisor(
            paths: BIRDPaths(
                birdPath: settings.birdPath, configFile: settings.birdConfigFile, controlSocket: settings.birdSocket,
                pidFile: settings.birdPidFile),
            events: { event in Self.log(event, to: log) })
        bgp.supervisor = supervisor
        bgp.statusTask = Task { [weak self] in
            while !Task.isCancelled {
                let status = await supervisor.status()
                await self?.birdStatusArrived(status)
                try? await Task.sleep(for: Self.birdStatusInterval)
            }
        }
        return supervisor
    }

    private func birdStatusArrived(_ status: BIRDStatus) {
        guard bgp.supervisor != nil else { return }
        board.update { $0.bgp = status }
        board.metrics.bgpPeers.set(Double(status.peers.count))
        board.metrics.bgpPeersEstablished.set(Double(status.peers.count { $0.isEstablished }))
        board.metrics.bgpRoutesImported.set(Double(status.peers.reduce(0) { $0 + $1.routesImported }))
        board.metrics.birdStarts.set(Double(status.starts))
    }

    /// Stops BIRD (at the agent's stop, or when a reload turns BGP off or moves BIRD's files).
    func stopBGP() async {
        bgp.statusTask?.cancel()
        let supervisor = bgp.supervisor
        bgp = BGPDriverState()
        board.update { $0.bgp = nil }
        await supervisor?.stop()
    }

    /// After a reload: BIRD moves or stops when its settings changed; secrets are read again and the
    /// configuration rendered again (BIRD reconfigures only if the text changed).
    func reloadBGP(previous: BGPSettings) async {
        let settings = configuration.bgp
        var paths = settings
        paths.routerID = previous.routerID
        paths.secretsDirectory = previous.secretsDirectory
        if settings.backend != .bird || paths != previous { await stopBGP() }
        bgp.lastInputs = nil
        bgp.rejected = nil
        bgp.dirty = true
    }

    private static func log(_ event: BIRDEvent, to log: AgentLog) {
        switch event {
        case .started(let pid): log.info("BIRD running", ["pid": String(pid)])
        case .exited(let pid, let status): log.warning("BIRD exited", ["pid": String(pid), "status": status])
        case .restarting(let delay): log.info("restarting BIRD", ["after": "\(delay)"])
        case .reconfigured: log.debug("BIRD reconfigured")
        case .rejected(let message): log.warning("BIRD refused a configuration", ["error": message])
        case .output(let line): log.info("bird: \(line)")
        }
    }

    private static func makeParentDirectory(of path: String) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        var prefix = ""
        for component in path[..<slash].split(separator: "/") {
            prefix += "/" + component
            mkdir(prefix, 0o755)
        }
    }
}
