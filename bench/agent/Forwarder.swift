import Foundation
import Glibc
import Netlink
import Synchronization

/// Makes `127.0.0.1:port` inside a node namespace reach `127.0.0.1:port` of the benchmark's own namespace,
/// where the scenario's etcd member listens: tabbyd runs in the node namespace and cannot reach the host's
/// loopback, and the benchmark does not touch the host namespace's links. The listening socket is made in the
/// node namespace (on a thread of its own that entered it: `NetworkNamespace.perform`), each accepted connection is relayed to etcd by two
/// threads (one per direction). The relay adds two thread hops each way; the report says so.
final class LoopbackForwarder: Sendable {
    private let listener: Int32
    private let port: Int

    init(namespace: String, port: Int) throws {
        self.port = port
        let inside = try NetworkNamespace(named: namespace)
        let listener = try inside.perform { () throws(BenchError) -> Int32 in try Self.listen(port: port) }
        self.listener = listener
        Thread.detachNewThread { Self.acceptLoop(listener, port: port) }
    }

    /// Stops accepting; relayed connections end when their ends close.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    /// A socket listening on `127.0.0.1:port` of the calling thread's namespace.
    private static func listen(port: Int) throws(BenchError) -> Int32 {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw BenchError("forwarder socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard bound, Glibc.listen(listener, 64) == 0 else {
            let code = errno
            close(listener)
            throw BenchError("forwarder on 127.0.0.1:\(port): errno \(code)")
        }
        return listener
    }

    private static func acceptLoop(_ listener: Int32, port: Int) {
        while true {
            let inside = accept(listener, nil, nil)
            if inside < 0 {
                if errno == EINTR { continue }
                close(listener)
                return
            }
            let outside = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = loopback(port)
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(outside, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard connected else {
                close(inside)
                close(outside)
                continue
            }
            for fd in [inside, outside] {
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            let pending = Mutex(2)
            let finish: @Sendable () -> Void = {
                if pending.withLock({ count in
                    count -= 1
                    return count == 0
                }) {
                    close(inside)
                    close(outside)
                }
            }
            Thread.detachNewThread {
                relay(from: inside, to: outside)
                finish()
            }
            Thread.detachNewThread {
                relay(from: outside, to: inside)
                finish()
            }
        }
    }

    /// Copies until the source ends, then passes the end on.
    private static func relay(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        copying: while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + offset, count - offset) }
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { break copying }
                offset += written
            }
        }
        shutdown(destination, Int32(SHUT_WR))
        shutdown(source, Int32(SHUT_RD))
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }
}
