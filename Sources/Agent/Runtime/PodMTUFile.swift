import Foundation

/// The file through which tabbyd tells the CNI plugin the pod MTU (Calico's `/var/lib/calico/mtu`): written only
/// when the value changes.
struct PodMTUFile {
    var path: String
    private(set) var written: Int?

    init(path: String) {
        self.path = path
    }

    /// Writes `mtu` when it differs from what was last written; throws what the file system says.
    mutating func write(_ mtu: Int?) throws {
        guard let mtu, mtu != written else { return }
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try "\(mtu)\n".write(toFile: path, atomically: true, encoding: .utf8)
        written = mtu
    }
}
