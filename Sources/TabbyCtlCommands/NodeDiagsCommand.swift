import ArgumentParser
import CalicoAPI
import Datastore
import Foundation
import TabbyRelease

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `tabbyctl node diags`: one tar.gz with what a bug report needs from this node.
struct NodeDiagsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diags", abstract: "Collect this node's diagnostics into one tar.gz archive.",
        discussion: """
            The archive holds tabbyd's status (from its status socket), its logs (journalctl -u tabbyd, else the \
            files of --log-dir), ip -d addr/link/route (every table)/neigh/rule, nft list ruleset, the sysctls \
            tabbyd sets, checksystem's verdicts and a listing of every resource of the datastore. A piece that \
            cannot be collected is recorded in the archive (in its file and in INDEX.txt) and does not stop the \
            rest. It only reads. Prints where the archive was written.
            """)

    static let defaultLogDirectory = "/var/log/tabby"

    @OptionGroup var options: DatastoreOptions
    @OptionGroup var socket: StatusSocketOption
    @Option(help: "tabbyd's log directory, used when the journal has no tabbyd logs (default: \(defaultLogDirectory)).")
    var logDir: String?
    @Option(name: .long, help: "Where to write the archive (default: ./tabby-diags-<node>-<time>.tar.gz).")
    var output: String?

    func run() async throws {
        let stamp = Self.timestamp()
        let name = "tabby-diags-\(Self.hostname())-\(stamp)"
        let archivePath = output ?? FileManager.default.currentDirectoryPath + "/\(name).tar.gz"
        let scratch = NSTemporaryDirectory() + "tabbyctl-diags-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        let folder = scratch + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw CtlFailure.failed("cannot create a scratch folder at \(folder): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var collection = DiagnosticsCollection(folder: folder)
        collection.collectAgent(socket: socket.path)
        collection.collectLogs(logDirectory: logDir ?? Self.defaultLogDirectory, explicit: logDir != nil)
        collection.collectNetwork()
        collection.collectSystem()
        await collection.collectDatastore(options)
        collection.writeIndex(header: "tabbyctl \(Release.version) node diags, \(stamp) UTC, host \(Self.hostname())")

        let tar = CommandCapture.run("tar", ["-czf", archivePath, "-C", scratch, name])
        guard tar.succeeded else {
            throw CtlFailure.failed(
                "cannot write the archive \(archivePath): \(tar.error.isEmpty ? tar.archived : tar.error)")
        }
        let failed = collection.entries.filter { !$0.collected }.count
        var message = "Diags saved to \(archivePath)"
        if failed > 0 {
            message += " (\(failed) of \(collection.entries.count) item(s) could not be collected; see INDEX.txt)"
        }
        Console.out(message)
    }

    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: Date())
    }

    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "unknown" : name.replacingOccurrences(of: "/", with: "-")
    }
}

/// The files of a diagnostics archive as they are collected, and whether each piece could be.
struct DiagnosticsCollection {
    struct Entry {
        var file: String
        var collected: Bool
        var note: String
    }

    let folder: String
    private(set) var entries: [Entry] = []

    init(folder: String) { self.folder = folder }

    mutating func write(_ file: String, _ text: String, collected: Bool, note: String = "") {
        let path = folder + "/" + file
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let written = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        entries.append(
            Entry(file: file, collected: collected && written, note: written ? note : "cannot write \(path)"))
    }

    mutating func capture(_ file: String, _ tool: String, _ arguments: [String]) {
        let outcome = CommandCapture.run(tool, arguments)
        write(
            file, outcome.archived, collected: outcome.succeeded,
            note: outcome.succeeded ? outcome.command : "\(outcome.command): " + Self.firstLine(outcome))
    }

    mutating func collectAgent(socket: String) {
        do {
            let body = try StatusSocketClient.get("/status", socket: socket)
            write("agent/status.json", String(decoding: body, as: UTF8.self), collected: true, note: "GET /status")
        } catch let failure {
            write("agent/status.json.failed", failure.message + "\n", collected: false, note: failure.message)
        }
    }

    mutating func collectLogs(logDirectory: String, explicit: Bool) {
        let journal = CommandCapture.run(
            "journalctl", ["-u", "tabbyd", "--no-pager", "-o", "short-iso", "-n", "100000"])
        let journalHasLines =
            journal.succeeded && journal.output.contains { $0 == "\n" }
            && !journal.output.hasPrefix("-- No entries --")
        write(
            "logs/journal-tabbyd.txt", journal.archived, collected: journalHasLines,
            note: journalHasLines ? journal.command : "\(journal.command): " + Self.firstLine(journal))
        guard explicit || !journalHasLines else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: logDirectory) else {
            write(
                "logs/log-dir.failed", "cannot read the log directory \(logDirectory)\n", collected: false,
                note: "no log directory \(logDirectory)")
            return
        }
        for name in names.sorted() {
            let path = (logDirectory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            write("logs/\(name)", String(decoding: data, as: UTF8.self), collected: true, note: path)
        }
    }

    mutating func collectNetwork() {
        capture("network/ip-addr.txt", "ip", ["-d", "addr", "show"])
        capture("network/ip-link.txt", "ip", ["-d", "-s", "link", "show"])
        capture("network/ip-route-v4.txt", "ip", ["-d", "-4", "route", "show", "table", "all"])
        capture("network/ip-route-v6.txt", "ip", ["-d", "-6", "route", "show", "table", "all"])
        capture("network/ip-neigh.txt", "ip", ["-d", "neigh", "show"])
        capture("network/ip-rule.txt", "ip", ["rule", "show"])
        capture("network/bridge-fdb.txt", "bridge", ["fdb", "show"])
        capture("network/nft-ruleset.txt", "nft", ["list", "ruleset"])
    }

    mutating func collectSystem() {
        let probe = KernelProbe()
        var lines: [String] = []
        for name in ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"] {
            lines.append("\(name) = \(probe.sysctl(name) ?? "(absent)")")
        }
        for (family, keys) in [
            ("ipv4", ["forwarding", "proxy_arp", "rp_filter"]), ("ipv6", ["forwarding", "accept_ra"]),
        ] {
            let interfaces =
                (try? FileManager.default.contentsOfDirectory(atPath: "/proc/sys/net/\(family)/conf")) ?? []
            for interface in interfaces.sorted() {
                for key in keys {
                    let name = "net/\(family)/conf/\(interface)/\(key)"
                    lines.append(
                        "\(name.replacingOccurrences(of: "/", with: ".")) = \(probe.sysctl(name) ?? "(absent)")")
                }
            }
        }
        write("system/sysctls.txt", lines.joined(separator: "\n") + "\n", collected: true, note: "/proc/sys")
        let checks = SystemRequirements.run(
            probe: probe, kernelConfig: nil, isRoot: geteuid() == 0, queryNFTables: geteuid() == 0)
        write("system/checksystem.txt", NodeCheckSystemCommand.rendered(checks) + "\n", collected: true)
        write("system/kernel.txt", "\(probe.release ?? "unknown")\n", collected: probe.release != nil)
    }

    mutating func collectDatastore(_ options: DatastoreOptions) async {
        let connection: DatastoreConnection
        do {
            connection = try options.connection()
        } catch {
            write("datastore/open.failed", error.message + "\n", collected: false, note: error.message)
            return
        }
        // Opening a file datastore that is not there would create it: diags only reads.
        if case .file(let directory) = connection, !FileManager.default.fileExists(atPath: directory) {
            let reason = "there is no datastore at \(directory) (--datastore or $TABBY_DATASTORE names it)"
            write("datastore/open.failed", reason + "\n", collected: false, note: reason)
            return
        }
        let store: any Datastore
        do {
            store = try options.open()
        } catch {
            write("datastore/open.failed", error.message + "\n", collected: false, note: error.message)
            return
        }
        for kind in ResourceKind.allCases {
            let file = "datastore/\(kind.rawValue).yaml"
            do {
                let listing = try await store.list(kind, namespace: nil)
                var text = ResourceCodec.yaml(ResourceList(items: listing.resources))
                for problem in listing.problems { text += "# unreadable: \(problem)\n" }
                write(
                    file, text, collected: true, note: "\(listing.resources.count) resource(s) in \(connection.summary)")
            } catch {
                write(file + ".failed", "\(error)\n", collected: false, note: "\(error)")
            }
        }
    }

    /// INDEX.txt: every item, whether it was collected, and why not.
    mutating func writeIndex(header: String) {
        var lines = [header, ""]
        lines.append(
            TextTable.format(
                [["FILE", "COLLECTED", "NOTE"]] + entries.map { [$0.file, $0.collected ? "yes" : "no", $0.note] }))
        write("INDEX.txt", lines.joined(separator: "\n") + "\n", collected: true)
    }

    private static func firstLine(_ outcome: CommandCapture.Outcome) -> String {
        let text = outcome.error.isEmpty ? (outcome.status.map { "exit status \($0)" } ?? "not run") : outcome.error
        return text.split(separator: "\n").first.map(String.init) ?? text
    }
}
