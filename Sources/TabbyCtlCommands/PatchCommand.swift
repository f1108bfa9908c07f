import ArgumentParser
import CalicoAPI
import Datastore

/// `tabbyctl patch KIND NAME --patch PATCH`: a JSON merge patch (RFC 7386) on one stored resource.
struct PatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patch", abstract: "Change fields of one resource with a JSON merge patch (JSON or YAML).",
        discussion: """
            The patch is merged into the stored resource (a mapping merges key by key, null removes a key, a list \
            or a scalar replaces the stored value), the result is validated like `apply`'s input, and written only \
            if the resource did not change meanwhile (its resourceVersion). A patch that names \
            metadata.resourceVersion succeeds only against that version. kind, apiVersion, metadata.name and \
            metadata.namespace cannot be patched. calicoctl's default "strategic" type is a merge patch for \
            Calico's resources; --type json (RFC 6902) is not implemented, as in calicoctl.
            """)

    enum PatchType: String, ExpressibleByArgument, CaseIterable {
        case strategic, merge, json
    }

    @OptionGroup var options: DatastoreOptions
    @Argument(help: "The kind (ippool, node, gnp, networkpolicy, ...).") var kind: String
    @Argument(help: "The name of the resource.") var name: String
    @Option(name: .shortAndLong, help: "The merge patch, as JSON or YAML, e.g. '{\"spec\":{\"natOutgoing\":true}}'.")
    var patch: String
    @Option(name: .shortAndLong, help: "The patch type: strategic (the default) or merge; both merge as RFC 7386.")
    var type: PatchType = .strategic
    @Option(name: .shortAndLong, help: "The namespace of a namespaced resource (default: default).")
    var namespace: String?

    /// How often a patch is re-applied to a newer version when another writer changed the resource in between.
    static let conflictRetries = 5

    func run() async throws {
        if type == .json {
            throw CtlFailure.badInput("--type json (RFC 6902 JSON Patch) is not implemented; use merge")
        }
        guard let kind = ResourceKind(named: kind) else { throw KindArgument.unknown(self.kind) }
        let key = ResourceKey(kind: kind, namespace: namespace ?? "default", name: name)
        let patchValue = try ManifestValue.parse(patch, source: "--patch")
        guard patchValue.isMapping else {
            throw CtlFailure.badInput("--patch: a merge patch must be a mapping, e.g. '{\"spec\":{...}}'")
        }
        try Self.checkIdentityUnchanged(patchValue)
        let pinnedVersion = patchValue["metadata"]?["resourceVersion"]?.text
        let store = try options.open()
        var attempt = 0
        while true {
            attempt += 1
            let stored: AnyResource
            do {
                stored = try await store.get(key)
            } catch {
                throw CtlFailure.datastore(error)
            }
            var patched = try Self.patched(stored, with: patchValue, key: key)
            if pinnedVersion == nil { patched.metadata.resourceVersion = stored.metadata.resourceVersion }
            do {
                _ = try await store.update(patched)
                Console.out("Successfully patched 1 '\(kind.rawValue)' resource")
                return
            } catch .conflict where pinnedVersion == nil && attempt <= Self.conflictRetries {
                continue
            } catch {
                throw CtlFailure.failed("Failed to patch \(key): \(error)")
            }
        }
    }

    /// The stored resource with the patch merged in, decoded and validated.
    static func patched(_ stored: AnyResource, with patch: ManifestValue, key: ResourceKey) throws(CtlFailure)
        -> AnyResource
    {
        let merged = MergePatch.apply(patch, to: ManifestValue(resource: stored))
        do {
            return try merged.resource(source: "patched \(key)")
        } catch {
            throw CtlFailure.badInput(error.message + "\nnothing was written")
        }
    }

    /// A patch may not rename, move or retype the resource: that would be a different resource.
    static func checkIdentityUnchanged(_ patch: ManifestValue) throws(CtlFailure) {
        for field in ["kind", "apiVersion"] where patch[field] != nil {
            throw CtlFailure.badInput("--patch: \(field) cannot be patched")
        }
        for field in ["name", "namespace"] where patch["metadata"]?[field] != nil {
            throw CtlFailure.badInput("--patch: metadata.\(field) cannot be patched (delete and create instead)")
        }
    }
}
