import CalicoAPI

/// Where each resource lives in a file datastore's directory:
///
/// ```
/// <root>/<plural>/<name>.yaml                      cluster-wide kinds (ippools/default-pool.yaml)
/// <root>/<plural>/<namespace>/<name>.yaml          namespaced kinds (networkpolicies/prod/allow-dns.yaml)
/// <root>/ipam/<plural>/<name>.yaml                 IPAM objects (ipam/ipamblocks/10-244-1-0-26.yaml)
/// <root>/.tabby/lock, <root>/.tabby/revision       the write lock and the revision counter
/// ```
///
/// Names that start with a dot are never resources: writers' temporary files are `.<name>.yaml.tmp`.
struct FileLayout: Sendable {
    /// The datastore's directory, absolute, without a trailing slash.
    let root: String

    static let ipamDirectory = "ipam"
    static let stateDirectory = ".tabby"
    static let fileExtension = ".yaml"
    static let temporarySuffix = ".tmp"

    init(root: String) {
        var root = root
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    var stateDirectoryPath: String { root + "/" + Self.stateDirectory }
    var lockPath: String { stateDirectoryPath + "/lock" }
    var revisionPath: String { stateDirectoryPath + "/revision" }
    var ipamDirectoryPath: String { root + "/" + Self.ipamDirectory }

    /// The directory of a kind: `<root>/<plural>` or `<root>/ipam/<plural>`.
    func directory(of kind: ResourceKind) -> String {
        kind.isIPAM ? ipamDirectoryPath + "/" + kind.plural : root + "/" + kind.plural
    }

    /// The directory holding a key's file (its namespace's directory for namespaced kinds).
    func directory(of key: ResourceKey) -> String {
        let kindDirectory = directory(of: key.kind)
        guard key.kind.isNamespaced, let namespace = key.namespace else { return kindDirectory }
        return kindDirectory + "/" + namespace
    }

    func path(of key: ResourceKey) -> String {
        directory(of: key) + "/" + key.name + Self.fileExtension
    }

    /// The file a writer builds the new content in before renaming it over `path(of:)`.
    func temporaryPath(of key: ResourceKey) -> String {
        directory(of: key) + "/." + key.name + Self.fileExtension + Self.temporarySuffix
    }

    /// The resource name a file name stands for: nil for dot-files (temporary files, editors' swap files) and
    /// for anything that does not end in `.yaml`.
    static func resourceName(fileName: String) -> String? {
        guard !fileName.hasPrefix("."), fileName.hasSuffix(fileExtension), fileName.count > fileExtension.count
        else { return nil }
        return String(fileName.dropLast(fileExtension.count))
    }

    /// Whether a file name is one of the writers' temporary files.
    static func isTemporary(fileName: String) -> Bool {
        fileName.hasPrefix(".") && fileName.hasSuffix(fileExtension + temporarySuffix)
    }
}
