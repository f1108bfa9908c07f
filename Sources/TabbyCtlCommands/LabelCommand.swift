import ArgumentParser
import CalicoAPI
import Datastore

/// `tabbyctl label KIND NAME key=value [--overwrite]` and `tabbyctl label KIND NAME key --remove`, as calicoctl's.
struct LabelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label", abstract: "Set, overwrite or remove one label of a resource.",
        usage: """
            tabbyctl label KIND NAME key=value [--overwrite] [-n NAMESPACE]
            tabbyctl label KIND NAME key --remove [-n NAMESPACE]
            """,
        discussion: """
            Setting a key the resource already has fails unless --overwrite is given (or the value is the same); \
            removing a key the resource does not have fails. The write is a compare-and-swap on the resource's \
            resourceVersion, so a concurrent change is never lost.
            """)

    @OptionGroup var options: DatastoreOptions
    @Argument(help: "The kind (node, hostendpoint, workloadendpoint, ippool, gnp, profile, ...).") var kind: String
    @Argument(help: "The name of the resource.") var name: String
    @Argument(help: "key=value to set, or key with --remove.") var label: String
    @Flag(help: "Replace the value when the key is already present.") var overwrite = false
    @Flag(help: "Remove the key; it must be present.") var remove = false
    @Option(name: .shortAndLong, help: "The namespace of a namespaced resource (default: default).")
    var namespace: String?

    func validate() throws {
        if overwrite && remove { throw ValidationError("--overwrite and --remove cannot be used together") }
    }

    /// What the command does to the labels.
    enum Change: Equatable {
        case set(key: String, value: String)
        case remove(key: String)
    }

    /// What happened, for the message.
    enum Outcome: Equatable {
        case added, updated, removed
    }

    func run() async throws {
        guard let kind = ResourceKind(named: kind) else { throw KindArgument.unknown(self.kind) }
        let change = try Self.change(label, remove: remove)
        let key = ResourceKey(kind: kind, namespace: namespace ?? "default", name: name)
        let store = try options.open()
        var resource: AnyResource
        do {
            resource = try await store.get(key)
        } catch .notFound {
            throw CtlFailure.failed("\(self.kind) \(name) not found")
        } catch {
            throw CtlFailure.datastore(error)
        }
        var labels = resource.metadata.labels ?? [:]
        let outcome = try Self.apply(change, to: &labels, overwrite: overwrite, resource: "\(self.kind) \(name)")
        resource.metadata.labels = labels.isEmpty ? nil : labels
        do {
            // The stored resourceVersion rides along: a change by someone else since the read is a conflict.
            _ = try await store.update(resource)
        } catch {
            throw CtlFailure(
                "failed to update \(self.kind) \(name), label not changed: \(error)",
                exitCode: CtlFailure.datastore(error).exitCode)
        }
        switch outcome {
        case .removed: Console.out("Successfully removed label \(change.key) from \(self.kind) \(name)")
        case .updated: Console.out("Successfully updated label \(change.key) on \(self.kind) \(name)")
        case .added: Console.out("Successfully set label \(change.key) on \(self.kind) \(name)")
        }
    }

    /// The change the argument asks for; the key (and value) are checked as Kubernetes label syntax.
    static func change(_ argument: String, remove: Bool) throws(CtlFailure) -> Change {
        if remove {
            if argument.contains("=") {
                throw CtlFailure.badInput("with --remove give only the key, not \"\(argument)\"")
            }
            try checkKey(argument)
            return .remove(key: argument)
        }
        let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw CtlFailure.badInput("invalid label \(argument): expected key=value (or key with --remove)")
        }
        let key = String(parts[0])
        let value = String(parts[1])
        try checkKey(key)
        if let reason = LabelSyntax.validateValue(value) {
            throw CtlFailure.badInput("invalid label value \"\(value)\": \(reason)")
        }
        return .set(key: key, value: value)
    }

    private static func checkKey(_ key: String) throws(CtlFailure) {
        if let reason = LabelSyntax.validateKey(key) {
            throw CtlFailure.badInput("invalid label key \"\(key)\": \(reason)")
        }
    }

    /// Applies the change with calicoctl's rules: an existing key needs --overwrite unless the value is unchanged;
    /// a missing key cannot be removed.
    static func apply(_ change: Change, to labels: inout Labels, overwrite: Bool, resource: String)
        throws(CtlFailure) -> Outcome
    {
        switch change {
        case .remove(let key):
            guard labels[key] != nil else {
                throw CtlFailure.failed("cannot remove label of \(resource), key \(key) does not exist")
            }
            labels[key] = nil
            return .removed
        case .set(let key, let value):
            if let old = labels[key] {
                guard overwrite || old == value else {
                    throw CtlFailure.failed(
                        "failed to update label of \(resource), key \(key) is already present; "
                            + "use --overwrite to set a new value")
                }
                labels[key] = value
                return .updated
            }
            labels[key] = value
            return .added
        }
    }
}

extension LabelCommand.Change {
    var key: String {
        switch self {
        case .set(let key, _), .remove(let key): key
        }
    }
}
