/// The BGP part of `tabbyctl node status`, in calicoctl's shape: "IPv4 BGP status" and "IPv6 BGP status", each a
/// boxed table of PEER ADDRESS, PEER TYPE, STATE, SINCE and INFO, or "No IPv4 peers found.".
struct AgentBGPStatus: Decodable {
    struct Peer: Decodable {
        var peerAddress: String?
        var peerType: String?
        var state: String?
        var since: String?
        var info: String?
        var family: String?
        var routesImported: Int?
        var routesExported: Int?
    }

    var running: Bool?
    var pid: Int32?
    var version: String?
    var starts: Int?
    var lastError: String?
    var peers: [Peer]?

    /// The lines printed after the agent's summary.
    func rendered() -> String {
        var lines: [String] = []
        if running == true {
            var about = "BIRD is running"
            var details: [String] = []
            if let version { details.append("version \(version)") }
            if let pid { details.append("pid \(pid)") }
            if let starts, starts > 1 { details.append("restarted \(starts - 1) time" + (starts == 2 ? "" : "s")) }
            if !details.isEmpty { about += " (" + details.joined(separator: ", ") + ")" }
            lines.append(about + ".")
        } else {
            lines.append("BIRD is not running.")
        }
        if let lastError {
            lines.append("Last BIRD configuration error (the previous configuration stays in force):")
            lines.append("  " + lastError)
        }
        for family in ["IPv4", "IPv6"] {
            lines.append("")
            lines.append("\(family) BGP status")
            let rows = (peers ?? []).filter { ($0.family ?? "IPv4") == family }
            if rows.isEmpty {
                lines.append("No \(family) peers found.")
                continue
            }
            let header = ["PEER ADDRESS", "PEER TYPE", "STATE", "SINCE", "INFO"]
            let body = rows.map { peer in
                [peer.peerAddress ?? "-", peer.peerType ?? "-", peer.state ?? "-", peer.since ?? "-", peer.info ?? "-"]
            }
            lines.append(BoxedTable.format(header: header, rows: body))
        }
        return lines.joined(separator: "\n")
    }
}

/// A table with `+---+` borders and centred headings, as calicoctl prints its node status.
enum BoxedTable {
    static func format(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) + "+" }.joined()
        func line(_ cells: [String], centred: Bool) -> String {
            var text = "|"
            for (column, width) in widths.enumerated() {
                let cell = column < cells.count ? cells[column] : ""
                let spare = width - cell.count
                let left = centred ? spare / 2 : 0
                let right = spare - left
                text += " " + String(repeating: " ", count: left) + cell + String(repeating: " ", count: right) + " |"
            }
            return text
        }
        var lines = [rule, line(header, centred: true), rule]
        lines += rows.map { line($0, centred: false) }
        lines.append(rule)
        return lines.joined(separator: "\n")
    }
}
