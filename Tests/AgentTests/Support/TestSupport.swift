import Foundation
import Glibc
import Testing

/// A unique name for something a test creates: `tabby-t-agent-<pid>-<n>`.
func uniqueName(_ what: String = "t") -> String {
    "tabby-t-agent-\(getpid())-\(what)-\(UInt32.random(in: 0...UInt32.max))"
}

/// A scratch directory under /tmp, removed by `remove()`.
struct ScratchDirectory {
    let path: String

    init() throws {
        path = "/tmp/" + uniqueName("dir")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

struct ToolFailure: Error, CustomStringConvertible {
    var command: [String]
    var status: Int32
    var output: String
    var description: String { "\(command.joined(separator: " ")) exited \(status): \(output)" }
}

/// Runs a tool found on PATH (or in /sbin, /usr/sbin); returns standard output and error together.
@discardableResult
func runTool(_ tool: String, _ arguments: [String], allowFailure: Bool = false) throws -> (
    status: Int32, output: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = (environment["PATH"] ?? "/usr/bin:/bin") + ":/sbin:/usr/sbin"
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    if process.terminationStatus != 0 && !allowFailure {
        throw ToolFailure(command: [tool] + arguments, status: process.terminationStatus, output: text)
    }
    return (process.terminationStatus, text)
}

/// Whether a program is on PATH.
func toolExists(_ tool: String) -> Bool {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/sbin:/usr/sbin"
    return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
}

/// An HTTP exchange as a raw client sees it.
struct RawResponse {
    var status: Int
    var headers: [String: String]
    var body: String
    var raw: String
}

/// A blocking stream client for the server tests: connects, sends bytes, reads to the end.
final class RawClient {
    let fd: Int32

    /// Connects to a Unix socket.
    init(unixSocket path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        // No close here: deinit runs for an initializer that throws after `fd` is set, and closes it.
        guard connected == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        setTimeouts()
    }

    /// Connects to 127.0.0.1:port.
    init(tcpPort port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        // No close here: deinit runs for an initializer that throws after `fd` is set, and closes it.
        guard connected == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        setTimeouts()
    }

    deinit { close(fd) }

    /// A guard against hanging forever in a broken build, not a timing assertion.
    private func setTimeouts() {
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything until the server closes.
    func readAll() -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            data.append(contentsOf: buffer[..<count])
        }
        return String(decoding: data, as: UTF8.self)
    }

    func response() -> RawResponse { RawResponse(parsing: readAll()) }

    /// Sends `request` on a new Unix connection and reads the response.
    static func exchange(unixSocket path: String, _ request: String) throws -> RawResponse {
        let client = try RawClient(unixSocket: path)
        client.send(request)
        return client.response()
    }

    static func get(unixSocket path: String, _ target: String, method: String = "GET") throws -> RawResponse {
        try exchange(unixSocket: path, "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n")
    }

    static func get(tcpPort port: Int, _ target: String) throws -> RawResponse {
        let client = try RawClient(tcpPort: port)
        client.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        return client.response()
    }
}

extension RawResponse {
    init(parsing raw: String) {
        self.raw = raw
        let parts = raw.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        body = parts.dropFirst().joined(separator: "\r\n\r\n")
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = (lines.first ?? "").split(separator: " ")
        status = statusParts.count > 1 ? Int(statusParts[1]) ?? 0 : 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        self.headers = headers
    }
}

/// Whether this process may create network namespaces (root, `ip` present, kernel allows it); probed once by
/// creating and deleting one.
let canCreateNamespaces: Bool = {
    guard geteuid() == 0 else { return false }
    let name = uniqueName("probe")
    guard (try? runTool("ip", ["netns", "add", name])) != nil else { return false }
    _ = try? runTool("ip", ["netns", "delete", name])
    return true
}()

/// A network namespace created for one test and deleted after it.
struct TestNamespace {
    let name: String

    /// Runs `body` with a fresh namespace and deletes the namespace afterwards, whatever happens.
    static func with<T>(_ body: (TestNamespace) throws -> T) throws -> T {
        let namespace = TestNamespace(name: uniqueName("ns"))
        try runTool("ip", ["netns", "add", namespace.name])
        defer { _ = try? runTool("ip", ["netns", "delete", namespace.name]) }
        return try body(namespace)
    }

    /// Runs `ip -n NAME args...`.
    @discardableResult
    func ip(_ arguments: String...) throws -> String { try runTool("ip", ["-n", name] + arguments).output }
}
