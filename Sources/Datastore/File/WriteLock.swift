import CalicoAPI
import Glibc
import Synchronization

/// Serializes writers of one datastore directory, between processes (`flock` on `.tabby/lock`) and between
/// tasks of this process (a mutex, since `flock` does not exclude users of the same open file), and keeps the
/// directory's revision counter (`.tabby/revision`), which only changes under the lock.
final class WriteLock: Sendable {
    private let lockPath: String
    private let revisionPath: String
    private let lockDescriptor: Int32
    private let revisionDescriptor: Int32
    /// Why this process cannot write the directory (a user who may only read it), if it cannot.
    private let unwritable: DatastoreError?
    private let local = Mutex(())

    init(lockPath: String, revisionPath: String) throws(DatastoreError) {
        self.lockPath = lockPath
        self.revisionPath = revisionPath
        var descriptors: [Int32] = []
        var failure: (path: String, errno: Int32)?
        for path in [lockPath, revisionPath] {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            if descriptor < 0 {
                failure = (path, errno)
                break
            }
            descriptors.append(descriptor)
        }
        if let failure {
            for descriptor in descriptors { close(descriptor) }
            let error = DatastoreError.io("open", failure.path, errno: failure.errno)
            // Reading needs no lock: a read-only user can still get, list and watch; only writes fail.
            guard [EACCES, EPERM, EROFS].contains(failure.errno) else { throw error }
            lockDescriptor = -1
            revisionDescriptor = -1
            unwritable = error
        } else {
            lockDescriptor = descriptors[0]
            revisionDescriptor = descriptors[1]
            unwritable = nil
        }
    }

    deinit {
        if lockDescriptor >= 0 { close(lockDescriptor) }
        if revisionDescriptor >= 0 { close(revisionDescriptor) }
    }

    /// Whether this process may write the directory.
    var isWritable: Bool { unwritable == nil }

    /// Runs `body` holding the lock; `body` gets the revision counter to advance for its write. Keep `body` short
    /// and free of suspension points: every writer of the directory waits for it.
    func withLock<Result: Sendable>(
        _ body: (inout RevisionCounter) throws(DatastoreError) -> Result
    ) throws(DatastoreError) -> Result {
        if let unwritable { throw unwritable }
        return try local.withLock { _ throws(DatastoreError) -> Result in
            while flock(lockDescriptor, LOCK_EX) != 0 {
                if errno != EINTR { throw .io("flock", lockPath, errno: errno) }
            }
            defer { flock(lockDescriptor, LOCK_UN) }
            var counter = try readCounter()
            return try body(&counter)
        }
    }

    private func readCounter() throws(DatastoreError) -> RevisionCounter {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(revisionDescriptor, $0.baseAddress, $0.count, 0) }
        if count < 0 { throw .io("read", revisionPath, errno: errno) }
        // An empty or damaged counter counts as 0: stored versions still only grow (see WriteRules.nextRevision).
        let digits = buffer[0..<count].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        let value = UInt64(String(decoding: digits, as: UTF8.self)) ?? 0
        return RevisionCounter(
            value: value, storedLength: count, descriptor: revisionDescriptor, path: revisionPath)
    }
}

/// The last resourceVersion handed out in a datastore directory; only usable while holding its `WriteLock`.
struct RevisionCounter {
    private(set) var value: UInt64
    /// How many bytes the counter file holds.
    private var storedLength: Int
    private let descriptor: Int32
    private let path: String

    fileprivate init(value: UInt64, storedLength: Int, descriptor: Int32, path: String) {
        self.value = value
        self.storedLength = storedLength
        self.descriptor = descriptor
        self.path = path
    }

    /// Takes the revision for a write that replaces `stored` and records it before the write happens, so that a
    /// writer killed half-way leaves a gap in the numbering, never a number handed out twice.
    mutating func advance(replacing stored: AnyResource?) throws(DatastoreError) -> UInt64 {
        let next = WriteRules.nextRevision(counter: value, stored: stored)
        let bytes = Array("\(next)\n".utf8)
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        if written != bytes.count { throw .io("write", path, errno: written < 0 ? errno : EIO) }
        if bytes.count < storedLength, ftruncate(descriptor, off_t(bytes.count)) != 0 {
            throw .io("ftruncate", path, errno: errno)
        }
        value = next
        storedLength = bytes.count
        return next
    }
}
