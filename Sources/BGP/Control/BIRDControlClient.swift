import Glibc
import SystemError

/// One reply of BIRD's control socket: its lines with their codes (`1002`, `0000`, `8002`, ...), the last one
/// ending it.
public struct BIRDReply: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var code: Int
        public var text: String
    }

    public var lines: [Line]

    /// The code of the line that ended the reply: 0xxx success, 8xxx and 9xxx errors.
    public var finalCode: Int { lines.last?.code ?? 0 }
    public var isError: Bool { finalCode >= 8000 }
    /// The reply's text, one line each, without codes.
    public var text: String { lines.map(\.text).joined(separator: "\n") }
}

public struct BIRDControlError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// A client of BIRD's control socket (the protocol birdc speaks): on connecting BIRD greets
/// (`0001 BIRD 2.0.12 ready.`); then each command line gets a reply of lines `CCCC-text` (more follows),
/// ` text` (continues the previous code) and a last `CCCC text`.
public struct BIRDControlClient: Sendable {
    public let socketPath: String
    public var timeoutMilliseconds: Int32

    public init(socketPath: String, timeoutMilliseconds: Int32 = 5000) {
        self.socketPath = socketPath
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// Connects, reads the greeting, sends `command` and reads its reply. Returns BIRD's version from the
    /// greeting with the reply.
    public func send(_ command: String) throws(BIRDControlError) -> (version: String?, reply: BIRDReply) {
        let descriptor = try connect()
        defer { close(descriptor) }
        var reader = LineReader(descriptor: descriptor, timeoutMilliseconds: timeoutMilliseconds)
        let greeting = try reader.reply()
        var version: String?
        if let first = greeting.lines.first, first.text.hasPrefix("BIRD ") {
            version = first.text.split(separator: " ").dropFirst().first.map(String.init)
        }
        let bytes = Array((command + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw BIRDControlError(description: "writing to BIRD's control socket \(socketPath): \(Errno.current.explained)")
            }
            written += count
        }
        return (version, try reader.reply())
    }

    /// Whether BIRD answers on the socket.
    public func answers() -> Bool {
        (try? send("show status")) != nil
    }

    private func connect() throws(BIRDControlError) -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw BIRDControlError(description: "socket: \(Errno.current.explained)")
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else {
            close(descriptor)
            throw BIRDControlError(description: "BIRD's control socket path \(socketPath) is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.enumerated() { raw[index] = byte }
            raw[path.count] = 0
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let error = Errno.current
            close(descriptor)
            throw BIRDControlError(description: "BIRD's control socket \(socketPath) does not answer: \(error.explained)")
        }
        return descriptor
    }
}

/// Reads the control socket's lines and groups them into replies.
private struct LineReader {
    let descriptor: Int32
    let timeoutMilliseconds: Int32
    var pending: [UInt8] = []

    mutating func reply() throws(BIRDControlError) -> BIRDReply {
        var lines: [BIRDReply.Line] = []
        var lastCode = 0
        while true {
            let line = try nextLine()
            let bytes = Array(line.utf8)
            if bytes.count >= 5, bytes[0..<4].allSatisfy({ $0 >= 48 && $0 <= 57 }), bytes[4] == 32 || bytes[4] == 45,
                let code = Int(String(decoding: bytes[0..<4], as: UTF8.self))
            {
                lastCode = code
                lines.append(.init(code: code, text: String(decoding: bytes[5...], as: UTF8.self)))
                if bytes[4] == 32 { return BIRDReply(lines: lines) }
            } else if bytes.count == 4, let code = Int(line) {
                lines.append(.init(code: code, text: ""))
                return BIRDReply(lines: lines)
            } else {
                // A continuation: ` text` under the previous code.
                lines.append(.init(code: lastCode, text: line.hasPrefix(" ") ? String(line.dropFirst()) : line))
            }
        }
    }

    private mutating func nextLine() throws(BIRDControlError) -> String {
        while true {
            if let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var descriptorPoll = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptorPoll, 1, timeoutMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw BIRDControlError(description: "reading BIRD's control socket: \(Errno.current.explained)")
            }
            if ready == 0 {
                throw BIRDControlError(description: "BIRD did not answer on its control socket within \(timeoutMilliseconds) ms")
            }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw BIRDControlError(description: "reading BIRD's control socket: \(Errno.current.explained)")
            }
            if count == 0 { throw BIRDControlError(description: "BIRD closed its control socket mid-reply") }
            pending += buffer[..<count]
        }
    }
}
