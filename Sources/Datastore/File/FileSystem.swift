import Glibc

/// The few system calls the file datastore needs, with errors that name the path, the operation and the errno.
enum FileSystem {
    /// The whole file, or nil when it does not exist.
    static func read(_ path: String) throws(DatastoreError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw .io("open", path, errno: code)
        }
        defer { close(fd) }
        var info = stat()
        // The size is a hint: read until end of file in case the file grows meanwhile.
        let hint = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        var bytes = [UInt8](repeating: 0, count: max(hint + 1, 4096))
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
            let got = bytes.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress! + filled, raw.count - filled)
            }
            if got < 0 {
                let code = errno
                if code == EINTR { continue }
                throw .io("read", path, errno: code)
            }
            if got == 0 { break }
            filled += got
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// Writes `bytes` to `temporary`, flushes it to disk and renames it over `path`, so that readers (and a
    /// crash at any point) see either the old file or the new one, never a part. The caller holds the write
    /// lock (so `temporary` is its own) and syncs the directory afterwards to make the rename durable.
    static func replace(_ path: String, with bytes: [UInt8], temporary: String) throws(DatastoreError) {
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw .io("open", temporary, errno: errno) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                write(fd, raw.baseAddress! + written, raw.count - written)
            }
            if result < 0 {
                let code = errno
                if code == EINTR { continue }
                close(fd)
                unlink(temporary)
                throw .io("write", temporary, errno: code)
            }
            written += result
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary)
            throw .io("fsync", temporary, errno: code)
        }
        close(fd)
        if rename(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw .io("rename", path, errno: code)
        }
    }

    /// Flushes a directory's entries (a rename or unlink in it) to disk.
    static func syncDirectory(_ path: String) throws(DatastoreError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw .io("open", path, errno: errno) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw .io("fsync", path, errno: errno) }
    }

    /// Creates a directory; true when it was created, false when it already existed.
    @discardableResult
    static func makeDirectory(_ path: String) throws(DatastoreError) -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        let code = errno
        if code == EEXIST, isDirectory(path) { return false }
        throw .io("mkdir", path, errno: code)
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Removes a file; false when it did not exist.
    static func remove(_ path: String) throws(DatastoreError) -> Bool {
        if unlink(path) == 0 { return true }
        let code = errno
        if code == ENOENT { return false }
        throw .io("unlink", path, errno: code)
    }

    /// One entry of a directory.
    struct Entry {
        var name: String
        var isDirectory: Bool
    }

    /// The entries of a directory (without `.` and `..`), or nil when it does not exist.
    static func entries(of path: String) throws(DatastoreError) -> [Entry]? {
        guard let stream = opendir(path) else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw .io("opendir", path, errno: code)
        }
        defer { closedir(stream) }
        var result: [Entry] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var directory = Int32(entry.pointee.d_type) == Int32(DT_DIR)
            if Int32(entry.pointee.d_type) == Int32(DT_UNKNOWN) { directory = isDirectory(path + "/" + name) }
            result.append(Entry(name: name, isDirectory: directory))
        }
        return result
    }
}
