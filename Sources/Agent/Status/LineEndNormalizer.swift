import NIOCore

/// Turns bare LF line ends into CRLF before the HTTP parser sees them. RFC 9112 (section 2.2) lets a server
/// take a bare LF as a line end, as `printf 'GET /status HTTP/1.0\n\n' | socat - UNIX:…` sends, and the
/// status server always has; llhttp, as NIO runs it, refuses one. No request here has a body, so every byte
/// that arrives is header.
final class LineEndNormalizer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")
    private var afterCarriageReturn = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let bytes = buffer.readableBytesView
        var previous = afterCarriageReturn
        let hasBareLineFeed = bytes.contains { byte in
            defer { previous = byte == Self.carriageReturn }
            return byte == Self.lineFeed && !previous
        }
        guard hasBareLineFeed else {
            afterCarriageReturn = bytes.last.map { $0 == Self.carriageReturn } ?? afterCarriageReturn
            context.fireChannelRead(data)
            return
        }
        var output = context.channel.allocator.buffer(capacity: bytes.count + 16)
        for byte in bytes {
            if byte == Self.lineFeed && !afterCarriageReturn { output.writeInteger(Self.carriageReturn) }
            output.writeInteger(byte)
            afterCarriageReturn = byte == Self.carriageReturn
        }
        context.fireChannelRead(wrapInboundOut(output))
    }
}
