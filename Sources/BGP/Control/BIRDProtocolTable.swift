/// Reads BGP peer rows out of BIRD's `show protocols all` reply.
public enum BIRDProtocolTable {
    /// One row per `protocol bgp`: calicoctl's columns plus the routes counts. The peer type comes from the
    /// protocol's name (`Mesh_`, `Global_`, `Node_`); the address from `sessions` when the protocol is one of
    /// them, else from BIRD's `Neighbor address`.
    public static func peers(_ reply: BIRDReply, sessions: [BGPSession]) -> [BGPPeerStatus] {
        let known = Dictionary(sessions.map { ($0.protocolName, $0) }, uniquingKeysWith: { first, _ in first })
        var result: [BGPPeerStatus] = []
        var current: BGPPeerStatus?
        func finish() {
            if let row = current { result.append(row) }
            current = nil
        }
        for line in reply.lines {
            if line.code == 1002 {
                finish()
                let fields = line.text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                guard fields.count >= 5, fields[1] == "BGP" else { continue }
                let name = fields[0]
                let type = BGPSession.PeerType.allCases.first { name.hasPrefix($0.protocolPrefix) }
                var row = BGPPeerStatus(
                    peerAddress: "", peerType: type?.rawValue ?? "unknown", state: fields[3],
                    since: shortTime(fields[4]), info: fields.dropFirst(5).joined(separator: " "), family: "IPv4",
                    protocolName: name)
                if let session = known[name] {
                    row.peerAddress = address(session.peerAddress.description, port: session.port, v6: session.family == .v6)
                    row.family = session.family == .v4 ? "IPv4" : "IPv6"
                }
                current = row
                continue
            }
            guard current != nil, line.code == 1006 else { continue }
            let text = line.text.trimmingLeadingSpaces()
            if text.hasPrefix("Neighbor address:"), current?.peerAddress.isEmpty == true {
                let value = text.dropFirst("Neighbor address:".count).trimmingLeadingSpaces()
                current?.peerAddress = value
                current?.family = value.contains(":") ? "IPv6" : "IPv4"
            } else if text.hasPrefix("Routes:") {
                // `Routes:         1 imported, 1 exported, 1 preferred` (the filtered count is left out).
                let words = text.dropFirst("Routes:".count).split(separator: " ").map(String.init)
                for (index, word) in words.enumerated() where index > 0 {
                    let number = Int(words[index - 1]) ?? 0
                    if word.hasPrefix("imported") { current?.routesImported += number }
                    if word.hasPrefix("exported") { current?.routesExported += number }
                }
            }
        }
        finish()
        return result
    }

    /// `07:58:59.659` -> `07:58:59`: calicoctl's SINCE shows seconds.
    static func shortTime(_ text: String) -> String {
        if let dot = text.firstIndex(of: "."), text[..<dot].contains(":") { return String(text[..<dot]) }
        return text
    }

    static func address(_ address: String, port: UInt16?, v6: Bool) -> String {
        guard let port else { return address }
        return v6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

extension StringProtocol {
    func trimmingLeadingSpaces() -> String { String(drop { $0 == " " || $0 == "\t" }) }
}
