import ArgumentParser
import CalicoAPI
import Datastore
import Policy

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Inspect network policy.", subcommands: [PolicyShowCommand.self])
}

/// The output formats of `policy show`.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

struct PolicyShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "List the tiers, policies and profiles that apply to an endpoint, in evaluation order.",
        discussion: """
            Per direction (ingress: traffic to the endpoint; egress: traffic from it): the tiers that have at least \
            one policy selecting the endpoint, each with those policies in the order they are evaluated, then the \
            endpoint's profiles, which are reached only when no tier decided. A packet nothing allows is dropped.
            """)

    @OptionGroup var options: DatastoreOptions
    @Option(help: "The endpoint: NAMESPACE/NAME of a WorkloadEndpoint (or of its pod), or NAME of a HostEndpoint.")
    var endpoint: String
    @Option(name: .shortAndLong, help: "Output: text (the default) or json.")
    var output: ReportFormat = .text

    func run() async throws {
        let store = try options.open()
        let state = try await PolicyStateLoader.load(from: store)
        let key = try EndpointArgument.resolve(endpoint, in: state)
        guard let report = state.report(endpoint: key) else {
            throw CtlFailure.failed("endpoint \(endpoint) not found")
        }
        switch output {
        case .json: Console.out(ResourceCodec.json(report))
        case .text: Console.out(PolicyReportText.render(report))
        }
    }
}

/// Reads the resources network policy depends on into `PolicyInputs`.
enum PolicyStateLoader {
    static let kinds: [ResourceKind] = [
        .tier, .globalNetworkPolicy, .networkPolicy, .profile, .namespace, .workloadEndpoint, .hostEndpoint,
        .globalNetworkSet, .networkSet, .felixConfiguration,
    ]

    static func load(from store: some Datastore) async throws(CtlFailure) -> PolicyInputs {
        var state = PolicyInputs()
        for kind in kinds {
            let listing: DatastoreListing
            do {
                listing = try await store.list(kind, namespace: nil)
            } catch {
                throw CtlFailure.datastore(error)
            }
            for problem in listing.problems { Console.error("warning: \(problem)") }
            for resource in listing.resources { state.upsert(resource) }
        }
        for (key, reason) in state.state.unusable.sorted(by: { $0.key < $1.key }) {
            Console.error("warning: \(key) is not used: \(reason)")
        }
        return state
    }
}

/// `--endpoint NAMESPACE/NAME` (a WorkloadEndpoint, or the one endpoint of a pod of that name) or `--endpoint
/// NAME` (a HostEndpoint).
enum EndpointArgument {
    static func resolve(_ text: String, in state: PolicyInputs) throws(CtlFailure) -> ResourceKey {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1 where !parts[0].isEmpty:
            let key = ResourceKey(kind: .hostEndpoint, name: parts[0])
            guard state.cache.node(of: key) != nil else {
                throw CtlFailure.failed("HostEndpoint \"\(parts[0])\" not found (a workload is NAMESPACE/NAME)")
            }
            return key
        case 2 where !parts[0].isEmpty && !parts[1].isEmpty:
            let key = ResourceKey(kind: .workloadEndpoint, namespace: parts[0], name: parts[1])
            if state.cache.node(of: key) != nil { return key }
            let byPod = state.cache.workloadEndpointKeys(pod: parts[1], namespace: parts[0])
            if byPod.count == 1 { return byPod[0] }
            if byPod.count > 1 {
                let names = byPod.map(\.name).joined(separator: ", ")
                throw CtlFailure.badInput("pod \(text) has several endpoints (\(names)); name one")
            }
            throw CtlFailure.failed("WorkloadEndpoint \"\(text)\" not found")
        default:
            throw CtlFailure.badInput(
                "--endpoint takes NAMESPACE/NAME (a workload) or NAME (a host endpoint), got \"\(text)\"")
        }
    }
}

/// The text form of an endpoint report.
enum PolicyReportText {
    static func render(_ report: EndpointPolicyReport) -> String {
        var lines: [String] = []
        let name = report.namespace.map { "\($0)/\(report.name)" } ?? report.name
        let interface = report.interfaceName.isEmpty ? "matched by expected IPs" : "interface \(report.interfaceName)"
        lines.append("\(report.kind == "host" ? "Host" : "Workload") endpoint \(name) on \(report.node) (\(interface))")
        lines.append("  addresses: " + (report.addresses.isEmpty ? "none" : report.addresses.joined(separator: ", ")))
        lines.append(
            "  labels: "
                + report.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        for (title, direction) in [
            ("Ingress (to the endpoint)", report.ingress), ("Egress (from the endpoint)", report.egress),
        ] {
            lines.append("")
            lines.append(title + ":")
            if direction.tiers.isEmpty { lines.append("  no policy applies") }
            var position = 0
            for tier in direction.tiers {
                var about = ["order \(number(tier.order))", "default action \(tier.defaultAction)"]
                if tier.origin != "resource" { about.append(tier.origin) }
                lines.append("  tier \(tier.name) (\(about.joined(separator: ", ")))")
                for policy in tier.policies {
                    position += 1
                    let selector = policy.selector.isEmpty ? "all()" : policy.selector
                    lines.append(
                        "    \(position). \(policy.id)  order \(number(policy.order))  selector \(selector)  "
                            + "\(policy.rules) rule\(policy.rules == 1 ? "" : "s")")
                }
            }
            if direction.profiles.isEmpty {
                lines.append("  no profiles")
            } else {
                lines.append(direction.tiers.isEmpty ? "  profiles:" : "  profiles (reached when no tier decided):")
                for profile in direction.profiles {
                    let origin = profile.origin == "resource" ? "" : ", \(profile.origin)"
                    lines.append(
                        "    pro/\(profile.name)  \(profile.rules) rule\(profile.rules == 1 ? "" : "s")\(origin)")
                }
            }
            lines.append("  otherwise: drop")
        }
        return lines.joined(separator: "\n")
    }

    private static func number(_ order: Double?) -> String {
        guard let order else { return "none" }
        if order == order.rounded(), abs(order) < 1e15 { return String(Int64(order)) }
        return String(order)
    }
}
