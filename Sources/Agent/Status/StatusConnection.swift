import NIOCore
import NIOHTTP1

/// Serves one connection: reads one request, answers it, and closes.
///
/// The answer is written as soon as the request header is complete (no endpoint takes a body). A client that
/// sends nothing for the read timeout gets 408, one that sends a header the parser rejects gets the matching
/// 4xx/5xx, and one that stops taking the answer is cut off after the send timeout.
final class StatusConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let endpoints: Set<StatusEndpoint>
    private let provider: any StatusProvider
    private let log: AgentLog?
    private let sendTimeout: TimeAmount
    private var answered = false

    init(endpoints: Set<StatusEndpoint>, provider: any StatusProvider, log: AgentLog?, sendTimeout: TimeAmount) {
        self.endpoints = endpoints
        self.provider = provider
        self.log = log
        self.sendTimeout = sendTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data), !answered else { return }
        let request = "\(head.method.rawValue) \(head.uri)"
        switch StatusRequestCheck.path(of: head) {
        case .failure(let refusal):
            answer(context: context, refusal.response, request: request)
        case .success(let path):
            let method = head.method.rawValue
            let response = StatusRouter.respond(method: method, path: path, endpoints: endpoints, provider: provider)
            answer(context: context, response, includeBody: method != "HEAD", request: "\(method) \(path)")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !answered else { return }
        if let error = error as? HTTPParserError {
            answer(context: context, StatusRequestCheck.refusal(for: error).response, request: nil)
        } else {
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case IdleStateHandler.IdleStateEvent.read:
            if !answered { answer(context: context, StatusRequestCheck.tooSlow, request: nil) }
        case ChannelEvent.inputClosed:
            // The client finished sending before a whole header arrived, and the parser found nothing to
            // complain about (it had received nothing): there is nobody to answer.
            if !answered { context.close(promise: nil) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func answer(
        context: ChannelHandlerContext, _ response: StatusResponse, includeBody: Bool = true, request: String?
    ) {
        answered = true
        StatusConnection.write(
            response, includeBody: includeBody, context: context, handler: self, timeout: sendTimeout)
        if let log, log.isEnabled(.debug) {
            log.debug("status request", ["request": request ?? "-", "status": "\(response.status)"])
        }
    }

    /// Writes `response`, then closes the connection once it is sent, or after `timeout` if the client stalls.
    static func write<Handler: ChannelInboundHandler>(
        _ response: StatusResponse, includeBody: Bool, context: ChannelHandlerContext, handler: Handler,
        timeout: TimeAmount
    ) where Handler.OutboundOut == HTTPServerResponsePart {
        let status = HTTPResponseStatus(statusCode: response.status)
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: HTTPHeaders(response.headers))
        context.write(handler.wrapOutboundOut(.head(head)), promise: nil)
        if includeBody && !response.body.isEmpty {
            let body = context.channel.allocator.buffer(bytes: response.body)
            context.write(handler.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let channel = context.channel
        let deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        context.writeAndFlush(handler.wrapOutboundOut(.end(nil))).whenComplete { _ in
            deadline.cancel()
            channel.close(promise: nil)
        }
    }
}

/// Answers a connection beyond the limit with 503 at once, without reading its request.
final class BusyConnection: ChannelInboundHandler {
    /// Raw bytes: no request is parsed here.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = HTTPServerResponsePart

    private let sendTimeout: TimeAmount
    private var answered = false

    init(sendTimeout: TimeAmount) {
        self.sendTimeout = sendTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}

    private func answer(context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        StatusConnection.write(
            StatusRequestCheck.busy, includeBody: true, context: context, handler: self, timeout: sendTimeout)
    }
}
