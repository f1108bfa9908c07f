import Foundation
import Glibc
import Testing

/// A small tmpfs mounted on a scratch directory of this test, for full-disk and read-only faults; `remove()`
/// unmounts and deletes it. Needs root; it touches nothing but its own mount point.
final class SmallFilesystem {
    let path: String
    private var filler: String { path + "/filler" }

    static var canMount: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/mount") }

    init(kibibytes: Int) throws {
        path = "/tmp/tabbyctl-fault-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try Self.tool("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(kibibytes)k,mode=0755", "tabby-test", path])
    }

    func remove() {
        try? Self.tool("/usr/bin/umount", [path])
        rmdir(path)
    }

    /// Fills the filesystem with one file until a write fails with ENOSPC.
    func fill() throws {
        let descriptor = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(descriptor >= 0, "cannot create \(filler): errno \(errno)")
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0x7a, count: 4096)
        while true {
            let written = write(descriptor, chunk, chunk.count)
            if written < 0 {
                try #require(errno == ENOSPC, "filling \(filler): errno \(errno)")
                return
            }
            if written == 0 { return }
        }
    }

    /// Frees the space `fill()` took.
    func empty() { unlink(filler) }

    /// Remounts the filesystem read-only or read-write (no file may be open for writing on it).
    func setReadOnly(_ readOnly: Bool) throws {
        try Self.tool("/usr/bin/mount", ["-o", readOnly ? "remount,ro" : "remount,rw", path])
    }

    private static func tool(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(
            process.terminationStatus == 0,
            "\(executable) \(arguments.joined(separator: " ")): \(String(decoding: message, as: UTF8.self))")
    }
}

/// Every file under `directory` whose name starts with a dot, outside `.tabby`: writers' temporary files.
func temporaryFiles(under directory: String) -> [String] {
    let all = FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []
    return all.filter { !$0.hasPrefix(".tabby") && ($0 as NSString).lastPathComponent.hasPrefix(".") }
}

/// The content of every file under `directory` (outside `.tabby`), by relative path.
func contents(under directory: String) -> [String: Data] {
    let all = FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []
    var result: [String: Data] = [:]
    for relative in all where !relative.hasPrefix(".tabby") {
        if let data = FileManager.default.contents(atPath: directory + "/" + relative) { result[relative] = data }
    }
    return result
}

extension Tabbyctl {
    /// tabbyctl on the datastore in `datastore`.
    init(datastore: String) {
        self.datastore = datastore
    }
}
