import Glibc

/// An inotify instance: watches on directories and the events they report. Owned by one thread.
final class Inotify {
    let descriptor: Int32

    /// What the file datastore needs to hear about in a directory: files written in place or renamed in,
    /// files removed or renamed away, and directories appearing.
    static let directoryEvents =
        UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE)
        | UInt32(IN_ONLYDIR)

    init() throws(DatastoreError) {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if descriptor < 0 { throw .io("inotify_init1", "", errno: errno) }
    }

    deinit { close(descriptor) }

    /// Watches a directory; nil when it does not exist (any more).
    func addWatch(_ path: String, mask: UInt32 = directoryEvents) throws(DatastoreError) -> Int32? {
        let watch = inotify_add_watch(descriptor, path, mask)
        if watch >= 0 { return watch }
        let code = errno
        if code == ENOENT || code == ENOTDIR { return nil }
        throw .io("inotify_add_watch", path, errno: code)
    }

    func removeWatch(_ watch: Int32) {
        // EINVAL when the kernel already dropped it (directory deleted): nothing to do.
        _ = inotify_rm_watch(descriptor, watch)
    }

    /// One event: the watch it came from, what happened and the name of the entry, if any.
    struct Event {
        var watch: Int32
        var mask: UInt32
        var name: String

        func has(_ flag: Int32) -> Bool { mask & UInt32(bitPattern: flag) != 0 }
        func has(_ flag: UInt32) -> Bool { mask & flag != 0 }
    }

    /// The events queued now; empty when there are none.
    func readEvents() throws(DatastoreError) -> [Event] {
        // Big enough for many events per read; a single event is at most 16 + NAME_MAX + 1 bytes.
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            let code = errno
            if code == EAGAIN || code == EINTR { return [] }
            throw .io("read", "inotify", errno: code)
        }
        var events: [Event] = []
        var offset = 0
        let headerSize = MemoryLayout<inotify_event>.size
        buffer.withUnsafeBytes { raw in
            while offset + headerSize <= count {
                // inotify_event's flexible name member is not imported: the name is the bytes after the header.
                let watch = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameBytes = raw[(offset + headerSize)..<min(offset + headerSize + length, count)]
                let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                events.append(Event(watch: watch, mask: mask, name: name))
                offset += headerSize + length
            }
        }
        return events
    }
}

/// Wakes a thread blocked in `poll` from any other thread: a pipe whose read end becomes readable.
final class Wakeup: Sendable {
    let readDescriptor: Int32
    private let writeDescriptor: Int32

    init() throws(DatastoreError) {
        var descriptors: [Int32] = [-1, -1]
        if pipe(&descriptors) != 0 { throw .io("pipe", "", errno: errno) }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(writeDescriptor, F_SETFL, O_NONBLOCK)
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    func signal() {
        var byte: UInt8 = 1
        // A full pipe already wakes the reader.
        _ = write(writeDescriptor, &byte, 1)
    }
}
