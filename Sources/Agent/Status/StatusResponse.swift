/// One answer of the status server. The connection always closes after it (one request per connection keeps
/// the server simple and is what `curl` and probes do anyway), and a response to `HEAD` carries the headers
/// of the `GET` without its body.
struct StatusResponse: Equatable {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var extraHeaders: [(String, String)] = []

    init(status: Int, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// A plain-text answer; the text gets its final newline.
    init(status: Int, text: String) {
        self.init(status: status, body: Array((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Every header, in the order they are written.
    var headers: [(String, String)] {
        [("Content-Type", contentType), ("Content-Length", String(body.count)), ("Cache-Control", "no-store")]
            + extraHeaders + [("Connection", "close")]
    }

    static func == (lhs: StatusResponse, rhs: StatusResponse) -> Bool {
        lhs.status == rhs.status && lhs.contentType == rhs.contentType && lhs.body == rhs.body
            && lhs.extraHeaders.elementsEqual(rhs.extraHeaders, by: ==)
    }
}
