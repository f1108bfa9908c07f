/// The request line of an HTTP/1.x request; headers are read and checked for shape but not kept (no endpoint
/// uses them), and a body is never read (every endpoint is a GET).
struct HTTPRequest: Equatable {
    var method: String
    /// The path without the query string.
    var path: String
    var version: String

    enum Parse: Equatable {
        case complete(HTTPRequest)
        /// More bytes are needed: the blank line that ends the header has not come yet.
        case incomplete
        case invalid(status: Int, reason: String)
    }

    /// The most header bytes read before answering 431.
    static let maximumHeaderBytes = 8192

    /// Parses `bytes` read so far.
    static func parse(_ bytes: [UInt8]) -> Parse {
        guard let end = headerEnd(bytes) else {
            if bytes.count >= maximumHeaderBytes {
                return .invalid(status: 431, reason: "the request header is larger than \(maximumHeaderBytes) bytes")
            }
            return .incomplete
        }
        // Lines are split on bytes: as Characters, "\r\n" is one grapheme and never equals "\n".
        var lines = bytes[..<end].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            String(decoding: $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0, as: UTF8.self)
        }
        // Robustness (RFC 9112 2.2): empty lines before the request line are ignored.
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        guard let requestLine = lines.first else { return .invalid(status: 400, reason: "empty request") }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter && $0.isUppercase }) else {
            return .invalid(status: 400, reason: "malformed request line")
        }
        let target = parts[1]
        guard target.hasPrefix("/") else { return .invalid(status: 400, reason: "the target must be a path") }
        let version = String(parts[2])
        guard version.hasPrefix("HTTP/") else { return .invalid(status: 400, reason: "malformed HTTP version") }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return .invalid(status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are served")
        }
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                !line[..<colon].contains(where: { $0 == " " || $0 == "\t" })
            else { return .invalid(status: 400, reason: "malformed header line") }
        }
        let path = target.prefix { $0 != "?" && $0 != "#" }
        return .complete(HTTPRequest(method: String(parts[0]), path: String(path), version: version))
    }

    /// The index of the blank line ending the header (`\r\n\r\n`, or `\n\n` from lenient clients).
    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        let newline = UInt8(ascii: "\n")
        var index = 0
        while index < bytes.count {
            if bytes[index] == newline {
                if index + 1 < bytes.count, bytes[index + 1] == newline { return index }
                if index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "\r"), bytes[index + 2] == newline {
                    return index
                }
            }
            index += 1
        }
        return nil
    }
}

/// A response, always closing the connection after it (one request per connection keeps the server simple
/// and is what `curl` and probes do anyway).
struct HTTPResponse: Equatable {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var extraHeaders: [(String, String)] = []

    init(status: Int, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    init(status: Int, text: String) {
        self.init(status: status, body: Array((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func == (lhs: HTTPResponse, rhs: HTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.contentType == rhs.contentType && lhs.body == rhs.body
            && lhs.extraHeaders.elementsEqual(rhs.extraHeaders, by: ==)
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }

    /// The bytes on the wire; a HEAD response has the headers of the GET and no body.
    func serialized(includeBody: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\n"
        head += "Cache-Control: no-store\r\n"
        for (name, value) in extraHeaders { head += "\(name): \(value)\r\n" }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + (includeBody ? body : [])
    }
}
