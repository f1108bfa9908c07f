import CMnl
import Glibc
import SystemError

/// A bound `NETLINK_ROUTE` socket, owned through libmnl. Not thread-safe: one owner at a time.
final class NetlinkSocket {
    private let handle: OpaquePointer
    let portID: UInt32
    let fd: Int32

    /// Opens and binds a socket (the kernel assigns the port id).
    init() throws(NetlinkError) {
        guard let handle = mnl_socket_open2(NETLINK_ROUTE, Int32(SOCK_CLOEXEC.rawValue)) else {
            throw .system("netlink socket open")
        }
        // 0 lets the kernel pick the port id (MNL_SOCKET_AUTOPID).
        guard mnl_socket_bind(handle, 0, 0) == 0 else {
            let error = NetlinkError.system("netlink socket bind")
            mnl_socket_close(handle)
            throw error
        }
        self.handle = handle
        portID = mnl_socket_get_portid(handle)
        fd = mnl_socket_get_fd(handle)
    }

    deinit { mnl_socket_close(handle) }

    /// Sets an `SOL_NETLINK` option to an integer value.
    func setNetlinkOption(_ option: Int32, _ value: Int32, name: String) throws(NetlinkError) {
        var value = value
        guard mnl_socket_setsockopt(handle, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw .system("netlink setsockopt \(name)")
        }
    }

    /// Sets a socket buffer size, past `net.core.[rw]mem_max` when the process has CAP_NET_ADMIN, and returns
    /// what the kernel granted (which is twice the request, for its own bookkeeping).
    @discardableResult
    func setBufferSize(receive: Bool, bytes: Int) -> Int {
        var value = Int32(clamping: bytes)
        let size = socklen_t(MemoryLayout<Int32>.size)
        let force = receive ? SO_RCVBUFFORCE : SO_SNDBUFFORCE
        if setsockopt(fd, SOL_SOCKET, force, &value, size) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, receive ? SO_RCVBUF : SO_SNDBUF, &value, size)
        }
        var granted: Int32 = 0
        var length = size
        _ = getsockopt(fd, SOL_SOCKET, receive ? SO_RCVBUF : SO_SNDBUF, &granted, &length)
        return Int(granted)
    }

    /// Joins a multicast group (`RTNLGRP_*`).
    func join(group: UInt32) throws(NetlinkError) {
        try setNetlinkOption(NetlinkOption.addMembership, Int32(group), name: "NETLINK_ADD_MEMBERSHIP \(group)")
    }

    /// Sends a run of messages in one `sendmsg`.
    func send(_ bytes: UnsafeRawBufferPointer, operation: @autoclosure () -> String) throws(NetlinkError) {
        while true {
            let sent = mnl_socket_sendto(handle, bytes.baseAddress, bytes.count)
            if sent == bytes.count { return }
            if sent < 0 && errno == EINTR { continue }
            throw .system(operation(), errno: Errno(sent < 0 ? errno : EMSGSIZE))
        }
    }

    /// Receives one datagram; returns its length. Throws with the errno on failure (`ENOBUFS` when the kernel
    /// dropped messages because the receive queue was full, `EAGAIN` on a non-blocking socket with nothing queued).
    func receive(into buffer: UnsafeMutableRawBufferPointer, operation: @autoclosure () -> String)
        throws(NetlinkError) -> Int
    {
        while true {
            let received = mnl_socket_recvfrom(handle, buffer.baseAddress, buffer.count)
            if received >= 0 { return received }
            if errno == EINTR { continue }
            throw .system(operation())
        }
    }
}
