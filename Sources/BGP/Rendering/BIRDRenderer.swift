import CalicoAPI
import NetworkAddress

/// Renders one node's BIRD 2 configuration from the datastore's BGP resources: a pure function, so equal inputs
/// give byte-equal text and "nothing changed" needs no reload.
///
/// Which routes BIRD programs: the kernel protocols export only routes BIRD learned by BGP that lie in pools
/// without encapsulation (ipipMode and vxlanMode Never), never this node's own blocks or addresses; tabbyd
/// programs everything else (Docs/dataplane.md). From the kernel, BIRD takes routes outside the pools only, to
/// resolve next hops.
public enum BIRDRenderer {
    public static func render(_ inputs: BGPInputs) -> BIRDConfiguration {
        var renderer = Rendering(inputs: inputs)
        return renderer.run()
    }
}

private struct Rendering {
    let inputs: BGPInputs
    let settings: BGPEffectiveSettings
    var problems: [BGPProblem] = []
    var text = BIRDText()
    var rules = BIRDFilterRules()

    init(inputs: BGPInputs) {
        self.inputs = inputs
        settings = BGPEffectiveSettings(configurations: inputs.configurations, nodeName: inputs.nodeName)
    }

    private var configurationResource: String {
        settings.local != nil ? "BGPConfiguration \"node.\(inputs.nodeName)\"" : "BGPConfiguration \"default\""
    }

    mutating func run() -> BIRDConfiguration {
        let local = inputs.nodes.first { $0.metadata.name == inputs.nodeName }
        text.line("# BIRD configuration of node \(inputs.nodeName), rendered by tabbyd from the datastore's BGP resources.")
        text.line("# tabbyd rewrites it on every change: edit the resources, not this file.")
        routerID(local)
        logging()
        let families = self.families(local)
        for family in families { functions(family) }
        text.block("protocol device") { $0.line("scan time 10;") }
        direct(families)
        for family in families { kernel(family) }
        for family in families { staticRoutes(family) }
        var sessions: [BGPSession] = []
        if let local {
            var planner = BGPSessionPlanner(inputs: inputs, settings: settings, local: local)
            let planned = planner.plan()
            // One problem per resource and reason, however many sessions it touched (the mesh password).
            for problem in planner.problems where !problems.contains(problem) { problems.append(problem) }
            for session in planned where families.contains(session.session.family) {
                bgp(session)
                sessions.append(session.session)
            }
        } else {
            problems.append(
                BGPProblem(
                    resource: "Node \"\(inputs.nodeName)\"", field: "metadata.name",
                    reason: "no such Node in the datastore: BIRD runs without BGP sessions"))
        }
        problems += rules.problems
        return BIRDConfiguration(text: text.text, sessions: sessions, problems: problems)
    }

    // MARK: Global settings

    private mutating func routerID(_ local: Node?) {
        if let configured = inputs.routerID, !configured.isEmpty {
            if configured == "hash" {
                text.line("router id \(Self.hashedRouterID(inputs.nodeName));")
                return
            }
            if let address = IPAddress(configured), address.family == .v4 {
                text.line("router id \(address);")
                return
            }
            problems.append(
                BGPProblem(
                    resource: "setting routerID", field: "routerID",
                    reason: "\"\(configured)\" is neither an IPv4 address nor \"hash\"; the node's IPv4 address is used"))
        }
        if let address = local?.spec.bgp?.ipv4Address?.address {
            text.line("router id \(address);")
        } else {
            // No IPv4 address to use: a stable id from the node's name (calico-node's CALICO_ROUTER_ID=hash).
            text.line("router id \(Self.hashedRouterID(inputs.nodeName));")
        }
    }

    /// A 32-bit FNV-1a hash of the node name, written as an IPv4 address.
    static func hashedRouterID(_ name: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return "\(hash >> 24).\((hash >> 16) & 0xff).\((hash >> 8) & 0xff).\(hash & 0xff)"
    }

    private mutating func logging() {
        let severity = settings.logSeverityScreen
        let classes: String
        switch severity.lowercased() {
        case "debug": classes = "all"
        case "info": classes = "{ info, remote, warning, error, auth, fatal, bug }"
        case "warning": classes = "{ warning, error, auth, fatal, bug }"
        case "error": classes = "{ error, fatal, bug }"
        case "fatal": classes = "{ fatal, bug }"
        default:
            problems.append(
                BGPProblem(
                    resource: configurationResource, field: "spec.logSeverityScreen",
                    reason: "\"\(severity)\" is not Debug, Info, Warning, Error or Fatal; Info is used"))
            classes = "{ info, remote, warning, error, auth, fatal, bug }"
        }
        text.line("log stderr \(classes);")
        if severity.lowercased() == "debug" { text.line("debug protocols { states, events };") }
        text.blank()
    }

    private func families(_ local: Node?) -> [IPFamily] {
        var result: [IPFamily] = []
        if local?.spec.bgp?.ipv4Address != nil || inputs.pools.contains(where: { $0.spec.cidr?.family == .v4 }) {
            result.append(.v4)
        }
        if local?.spec.bgp?.ipv6Address != nil { result.append(.v6) }
        return result
    }

    // MARK: Route sets

    private func pools(_ family: IPFamily) -> [IPPool] {
        inputs.pools.filter { $0.spec.cidr?.family == family }
    }

    private func poolCIDRs(_ family: IPFamily, where include: (IPPoolSpec) -> Bool = { _ in true }) -> [CIDR] {
        pools(family).filter { include($0.spec) }.compactMap(\.spec.cidr).sorted()
    }


    /// This node's blocks that may be announced (their pool does not set disableBGPExport), and the addresses it
    /// holds in other nodes' blocks.
    private func announced(_ family: IPFamily) -> [CIDR] {
        let silent = poolCIDRs(family) { $0.disableBGPExport == true }
        let exported = poolCIDRs(family) { $0.disableBGPExport != true }
        return (inputs.localBlocks + inputs.borrowedAddresses).filter { cidr in
            cidr.family == family && !silent.contains { $0.contains(cidr) }
                && (exported.contains { $0.contains(cidr) } || inputs.borrowedAddresses.contains(cidr))
        }
    }

    private func suffix(_ family: IPFamily) -> String { family == .v4 ? "4" : "6" }

    private mutating func functions(_ family: IPFamily) {
        let n = suffix(family)
        let exportable = poolCIDRs(family) { $0.disableBGPExport != true }
        let communities = rules.communityStatements(settings, family: family, resource: configurationResource)
        text.line("# What this node announces: its own blocks and addresses, with their communities, and the routes")
        text.line("# it learned in pools that allow export (a route reflector reflects them, a ToR receives them).")
        text.block("function tabby_export_to_peers\(n)()") { text in
            text.block("if proto = \"tabby_static\(n)\" then") { text in
                for statement in communities { text.line(statement) }
                text.line("accept;")
            }
            text.line("if source = RTS_BGP && \(BIRDSyntax.netIn(exportable)) then accept;")
            text.line("reject;")
        }
        text.blank()
    }

    // MARK: Protocols

    private mutating func direct(_ families: [IPFamily]) {
        var patterns = inputs.ownInterfacePatterns.map { "-" + BIRDSyntax.quoted($0) }
        patterns += settings.ignoredInterfaces.map { "-" + BIRDSyntax.quoted($0) }
        patterns.append("\"*\"")
        text.block("protocol direct tabby_direct") { text in
            for family in families { text.line(family == .v4 ? "ipv4;" : "ipv6;") }
            text.line("interface \(patterns.joined(separator: ", "));")
        }
    }

    private mutating func kernel(_ family: IPFamily) {
        let n = suffix(family)
        let all = poolCIDRs(family)
        let bird = poolCIDRs(family, where: \.isUnencapsulated)
        let own = (inputs.localBlocks + inputs.borrowedAddresses).filter { $0.family == family }.sorted()
        text.block("protocol kernel tabby_kernel\(n)") { text in
            text.line("learn;")
            text.line("persist;")
            text.line("scan time 10;")
            text.line("graceful restart;")
            text.line("metric 32;")
            text.block(family == .v4 ? "ipv4" : "ipv6", terminator: ";") { text in
                text.line("import filter { if \(BIRDSyntax.netIn(all)) then reject; accept; };")
                let notOwn = own.isEmpty ? "" : " && !(\(BIRDSyntax.netIn(own, orLonger: false)))"
                text.line("export filter { if source = RTS_BGP && \(BIRDSyntax.netIn(bird))\(notOwn) then accept; reject; };")
            }
        }
    }

    private mutating func staticRoutes(_ family: IPFamily) {
        let n = suffix(family)
        var routes = announced(family)
        for (field, text) in settings.serviceIPBlocks {
            guard let cidr = CIDR(text) else {
                problems.append(
                    BGPProblem(
                        resource: "BGPConfiguration \"default\"", field: field,
                        reason: "\"\(text)\" is not a CIDR; it is not announced"))
                continue
            }
            if cidr.family == family { routes.append(cidr.masked) }
        }
        text.block("protocol static tabby_static\(n)") { text in
            text.line(family == .v4 ? "ipv4;" : "ipv6;")
            for route in Array(Set(routes)).sorted() { text.line("route \(route.masked) blackhole;") }
        }
    }

    private mutating func bgp(_ planned: PlannedSession) {
        let session = planned.session
        let family = session.family
        let n = suffix(family)
        let importRules = rules.statements(of: planned.filters, export: false, family: family)
        let exportRules = rules.statements(of: planned.filters, export: true, family: family)
        text.block("protocol bgp \(session.protocolName)") { text in
            text.line("description \(BIRDSyntax.quoted(planned.description));")
            var local = "local"
            if let address = planned.localAddress { local += " \(address)" }
            if let port = planned.localPort { local += " port \(port)" }
            text.line("\(local) as \(planned.localASNumber);")
            text.line("neighbor \(session.peerAddress) port \(session.port ?? BGPEffectiveSettings.defaultPort) as \(session.peerASNumber);")
            if let hops = planned.ttlSecurityHops {
                text.line("ttl security on;")
                text.line("multihop \(hops);")
            } else {
                text.line("multihop;")
            }
            if planned.strictBind { text.line("strict bind on;") }
            if let password = planned.password { text.line("password \(BIRDSyntax.quoted(password));") }
            if let cluster = planned.reflectorClusterID {
                text.line("rr client;")
                text.line("rr cluster id \(cluster);")
            }
            if let allowed = planned.allowedLocalASNumbers { text.line("allow local as \(allowed);") }
            text.line("graceful restart on;")
            if let seconds = planned.restartTimeSeconds { text.line("graceful restart time \(seconds);") }
            text.line("connect delay time 2;")
            text.line("connect retry time 5;")
            text.line("error wait time 5, 30;")
            text.block(family == .v4 ? "ipv4" : "ipv6", terminator: ";") { text in
                if importRules.isEmpty {
                    text.line("import all;")
                } else {
                    text.line("import filter { \((importRules + ["accept;"]).joined(separator: " ")) };")
                }
                text.line("export filter { \((exportRules + ["tabby_export_to_peers\(n)();"]).joined(separator: " ")) };")
                if planned.keepOriginalNextHop && !planned.isInternal { text.line("next hop keep;") }
            }
        }
    }
}
