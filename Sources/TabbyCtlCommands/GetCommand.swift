import ArgumentParser
import CalicoAPI
import Datastore

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table = "ps"
    case wide
    case yaml
    case json
}

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Show resources of a kind, or one by name.")

    @OptionGroup var options: DatastoreOptions
    @Argument(
        help: ArgumentHelp(
            "The kind: ippool, node, workloadendpoint, hostendpoint, tier, globalnetworkpolicy, networkpolicy, "
                + "profile, globalnetworkset, networkset, felixconfiguration, ipamconfiguration, blockaffinity, "
                + "ipamblock, ipamhandle, namespace (plurals and calicoctl's short names work too)."))
    var kind: String
    @Argument(help: "The name of one resource.")
    var name: String?
    @Option(name: .shortAndLong, help: "The namespace of namespaced kinds (default: default).")
    var namespace: String?
    @Flag(name: [.customShort("A"), .long], help: "Resources of every namespace.")
    var allNamespaces = false
    @Option(name: .shortAndLong, help: "Output: ps (a table, the default), wide, yaml or json.")
    var output: OutputFormat = .table

    func validate() throws {
        if allNamespaces && namespace != nil { throw ValidationError("use either -n NAMESPACE or -A, not both") }
        if allNamespaces && name != nil { throw ValidationError("-A lists resources; it cannot be used with a name") }
    }

    func run() async throws {
        guard let kind = ResourceKind(named: kind) else { throw KindArgument.unknown(self.kind) }
        let store = try options.open()
        let scope: String? = kind.isNamespaced ? (allNamespaces ? nil : namespace ?? "default") : nil
        let resources: [AnyResource]
        if let name {
            do {
                resources = [try await store.get(ResourceKey(kind: kind, namespace: scope, name: name))]
            } catch {
                throw CtlFailure.datastore(error)
            }
        } else {
            let listing: DatastoreListing
            do {
                listing = try await store.list(kind, namespace: scope)
            } catch {
                throw CtlFailure.datastore(error)
            }
            for problem in listing.problems { Console.error("warning: \(problem)") }
            resources = listing.resources
        }
        switch output {
        case .yaml:
            Console.out(name != nil ? ResourceCodec.yaml(resources[0]) : ResourceCodec.yaml(listDocument(resources)))
        case .json:
            Console.out(name != nil ? ResourceCodec.json(resources[0]) : ResourceCodec.json(listDocument(resources)))
        case .table, .wide:
            let showNamespace = kind.isNamespaced && allNamespaces
            Console.out(ResourceTable.render(resources, kind: kind, wide: output == .wide, namespaces: showNamespace))
        }
    }

    private func listDocument(_ resources: [AnyResource]) -> ResourceList { ResourceList(items: resources) }
}

/// A `kind: List` document, which `apply` reads back.
struct ResourceList: Encodable {
    var items: [AnyResource]

    private enum CodingKeys: String, CodingKey { case apiVersion, kind, items }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(APIVersion.v3, forKey: .apiVersion)
        try container.encode("List", forKey: .kind)
        try container.encode(items, forKey: .items)
    }
}
