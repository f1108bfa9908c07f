import ArgumentParser
import CalicoAPI
import Datastore
import Foundation

/// `tabbyctl datastore`: operations on the datastore as a whole (calicoctl's `datastore` command).
struct DatastoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datastore", abstract: "Operations on the whole datastore.",
        subcommands: [DatastoreMigrateCommand.self])
}

/// `tabbyctl datastore migrate export|import`: moves every resource from one datastore to another (the file
/// datastore to etcd, or back), as `calicoctl datastore migrate` does.
struct DatastoreMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Copy every resource of one datastore into another.",
        discussion: """
            Export from the source datastore, then import into the target:
              tabbyctl --datastore /var/lib/tabby/datastore datastore migrate export --output all.yaml
              DATASTORE_TYPE=etcdv3 ETCD_ENDPOINTS=http://192.0.2.1:2379 tabbyctl datastore migrate import -f all.yaml
            Stop every tabbyd and CNI plugin that writes to the source first, so that nothing changes meanwhile.
            """,
        subcommands: [DatastoreExportCommand.self, DatastoreImportCommand.self])
}

/// The order of a migration: Calico's kinds first, then the IPAM objects (configuration, blocks, their
/// affinities, handles), so that an import creates the pools before the blocks carved from them.
enum MigrationOrder {
    static let kinds: [ResourceKind] =
        ResourceKind.allCases.filter { !$0.isIPAM } + [.ipamConfiguration, .ipamBlock, .blockAffinity, .ipamHandle]

    /// The resource as a migration carries it: without the source's resourceVersion and uid (the target
    /// assigns its own), as calicoctl exports.
    static func portable(_ resource: AnyResource) -> AnyResource {
        var resource = resource
        resource.metadata.resourceVersion = nil
        resource.metadata.uid = nil
        return resource
    }
}

struct DatastoreExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every resource of the datastore (Calico kinds and IPAM objects) as a YAML stream.",
        discussion: """
            One YAML document per resource, separated by ---, without resourceVersion and uid. A stored object \
            that cannot be read fails the export (exit 1) and is named, so that nothing is left behind silently.
            """)

    @OptionGroup var options: DatastoreOptions

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?

    func run() async throws {
        let store = try options.open()
        var documents: [String] = []
        var problems: [String] = []
        for kind in MigrationOrder.kinds {
            let listing: DatastoreListing
            do {
                listing = try await store.list(kind, namespace: nil)
            } catch {
                throw CtlFailure.datastore(error)
            }
            documents += listing.resources.map { ResourceCodec.yaml(MigrationOrder.portable($0)) }
            problems += listing.problems.map(\.description)
        }
        if !problems.isEmpty {
            throw CtlFailure.failed(
                problems.joined(separator: "\n")
                    + "\n\(problems.count) stored object(s) cannot be read; fix or remove them, then export again")
        }
        let text = documents.map { "---\n" + $0 + ($0.hasSuffix("\n") ? "" : "\n") }.joined()
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                throw CtlFailure.failed("--output \(output): cannot write the file")
            }
            Console.error("exported \(documents.count) resource(s) to \(output)")
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

struct DatastoreImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Create the resources of an export in the datastore (which must not hold any of them).",
        discussion: """
            Every resource is checked first: when the target already holds one of the keys, or a document is \
            not valid, nothing is written (exit 1 or 2). IPAM objects keep their content (allocations, handles, \
            affinities); resourceVersion and uid are assigned by the target.
            """)

    @OptionGroup var options: DatastoreOptions

    @Option(name: .shortAndLong, help: "The export to import, or - for standard input.")
    var filename: String

    func run() async throws {
        let resources = try ManifestInput.read(filename, warnings: false).map(MigrationOrder.portable)
        var seen = Set<ResourceKey>()
        let repeated = resources.filter { !seen.insert($0.key).inserted }.map(\.key.description)
        if !repeated.isEmpty {
            throw CtlFailure.badInput("\(filename): these resources appear more than once: \(repeated.joined(separator: ", "))")
        }
        let ordered = MigrationOrder.kinds.flatMap { kind in resources.filter { $0.kind == kind } }
        let store = try options.open()
        var taken: [String] = []
        for resource in ordered {
            do {
                _ = try await store.get(resource.key)
                taken.append(resource.key.description)
            } catch .notFound {
                continue
            } catch .problem(let problem) {
                taken.append("\(resource.key) (stored but unreadable: \(problem))")
            } catch {
                throw CtlFailure.datastore(error)
            }
        }
        if !taken.isEmpty {
            let shown = taken.prefix(20).joined(separator: "\n")
            let more = taken.count > 20 ? "\n... and \(taken.count - 20) more" : ""
            throw CtlFailure.failed(
                shown + more
                    + "\nthe target datastore already holds \(taken.count) of these resource(s); nothing was written "
                    + "(import into an empty datastore)")
        }
        var created = 0
        var failures: [String] = []
        for resource in ordered {
            do {
                _ = try await store.create(resource)
                created += 1
            } catch {
                failures.append("\(resource.key): \(error)")
            }
        }
        Console.out("imported \(created) of \(ordered.count) resource(s)")
        if !failures.isEmpty {
            throw CtlFailure.failed(failures.joined(separator: "\n") + "\n\(failures.count) resource(s) failed")
        }
    }
}
