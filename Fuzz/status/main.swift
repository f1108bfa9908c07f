import FuzzSupport
import Glibc
import NIOCore
import NIOEmbedded
import NIOHTTP1

@testable import Agent

// libFuzzer entry for the status server's request handling: the input is what a client sends on one
// connection, fed through the server's own handlers (bare-LF repair, NIO's HTTP parser with the header limit,
// StatusConnection) on an embedded channel, in two reads split where the first byte says (so that a line end
// can straddle them). Whatever arrives, the server answers at most once, with a status line, or closes.

private let board = StatusBoard(node: "fuzz-node", version: "fuzz")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStatusRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let split = bytes.first else { return 0 }
    let request = bytes.dropFirst()
    let cut = request.startIndex + Int(split) % (request.count + 1)
    let channel = EmbeddedChannel()
    defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
    do {
        try StatusServer.addRequestHandlers(
            to: channel.pipeline.syncOperations, endpoints: Set(StatusEndpoint.allCases), provider: board, log: nil,
            sendTimeout: .seconds(1))
        for part in [request[..<cut], request[cut...]] where !part.isEmpty && channel.isActive {
            try channel.writeInbound(channel.allocator.buffer(bytes: part))
        }
        if channel.isActive { channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
    } catch {
        // The channel closed under a write (the answer was sent): what was sent is checked below.
    }
    var answer = ByteBuffer()
    while let part = try? channel.readOutbound(as: ByteBuffer.self) { answer.writeImmutableBuffer(part) }
    let text = String(buffer: answer)
    guard text.isEmpty || text.hasPrefix("HTTP/1.1 ") else { fatalError("answered \(text.debugDescription)") }
    guard text.components(separatedBy: "HTTP/1.1 ").count <= 2 else { fatalError("answered twice: \(text)") }
    return 0
}

var argumentCount = CommandLine.argc
var argumentValues = Optional(CommandLine.unsafeArgv)
exit(LLVMFuzzerRunDriver(&argumentCount, &argumentValues, fuzzStatusRequest))
