import ArgumentParser
import CalicoAPI
import Datastore

/// What a write command does with each resource of its input.
enum WriteMode {
    case apply, create, replace

    var verb: String {
        switch self {
        case .apply: "applied"
        case .create: "created"
        case .replace: "replaced"
        }
    }

    /// Writes one resource. `apply` creates or overwrites; a resourceVersion in the input is always honoured
    /// as a compare-and-swap.
    func write(_ resource: AnyResource, to store: any Datastore) async throws(DatastoreError) -> AnyResource {
        switch self {
        case .create:
            return try await store.create(resource)
        case .replace:
            return try await store.update(resource)
        case .apply:
            do {
                return try await store.create(resource)
            } catch .alreadyExists {
                return try await store.update(resource)
            }
        }
    }
}

/// Writes every resource of the input (validated first: a bad document means nothing is written), reporting
/// each failure and exiting 1 when any write failed.
func writeAll(_ mode: WriteMode, file: String, options: DatastoreOptions) async throws(CtlFailure) {
    let resources = try ManifestInput.read(file)
    let store = try options.open()
    var written: [AnyResource] = []
    var failures: [String] = []
    for resource in resources {
        do {
            written.append(try await mode.write(resource, to: store))
        } catch {
            failures.append("\(resource.key): \(error)")
        }
    }
    if !written.isEmpty { Console.out(Summary.line(mode.verb, written)) }
    if !failures.isEmpty {
        let prefix = written.isEmpty ? "" : "Partial success: "
        throw CtlFailure.failed(
            prefix + "\(failures.count) of \(resources.count) resource(s) failed:\n" + failures.joined(separator: "\n"))
    }
}

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply", abstract: "Create or update the resources of a file, a directory or stdin (-).")

    @OptionGroup var options: DatastoreOptions
    @Option(name: .shortAndLong, help: "A YAML or JSON file, a directory of them, or - for standard input.")
    var filename: String

    func run() async throws {
        try await writeAll(.apply, file: filename, options: options)
    }
}

struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create the resources of a file; fails for any that already exists.")

    @OptionGroup var options: DatastoreOptions
    @Option(name: .shortAndLong, help: "A YAML or JSON file, a directory of them, or - for standard input.")
    var filename: String

    func run() async throws {
        try await writeAll(.create, file: filename, options: options)
    }
}

struct ReplaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replace",
        abstract: "Replace existing resources; a resourceVersion in the input must still be current.")

    @OptionGroup var options: DatastoreOptions
    @Option(name: .shortAndLong, help: "A YAML or JSON file, a directory of them, or - for standard input.")
    var filename: String

    func run() async throws {
        try await writeAll(.replace, file: filename, options: options)
    }
}

struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete resources named in a file, or one resource by kind and name.",
        usage: """
            tabbyctl delete -f FILE [--skip-not-exists]
            tabbyctl delete KIND NAME [-n NAMESPACE] [--skip-not-exists]
            """)

    @OptionGroup var options: DatastoreOptions
    @Option(name: .shortAndLong, help: "Delete the resources this file names.")
    var filename: String?
    @Argument(help: "The kind (ippool, gnp, networkpolicy, ...) and the name.")
    var target: [String] = []
    @Option(name: .shortAndLong, help: "The namespace of a namespaced resource (default: default).")
    var namespace: String?
    @Flag(help: "Succeed for resources that do not exist.")
    var skipNotExists = false

    func validate() throws {
        if filename == nil && target.count != 2 {
            throw ValidationError("name the resources with -f FILE, or give KIND NAME")
        }
        if filename != nil && !target.isEmpty {
            throw ValidationError("use either -f FILE or KIND NAME, not both")
        }
    }

    func run() async throws {
        var keys: [(ResourceKey, String?)] = []
        if let filename {
            keys = try ManifestInput.read(filename, warnings: false).map { ($0.key, $0.metadata.resourceVersion) }
        } else {
            guard let kind = ResourceKind(named: target[0]) else { throw KindArgument.unknown(target[0]) }
            keys = [(ResourceKey(kind: kind, namespace: namespace ?? "default", name: target[1]), nil)]
        }
        let store = try options.open()
        var deleted: [AnyResource] = []
        var failures: [String] = []
        for (key, version) in keys {
            do {
                deleted.append(try await store.delete(key, resourceVersion: version))
            } catch .notFound where skipNotExists {
                continue
            } catch {
                failures.append(error.description)
            }
        }
        if !deleted.isEmpty { Console.out(Summary.line("deleted", deleted)) }
        if !failures.isEmpty { throw CtlFailure.failed(failures.joined(separator: "\n")) }
    }
}

enum KindArgument {
    static func unknown(_ text: String) -> CtlFailure {
        let names = ResourceKind.allCases.map { $0.rawValue.lowercased() }.joined(separator: ", ")
        return CtlFailure.badInput("unknown resource kind \"\(text)\" (known kinds: \(names))")
    }
}
