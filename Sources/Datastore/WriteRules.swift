import CalicoAPI
import Foundation

/// What every datastore does to a resource on its way in, so that the file and in-memory datastores agree.
package enum WriteRules {
    /// The resource with Calico's defaults applied, once it passes validation; nothing invalid is ever stored.
    package static func validated(_ resource: AnyResource) throws(DatastoreError) -> AnyResource {
        var resource = resource
        if !resource.kind.isNamespaced, resource.metadata.namespace?.isEmpty == true {
            resource.metadata.namespace = nil
        }
        resource.applyDefaults()
        let problems = resource.validate()
        guard problems.isEmpty else {
            let metadata = resource.metadata
            let errors = problems.map { problem in
                ResourceError(
                    kind: resource.kind.rawValue, namespace: metadata.namespace, name: metadata.name,
                    field: problem.path, reason: problem.reason)
            }
            throw .invalid(resource.key, errors)
        }
        return resource
    }

    /// Rejects keys that cannot name a stored object (and could escape the datastore's directory as a path).
    package static func checkKey(_ key: ResourceKey) throws(DatastoreError) {
        var errors: [ResourceError] = []
        if let reason = NameSyntax.subdomainProblem(key.name) {
            errors.append(
                ResourceError(kind: key.kind.rawValue, name: key.name, field: "metadata.name", reason: reason))
        }
        if key.kind.isNamespaced {
            errors += namespaceProblems(key.namespace, kind: key.kind, name: key.name)
        }
        if !errors.isEmpty { throw .invalid(key, errors) }
    }

    /// Rejects a namespace that cannot name a namespace's directory.
    package static func checkNamespace(_ namespace: String, kind: ResourceKind) throws(DatastoreError) {
        let errors = namespaceProblems(namespace, kind: kind, name: nil)
        if !errors.isEmpty { throw .invalid(nil, errors) }
    }

    private static func namespaceProblems(_ namespace: String?, kind: ResourceKind, name: String?) -> [ResourceError] {
        guard let namespace else {
            return [
                ResourceError(
                    kind: kind.rawValue, name: name, field: "metadata.namespace",
                    reason: "a \(kind) must have a namespace")
            ]
        }
        guard let reason = NameSyntax.labelProblem(namespace) else { return [] }
        return [
            ResourceError(
                kind: kind.rawValue, namespace: namespace, name: name, field: "metadata.namespace",
                reason: "invalid namespace \"\(namespace)\": \(reason)")
        ]
    }

    /// The revision for a write: one past both the datastore's counter and the stored object's own version, so
    /// that versions of one key only ever grow even if the counter was lost.
    package static func nextRevision(counter: UInt64, stored: AnyResource?) -> UInt64 {
        let own = stored?.metadata.resourceVersion.flatMap { UInt64($0) } ?? 0
        return max(counter, own) + 1
    }

    /// Fails with `.conflict` unless `expected` (when given) is the stored resourceVersion.
    package static func check(expected: String?, stored: AnyResource) throws(DatastoreError) {
        guard let expected else { return }
        let actual = stored.metadata.resourceVersion ?? ""
        if expected != actual { throw .conflict(stored.key, expected: expected, actual: actual) }
    }

    /// Stamps the new revision; a created resource gets a uid and creationTimestamp when it has none, an
    /// updated one keeps the stored ones unless it names its own.
    package static func stamp(_ resource: inout AnyResource, revision: UInt64, replacing stored: AnyResource?) {
        resource.metadata.resourceVersion = String(revision)
        if resource.metadata.uid == nil {
            resource.metadata.uid = stored?.metadata.uid ?? UUID().uuidString.lowercased()
        }
        if resource.metadata.creationTimestamp == nil {
            resource.metadata.creationTimestamp = stored?.metadata.creationTimestamp ?? timestamp(Date())
        }
    }

    /// RFC 3339 in UTC, to the second, as Kubernetes writes `creationTimestamp`.
    package static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
