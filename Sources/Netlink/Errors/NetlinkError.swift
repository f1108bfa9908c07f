import Glibc
import SystemError

/// A failed netlink operation: the errno (by name), what the kernel said in its extended ack, and the
/// operation with its key, e.g. `route replace 10.0.1.0/26 via 192.0.2.2 dev vxlan.calico: ENETUNREACH
/// (Nexthop has invalid gateway)`.
public struct NetlinkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The errno the kernel (or a system call of this module) returned.
    public var errno: Errno
    /// The kernel's extended-ack text, when it sent one.
    public var message: String?
    /// The extended-ack offset of the offending attribute, in bytes from the start of the request.
    public var offset: UInt32?
    /// The operation and its key: "route replace 10.0.1.0/26 dev vxlan.calico".
    public var operation: String

    public init(_ errno: Errno, message: String? = nil, offset: UInt32? = nil, operation: String) {
        self.errno = errno
        self.message = message
        self.offset = offset
        self.operation = operation
    }

    /// "route replace 10.0.1.0/26 dev vxlan.calico: ENETUNREACH (Nexthop has invalid gateway)"; the C
    /// library's text stands in for the extended ack when the kernel sent none.
    public var description: String {
        var text = "\(operation): \(errno.name) (\(message ?? errno.message))"
        if let offset { text += " at byte \(offset)" }
        return text
    }

    /// An error from a system call made by this module (not a kernel netlink reply), with the thread's errno.
    static func system(_ operation: String, errno: Errno = .current) -> NetlinkError {
        NetlinkError(errno, operation: operation)
    }
}

/// One operation of a batch that the kernel refused: its position in the batch, the operation, and the error.
public struct NetlinkOperationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The position of the operation in the batch passed to `apply`.
    public var index: Int
    public var operation: NetlinkOperation
    public var error: NetlinkError

    public init(index: Int, operation: NetlinkOperation, error: NetlinkError) {
        self.index = index
        self.operation = operation
        self.error = error
    }

    public var description: String { error.description }
}

/// The error part of an `NLMSG_ERROR` (or a failed `NLMSG_DONE`): errno and extended-ack details.
struct KernelErrorReply {
    /// Negative errno, or 0 for a success ack.
    var errorCode: Int32
    var message: String?
    var offset: UInt32?

    /// Parses the payload of an `NLMSG_ERROR`: `int error`, the echoed request header (or the whole request when
    /// the reply is not capped), then extended-ack attributes when `NLM_F_ACK_TLVS` is set.
    init?(errorPayload payload: UnsafeRawBufferPointer, flags: UInt16) {
        guard payload.count >= 4 else { return nil }
        errorCode = payload.loadUnaligned(as: Int32.self)
        guard flags & HeaderFlag.ackTLVs != 0 else { return }
        var echoed = HeaderSize.netlink
        if flags & HeaderFlag.capped == 0, payload.count >= 4 + HeaderSize.netlink {
            echoed = Int(payload.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        }
        let start = 4 + ((echoed + 3) & ~3)
        guard start <= payload.count else { return }
        readExtAck(UnsafeRawBufferPointer(rebasing: payload[start...]))
    }

    /// Parses the payload of an `NLMSG_DONE`: `int error`, then extended-ack attributes.
    init(donePayload payload: UnsafeRawBufferPointer, flags: UInt16) {
        errorCode = payload.count >= 4 ? payload.loadUnaligned(as: Int32.self) : 0
        if flags & HeaderFlag.ackTLVs != 0, payload.count > 4 {
            readExtAck(UnsafeRawBufferPointer(rebasing: payload[4...]))
        }
    }

    private mutating func readExtAck(_ bytes: UnsafeRawBufferPointer) {
        for attribute in AttributeSequence(bytes) {
            switch attribute.type {
            case ExtAckAttribute.message: message = attribute.string
            case ExtAckAttribute.offset: offset = attribute.u32
            default: break
            }
        }
    }

    /// The error the reply reports; wrapping keeps a malformed `Int32.min` from trapping (it prints as
    /// "errno -2147483648").
    func error(operation: String) -> NetlinkError {
        NetlinkError(Errno(0 &- errorCode), message: message, offset: offset, operation: operation)
    }
}
