import ArgumentParser
import Foundation
import NetworkAddress
import SystemError

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `tabbyctl node ...`: this node's agent.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "The tabbyd agent on this node.",
        subcommands: [NodeStatusCommand.self, NodeCheckSystemCommand.self, NodeDiagsCommand.self])
}

/// `tabbyctl node status`: what tabbyd reports on its status socket (`GET /status`).
struct NodeStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the state of tabbyd on this node: sync, last apply, routes, blocks, tunnels, errors, BGP peers.",
        discussion: """
            Reads GET /status from tabbyd's status socket: --status-socket, else $TABBYD_STATUS_SOCKET, else \
            \(StatusSocketOption.defaultSocket). Exit code 1 when tabbyd is not running or does not answer.
            """)

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @OptionGroup var socket: StatusSocketOption
    @Option(name: .shortAndLong, help: "Output: text (for a person, the default) or json (as tabbyd sends it).")
    var output: Output = .text

    func run() async throws {
        let path = socket.path
        let body = try StatusSocketClient.get("/status", socket: path)
        switch output {
        case .json:
            Console.out(String(decoding: body, as: UTF8.self))
        case .text:
            let status: AgentStatus
            do {
                status = try JSONDecoder().decode(AgentStatus.self, from: Data(body))
            } catch {
                throw CtlFailure.failed("tabbyd at \(path) sent a status this tabbyctl cannot read: \(error)")
            }
            Console.out(status.rendered())
        }
    }
}

/// The JSON of tabbyd's `GET /status` (the Agent module's `StatusReport`), read leniently: a field an older
/// or newer agent does not send is shown as unknown rather than failing the command.
struct AgentStatus: Decodable {
    struct Apply: Decodable {
        var time: String?
        var durationSeconds: Double?
        var writes: Int?
    }

    struct Counts: Decodable {
        var routes: Int?
        var devices: Int?
        var neighbors: Int?
        var workloadEndpoints: Int?
    }

    struct Block: Decodable {
        var cidr: String
        var node: String?
        var state: String?
    }

    struct TunnelAddresses: Decodable {
        var ipip: String?
        var vxlan: String?
        var vxlanMAC: String?
        var vxlanV6: String?
        var vxlanMACV6: String?
    }

    struct Problem: Decodable {
        var resource: String?
        var reason: String?
    }

    var node: String?
    var version: String?
    var uptimeSeconds: Double?
    var datastoreInSync: Bool?
    var lastApply: Apply?
    var counts: Counts?
    var blocks: [Block]?
    var tunnelAddresses: TunnelAddresses?
    var errors: [Problem]?
    var readiness: Bool?
    /// Present when tabbyd runs BIRD (networkingBackend `bird`).
    var bgp: AgentBGPStatus?

    /// The summary `tabbyctl node status` prints.
    func rendered() -> String {
        func yesNo(_ value: Bool?) -> String { value.map { $0 ? "yes" : "no" } ?? "unknown" }
        func number(_ value: Int?) -> String { value.map(String.init) ?? "unknown" }
        var fields: [(String, String)] = [
            ("Node", node ?? "unknown"),
            ("Version", version ?? "unknown"),
            ("Uptime", uptimeSeconds.map(Self.duration) ?? "unknown"),
            ("Ready", yesNo(readiness)),
            ("Datastore in sync", yesNo(datastoreInSync)),
        ]
        if let lastApply {
            var text = lastApply.time ?? "unknown time"
            var details: [String] = []
            if let seconds = lastApply.durationSeconds { details.append(Self.milliseconds(seconds)) }
            if let writes = lastApply.writes { details.append(writes == 1 ? "1 write" : "\(writes) writes") }
            if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
            fields.append(("Last apply", text))
        } else {
            fields.append(("Last apply", "none yet"))
        }
        fields += [
            ("Routes", number(counts?.routes)),
            ("Devices", number(counts?.devices)),
            ("Neighbors", number(counts?.neighbors)),
            ("Workload endpoints", number(counts?.workloadEndpoints)),
        ]
        var tunnels: [String] = []
        tunnels.append("IPIP " + (tunnelAddresses?.ipip ?? "-"))
        var vxlan = "VXLAN " + (tunnelAddresses?.vxlan ?? "-")
        if let mac = tunnelAddresses?.vxlanMAC { vxlan += " (MAC \(mac))" }
        tunnels.append(vxlan)
        if let address = tunnelAddresses?.vxlanV6 {
            tunnels.append("VXLANv6 \(address)" + (tunnelAddresses?.vxlanMACV6.map { " (MAC \($0))" } ?? ""))
        }
        fields.append(("Tunnel addresses", tunnels.joined(separator: ", ")))

        let width = fields.map(\.0.count).max()! + 2
        var lines = fields.map { name, value in
            (name + ":").padding(toLength: width, withPad: " ", startingAt: 0) + value
        }
        lines.append("")
        let blocks = blocks ?? []
        if blocks.isEmpty {
            lines.append("Blocks: none")
        } else {
            lines.append("Blocks:")
            let rows = [["CIDR", "NODE", "STATE"]] + blocks.map { [$0.cidr, $0.node ?? "-", $0.state ?? "unknown"] }
            lines.append(TextTable.format(rows))
        }
        lines.append("")
        let errors = errors ?? []
        if errors.isEmpty {
            lines.append("Errors: none")
        } else {
            lines.append("Errors:")
            let rows = [["RESOURCE", "REASON"]] + errors.map { [$0.resource ?? "-", $0.reason ?? "-"] }
            lines.append(TextTable.format(rows))
        }
        if let bgp {
            lines.append("")
            lines.append(bgp.rendered())
        }
        return lines.joined(separator: "\n")
    }

    /// `3d 4h 5m 6s`, leading zero units left out.
    static func duration(_ seconds: Double) -> String {
        var rest = Int(seconds.rounded(.down))
        let days = rest / 86400
        rest %= 86400
        let parts = [(days, "d"), (rest / 3600, "h"), (rest % 3600 / 60, "m"), (rest % 60, "s")]
        let shown = parts.drop { $0.0 == 0 && $0.1 != "s" }
        return shown.map { "\($0.0)\($0.1)" }.joined(separator: " ")
    }

    static func milliseconds(_ seconds: Double) -> String {
        let value = seconds * 1000
        return value < 10 ? String(format: "%.2f ms", value) : String(format: "%.1f ms", value)
    }
}

/// One HTTP/1.1 GET over a Unix socket, as tabbyd's status server answers it (one response, then close).
enum StatusSocketClient {
    static let timeoutSeconds = 10

    /// The body of a 200 answer to `GET target`; anything else is a failure that says what to do.
    static func get(_ target: String, socket path: String) throws(CtlFailure) -> [UInt8] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CtlFailure.failed("cannot create a Unix socket: \(errnoText(errno))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard !pathBytes.isEmpty, pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw CtlFailure.badInput("\(path) is not a usable socket path (1 to 107 bytes)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw connectFailure(errno, path: path) }

        let request = Array("GET \(target) HTTP/1.1\r\nHost: tabbyd\r\nConnection: close\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else {
            throw CtlFailure.failed("cannot send to tabbyd at \(path): \(errnoText(errno))")
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    throw CtlFailure.failed("tabbyd at \(path) did not answer within \(timeoutSeconds) s")
                }
                throw CtlFailure.failed("cannot read from tabbyd at \(path): \(errnoText(errno))")
            }
            if count == 0 { break }
            response.append(contentsOf: buffer[..<count])
        }
        return try body(of: response, path: path)
    }

    /// The body of a complete 200 response.
    static func body(of response: [UInt8], path: String) throws(CtlFailure) -> [UInt8] {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headerEnd = response.firstRange(of: separator) else {
            throw CtlFailure.failed("tabbyd at \(path) closed the connection without a complete answer")
        }
        let head = String(decoding: response[..<headerEnd.lowerBound], as: UTF8.self)
        let body = Array(response[headerEnd.upperBound...])
        let statusLine = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw CtlFailure.failed("tabbyd at \(path) answered something that is not HTTP: \(statusLine)")
        }
        guard status == 200 else {
            let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw CtlFailure.failed("tabbyd at \(path) answered \(status): \(text)")
        }
        for line in head.split(separator: "\r\n").dropFirst() {
            let pair = line.split(separator: ":", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == "content-length",
                let length = Int(pair[1].trimmingCharacters(in: .whitespaces)), length != body.count
            {
                throw CtlFailure.failed(
                    "tabbyd at \(path) sent \(body.count) of the \(length) bytes it announced")
            }
        }
        return body
    }

    private static func connectFailure(_ code: Int32, path: String) -> CtlFailure {
        switch code {
        case ENOENT:
            return .failed(
                "tabbyd is not running on this node: there is no status socket at \(path) (ENOENT); "
                    + "start it (systemctl start tabbyd) or name its socket with --status-socket")
        case ECONNREFUSED:
            return .failed(
                "tabbyd is not running on this node: nothing listens on \(path) (ECONNREFUSED; "
                    + "the socket was left by an agent that stopped)")
        case EACCES, EPERM:
            return .failed(
                "permission denied on \(path) (\(errnoText(code))): run as root or as a member of the socket's group")
        case ENOTSOCK:
            return .failed("\(path) is not a socket (ENOTSOCK)")
        default:
            return .failed("cannot connect to tabbyd at \(path): \(errnoText(code))")
        }
    }

    /// `ECONNREFUSED (Connection refused)`.
    static func errnoText(_ code: Int32) -> String { Errno(code).explained }
}
