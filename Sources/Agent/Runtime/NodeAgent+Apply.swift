import Calculation
import CalicoAPI
import Dataplane
import PolicyRendering

extension NodeAgent {
    /// Schedules an apply: at once when the agent has been idle for a window, else at the window's end.
    func scheduleApply() {
        scheduleApply(after: pacing.delay(now: .now))
    }

    /// One pending apply is enough, unless the new one is due sooner: a change must not wait for an apply
    /// scheduled far ahead (the end of a workload route's grace period, a retry after failures).
    func scheduleApply(after delay: Duration) {
        guard !isStopping else { return }
        let due = ContinuousClock.now + delay
        if let pending = applyDue, pending <= due { return }
        applyDue = due
        Task { [weak self] in
            if delay > .zero { try? await Task.sleep(for: delay) }
            await self?.applyIfStillDue(due)
        }
    }

    /// The apply of a scheduled task, unless a sooner one replaced it (that one schedules what it leaves).
    private func applyIfStillDue(_ due: ContinuousClock.Instant) {
        guard applyDue == due else { return }
        apply()
    }

    /// Reconciles what the changes since the last apply may have affected: the routes half when a route input
    /// or the kernel changed, the nf_tables half when the policy program or the ruleset's kernel did.
    func apply() {
        applyDue = nil
        guard inSync, let reconciler, !isStopping else { return }
        let started = ContinuousClock.now
        pacing.applied(at: started)
        let (settings, settingsProblems) = currentSettings()
        let reconcilerConfiguration = DataplaneReconciler.Configuration(
            workloadInterfacePrefixes: settings.interfacePrefixes, deviceRouteProtocol: settings.deviceRouteProtocol,
            removeExternalRoutes: settings.removeExternalRoutes)
        if reconcilerConfiguration != reconciler.configuration {
            self.reconciler = DataplaneReconciler(kernel: reconciler.kernel, configuration: reconcilerConfiguration)
            routeWorkPending = true
            return apply()
        }
        let routesDue = routeWorkPending || pipeline.routes.isDirty
        if routesDue {
            guard applyRoutes(reconciler, settings: settings) else { return }
        }
        // The ruleset also depends on which tunnels the route calculation decided on.
        let rendering = PolicyDataplane.settings(settings, desired: lastDesired)
        let rulesetDue = rulesetWorkPending || pipeline.policy.isDirty || rendering != lastRenderingSettings
        if rulesetDue { applyRuleset(rendering) }
        applyBGP()
        statistics.applies += 1

        var report = lastRouteReport
        report.failures += lastRulesetReport.failures
        let writes = (routesDue ? lastRouteReport.writeCount : 0) + (rulesetDue ? lastRulesetReport.writeCount : 0)
        if report.failures.isEmpty { failureStreak = 0 }
        do {
            try podMTUFile.write(lastDesired.podMTU)
        } catch {
            log.warning("cannot write the pod MTU file", ["path": podMTUFile.path, "error": "\(error)"])
        }

        let duration = Self.seconds(ContinuousClock.now - started)
        board.recordApply(durationSeconds: duration, writes: writes)
        if !report.failures.isEmpty { board.recordApplyFailure() }
        publishStatus(report: report, settingsProblems: settingsProblems)
        if writes > 0 || !report.failures.isEmpty || statistics.applies == 1 {
            log.info(
                "applied",
                [
                    "writes": String(writes), "failures": String(report.failures.count),
                    "seconds": String(format: "%.4f", duration),
                ])
            for failure in report.failures { log.warning("kernel write failed", ["failure": failure.description]) }
        }
        if statistics.applies == 1 { try? notifier.ready(status: "programmed \(writes) changes") }
        if !report.failures.isEmpty {
            // Retry what failed (a device that appears later, a transient error), soon at first, then backing
            // off to every 5 s while it keeps failing.
            failureStreak += 1
            scheduleApply(after: min(.milliseconds(50) * (1 << min(failureStreak, 7)), .seconds(5)))
        } else if let expiry = lastRouteReport.graceExpiry {
            routeWorkPending = true
            scheduleApply(after: max(.milliseconds(1), expiry - ContinuousClock.now))
        }
    }

    /// Computes the desired dataplane (when an input changed) and lets the reconciler write the difference.
    /// False when the kernel could not be read; an apply is then scheduled again.
    private func applyRoutes(_ reconciler: DataplaneReconciler, settings: FelixSettings) -> Bool {
        let resyncing = reconciler.isResyncPending
        let resyncStarted = ContinuousClock.now
        let environment: NodeEnvironment
        do {
            // The IPv6 underlay follows the Node's bgp.ipv6Address, as Felix finds vxlan-v6.calico's parent.
            environment = try reconciler.environment(
                nodeAddress: nodeAddress?.address,
                nodeAddressV6: pipeline.cache.nodes[configuration.nodeName]?.ipv6?.address,
                mtuInterfacePattern: settings.mtuIfacePattern)
        } catch {
            log.error("cannot read the kernel's interfaces", ["error": "\(error)"])
            board.recordApplyFailure()
            scheduleApply(after: .seconds(1))
            return false
        }
        let calculated = ContinuousClock.now
        let before = pipeline.routes.calculations
        let desired = pipeline.desiredDataplane(environment: environment, settings: settings)
        if pipeline.routes.calculations != before {
            board.metrics.calculationTime.observe(Self.seconds(ContinuousClock.now - calculated))
        }
        lastDesired = desired
        lastRouteReport = reconciler.apply(desired)
        statistics.routeReconciliations += 1
        if resyncing { board.metrics.routeResyncTime.observe(Self.seconds(ContinuousClock.now - resyncStarted)) }
        routeWorkPending = !lastRouteReport.failures.isEmpty
        return true
    }

    /// Brings the policy program up to date and lets the ruleset reconciler commit the difference.
    private func applyRuleset(_ settings: RenderingSettings) {
        guard let policyDataplane else { return }
        let program = pipeline.policyProgram()
        var report = ApplyReport()
        report.include(policyDataplane.apply(program, settings: settings))
        lastRulesetReport = report
        lastRenderingSettings = settings
        statistics.rulesetReconciliations += 1
        rulesetWorkPending = !report.failures.isEmpty
    }

    private func publishStatus(report: ApplyReport, settingsProblems: [FelixSettingsProblem]) {
        let assembly = StatusAssembly(
            node: configuration.nodeName, cache: pipeline.cache, desired: lastDesired, summary: reconciler?.summary,
            ruleset: policyDataplane?.summary, routesByBIRD: configuration.bgp.backend == .bird)
        let errors = assembly.errors(
            agent: configurationProblems + [datastoreProblem].compactMap { $0 } + bgp.problems, report: report, settings: settingsProblems,
            unusablePolicy: pipeline.policy.state.unusable, files: fileProblems.statusProblems)
        assembly.publish(to: board, errors: errors)
    }
}
