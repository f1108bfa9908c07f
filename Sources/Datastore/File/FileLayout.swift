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
///
/// A name too long for a file name (a file name has at most 255 bytes, and the temporary file's needs 10 more
/// than the name) is stored as `<first 150 bytes>~<SHA-256 of the name, hex>.yaml`: valid names never hold `~`,
/// so the two forms cannot be confused, and the real name is the one inside the file.
struct FileLayout: Sendable {
    /// The datastore's directory, absolute, without a trailing slash.
    let root: String

    static let ipamDirectory = "ipam"
    static let stateDirectory = ".tabby"
    static let fileExtension = ".yaml"
    static let temporarySuffix = ".tmp"
    /// Separates a long name's kept beginning from its hash.
    static let hashMarker: Character = "~"
    /// The longest name stored under its own file name: `.<name>.yaml.tmp` still fits in 255 bytes.
    static let longestPlainName = 255 - 1 - fileExtension.utf8.count - temporarySuffix.utf8.count
    /// How much of a long name its file name keeps, for people listing the directory.
    static let keptPrefix = 150

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
        directory(of: key) + "/" + Self.fileName(for: key.name)
    }

    /// The file a writer builds the new content in before renaming it over `path(of:)`.
    func temporaryPath(of key: ResourceKey) -> String {
        directory(of: key) + "/." + Self.fileName(for: key.name) + Self.temporarySuffix
    }

    /// The file name of a resource name: `<name>.yaml`, or the hashed form for a name too long for that.
    static func fileName(for name: String) -> String {
        guard name.utf8.count > longestPlainName || name.contains(hashMarker) else { return name + fileExtension }
        let kept = String(decoding: name.utf8.prefix(keptPrefix), as: UTF8.self).filter { $0 != hashMarker }
        return kept + String(hashMarker) + SHA256.hex(name.utf8) + fileExtension
    }

    /// What a file name of a kind's directory stands for.
    enum StoredName: Equatable {
        /// `<name>.yaml`.
        case plain(String)
        /// The hashed form of a long name: the name is the one inside the file.
        case hashed
    }

    /// What a file name stands for: nil for dot-files (temporary files, editors' swap files) and for anything
    /// that does not end in `.yaml`.
    static func storedName(fileName: String) -> StoredName? {
        guard !fileName.hasPrefix("."), fileName.hasSuffix(fileExtension), fileName.count > fileExtension.count
        else { return nil }
        return fileName.contains(hashMarker) ? .hashed : .plain(String(fileName.dropLast(fileExtension.count)))
    }

    /// Whether a file name is one of the writers' temporary files.
    static func isTemporary(fileName: String) -> Bool {
        fileName.hasPrefix(".") && fileName.hasSuffix(fileExtension + temporarySuffix)
    }
}
