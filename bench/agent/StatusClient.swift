import Foundation
import Glibc

/// A minimal HTTP/1.1 client for tabbyd's status socket (one request per connection, as the server answers).
struct StatusClient {
    let socketPath: String

    struct Response {
        var status: Int
        var body: String
    }

    /// `GET path`; nil when the socket does not accept connections yet.
    func get(_ path: String) -> Response? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return nil }
        // A server that stops answering must not hang the benchmark.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            sent += count
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headerEnd = text.range(of: "\r\n\r\n") else { return nil }
        let statusLine = text[..<headerEnd.lowerBound].prefix { $0 != "\r" }
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, let status = Int(fields[1]) else { return nil }
        return Response(status: status, body: String(text[headerEnd.upperBound...]))
    }

    /// The value of an unlabelled sample (`name value`) in `/metrics`.
    func metric(_ name: String) -> Double? {
        guard let body = get("/metrics")?.body else { return nil }
        for line in body.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    /// `/status` `lastApply`: when it finished (an RFC 3339 text, unique per apply), its duration and writes.
    func lastApply() -> (time: String, seconds: Double, writes: Int)? {
        guard let body = get("/status")?.body,
            let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let apply = object["lastApply"] as? [String: Any], let time = apply["time"] as? String,
            let seconds = apply["durationSeconds"] as? Double, let writes = apply["writes"] as? Int
        else { return nil }
        return (time, seconds, writes)
    }

    /// `/status` `errors`, as "resource: reason" lines.
    func errors() -> [String] {
        guard let body = get("/status")?.body,
            let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let errors = object["errors"] as? [[String: Any]]
        else { return [] }
        return errors.map { "\($0["resource"] ?? ""): \($0["reason"] ?? "")" }
    }
}
