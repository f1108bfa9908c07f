import Glibc
import NetworkAddress
import SystemError

/// The kernel's choice of source address toward a destination, read from a connected UDP socket: `connect`
/// on a datagram socket runs the route lookup and binds the source address, and sends nothing.
enum RouteSource {
    /// Port 80 as calico-node uses; any port gives the same route.
    static let port: UInt16 = 80

    static func connectedSource(toward destination: IPAddress) throws(NodeAddressError) -> IPAddress {
        let family = destination.family == .v4 ? AF_INET : AF_INET6
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NodeAddressError("socket: \(Errno(errno))") }
        defer { close(fd) }
        var storage = sockaddr_storage()
        let length: socklen_t
        switch destination {
        case .v4(let address):
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { raw in
                let pointer = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                pointer.pointee.sin_family = sa_family_t(AF_INET)
                pointer.pointee.sin_port = port.bigEndian
                pointer.pointee.sin_addr.s_addr = address.value.bigEndian
            }
        case .v6(let address):
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { raw in
                let pointer = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                pointer.pointee.sin6_family = sa_family_t(AF_INET6)
                pointer.pointee.sin6_port = port.bigEndian
                withUnsafeMutableBytes(of: &pointer.pointee.sin6_addr) { $0.copyBytes(from: address.bytes) }
            }
        }
        let connected = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard connected == 0 else {
            throw NodeAddressError("no route to \(destination) (\(Errno(errno)))")
        }
        var local = sockaddr_storage()
        var localLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &localLength) }
        }
        guard named == 0 else { throw NodeAddressError("getsockname: \(Errno(errno))") }
        let address: IPAddress? = withUnsafeBytes(of: &local) { raw in
            switch destination.family {
            case .v4:
                let value = raw.load(as: sockaddr_in.self).sin_addr.s_addr
                return .v4(IPv4Address(UInt32(bigEndian: value)))
            case .v6:
                var copy = raw.load(as: sockaddr_in6.self).sin6_addr
                return withUnsafeBytes(of: &copy) { IPAddress(bytes: Array($0)) }
            }
        }
        guard let address else { throw NodeAddressError("getsockname returned no address") }
        return address
    }
}
