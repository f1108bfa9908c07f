import CalicoAPI

extension NodeAgent {
    func handle(_ signal: AgentSignal) async {
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
    func reload() async {
        try? notifier.reloading()
        defer { try? notifier.ready(status: "reloaded") }
        let fresh: AgentConfiguration
        do {
            fresh = try AgentConfiguration.load(arguments: arguments, environment: processEnvironment)
        } catch {
            log.error(
                "reload rejected: the configuration is not valid; keeping the running one",
                ["error": error.description])
            board.metrics.configReloadFailures.increment()
            configurationProblems.removeAll { $0.resource.hasPrefix("config") }
            configurationProblems.append(
                StatusReport.Problem(
                    resource: "config \(configuration.configFile ?? "(none)")", reason: error.description))
            board.setErrors(
                configurationProblems + board.statusReport().errors.filter { !$0.resource.hasPrefix("config") })
            return
        }
        configurationProblems.removeAll { $0.resource.hasPrefix("config") }
        var changed = fresh.changedFields(from: configuration)
        let fixed = ["nodeName", "datastore", "statusSocket"].filter { changed.contains($0) }
        var accepted = fresh
        if !fixed.isEmpty {
            log.warning(
                "these settings need a restart and keep their running values",
                ["fields": fixed.joined(separator: ",")])
            accepted.nodeName = configuration.nodeName
            accepted.datastore = configuration.datastore
            accepted.datastoreConnection = configuration.datastoreConnection
            accepted.statusSocket = configuration.statusSocket
            changed.removeAll { fixed.contains($0) }
        }
        let old = configuration
        configuration = accepted
        podMTUFile.path = accepted.mtuFile
        board.metrics.configReloads.increment()
        log.reconfigure(level: accepted.logLevel, format: accepted.logFormat)
        board.metrics.felixNames = accepted.metricsFelixNames
        log.info("reloaded", ["changed": changed.isEmpty ? "nothing" : changed.joined(separator: ",")])
        if accepted.nodeLabels != old.nodeLabels || Self.nodeAddressFields.contains(where: changed.contains),
            let store
        {
            await registerNodeAgain(in: store)
        }
        if let store { await retryDefaultPoolsIfFailed(store) }
        let listeners = ["healthEnabled", "healthHost", "healthPort", "metricsEnabled", "metricsHost", "metricsPort"]
        if listeners.contains(where: { changed.contains($0) }) {
            server?.stop()
            server = try? StatusServer.start(StatusServer.Configuration(agent: accepted), provider: board, log: log)
        }
        await reloadBGP(previous: old.bgp)
        // Local Felix overrides may have changed: resolve the settings again and recompute everything once.
        resolvedSettings = nil
        pipeline.invalidate()
        reconciler?.requestResync()
        policyDataplane?.requestResync()
        routeWorkPending = true
        rulesetWorkPending = true
        scheduleApply()
    }
}
