import Agent
import Glibc
import Logging
import Synchronization
import Testing

/// Collects the lines a logger writes.
final class LineCollector: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var write: @Sendable (String) -> Void { { [self] line in lines.withLock { $0.append(line) } } }
}

/// 2023-11-14T22:13:20.123Z
private let fixedTime: @Sendable () -> timespec = { timespec(tv_sec: 1_700_000_000, tv_nsec: 123_456_789) }

private func logger(_ settings: AgentLog.Settings) -> (AgentLog, LineCollector) {
    let collector = LineCollector()
    return (AgentLog(settings: settings, clock: fixedTime, write: collector.write), collector)
}

@Suite("Logging")
struct AgentLogTests {
    @Test func textLinesHaveTimeLevelMessageAndFields() {
        let (log, lines) = logger(.init(level: .info, format: .text))
        log.info("route programmed", ["route": "10.65.0.0/26", "via": "vxlan.calico"])
        log.warning("reload rejected", ["reason": "line 3: healthPort: must be a port", "empty": ""])
        log.error("two\nlines")
        #expect(
            lines.all == [
                "2023-11-14T22:13:20.123Z info    route programmed route=10.65.0.0/26 via=vxlan.calico\n",
                "2023-11-14T22:13:20.123Z warning reload rejected "
                    + "reason=\"line 3: healthPort: must be a port\" empty=\"\"\n",
                "2023-11-14T22:13:20.123Z error   two\\nlines\n",
            ])
    }

    @Test func jsonLinesAreOneObjectEach() {
        let (log, lines) = logger(.init(level: .debug, format: .json))
        log.debug("status request", ["request": "GET /status", "status": "200"])
        log.info("quote \" and \\ and \u{1}", ["msg": "clash"])
        #expect(
            lines.all == [
                #"{"time":"2023-11-14T22:13:20.123Z","level":"debug","msg":"status request","#
                    + #""request":"GET /status","status":"200"}"# + "\n",
                #"{"time":"2023-11-14T22:13:20.123Z","level":"info","msg":"quote \" and \\ and \u0001","#
                    + #""field.msg":"clash"}"# + "\n",
            ])
    }

    @Test func journaldLinesCarryThePriorityAndNoTime() {
        let (log, lines) = logger(.init(level: .debug, format: .text, journald: true))
        log.debug("d")
        log.info("i", ["k": "v"])
        log.warning("w")
        log.error("e")
        #expect(lines.all == ["<7>d\n", "<6>i k=v\n", "<4>w\n", "<3>e\n"])

        let (json, jsonLines) = logger(.init(level: .info, format: .json, journald: true))
        json.error("e")
        #expect(jsonLines.all == [#"<3>{"time":"2023-11-14T22:13:20.123Z","level":"error","msg":"e"}"# + "\n"])
    }

    @Test func levelsFilterAndReconfigureChangesThem() {
        let (log, lines) = logger(.init(level: .warning, format: .text))
        log.debug("no")
        log.info("no")
        log.warning("yes")
        #expect(!log.isEnabled(.info) && log.isEnabled(.error))
        log.reconfigure(level: .debug, format: .json)
        log.debug("now")
        #expect(lines.all.count == 2)
        #expect(lines.all.last?.hasPrefix("{\"time\"") == true)
        #expect(log.currentSettings == .init(level: .debug, format: .json, journald: false))
    }

    @Test func theMessageIsNotBuiltWhenTheLevelIsOff() {
        let (log, _) = logger(.init(level: .error))
        let built = Mutex(false)
        func expensive() -> String {
            built.withLock { $0 = true }
            return "x"
        }
        log.debug(expensive())
        #expect(!built.withLock { $0 })
    }

    @Test func journalStreamMustNameStandardError() {
        #expect(AgentLog.matchesJournalStream("8:12345", device: 8, inode: 12345))
        #expect(!AgentLog.matchesJournalStream("8:12345", device: 8, inode: 12346))
        #expect(!AgentLog.matchesJournalStream("garbage", device: 8, inode: 12345))
        #expect(!AgentLog.isJournalStream(nil))

        var status = stat()
        #expect(fstat(2, &status) == 0)
        #expect(AgentLog.isJournalStream("\(status.st_dev):\(status.st_ino)"))
        #expect(!AgentLog.isJournalStream("\(status.st_dev):\(status.st_ino + 1)"))
        let journald = AgentLog(
            level: .info, format: .text, environment: ["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino)"])
        #expect(journald.currentSettings.journald)
        #expect(!AgentLog(level: .info, format: .text, environment: [:]).currentSettings.journald)
    }

    @Test(arguments: [
        ("debug", LogLevel.debug), ("Info", .info), ("WARN", .warning), ("warning", .warning), ("error", .error),
    ])
    func levelNamesParse(text: String, level: LogLevel) {
        #expect(LogLevel(parsing: text) == level)
    }

    @Test func theSwiftLogLoggerWritesTheSameLines() {
        let (log, lines) = logger(.init(level: .info, format: .text))
        var swiftLogger = log.logger
        swiftLogger[metadataKey: "node"] = "node-1"
        swiftLogger[metadataKey: "component"] = "ipam"
        swiftLogger.info("block claimed", metadata: ["cidr": "10.65.0.0/26"])
        log.warning("route failed", ["route": "10.65.0.64/26", "error": "ENETUNREACH"])
        #expect(
            lines.all == [
                // Metadata of the logger and of the call alike, by key: a Metadata dictionary has no order.
                "2023-11-14T22:13:20.123Z info    block claimed cidr=10.65.0.0/26 component=ipam node=node-1\n",
                "2023-11-14T22:13:20.123Z warning route failed route=10.65.0.64/26 error=ENETUNREACH\n",
            ])
    }

    @Test func fieldsGivenToACallComeFirstInTheirOrderThenTheLoggersByKey() {
        let (log, lines) = logger(.init(level: .info, format: .json))
        var swiftLogger = log.logger
        swiftLogger[metadataKey: "b"] = "logger"
        swiftLogger[metadataKey: "a"] = "logger"
        swiftLogger.info(
            "m",
            metadata: [
                "z": .attributed("1", attributes: [LogFieldPosition(rawValue: 0)]),
                "b": .attributed("call", attributes: [LogFieldPosition(rawValue: 1)]),
            ])
        #expect(
            lines.all == [
                #"{"time":"2023-11-14T22:13:20.123Z","level":"info","msg":"m","z":"1","b":"call","a":"logger"}"# + "\n"
            ])
    }

    @Test func everySwiftLogLevelHasANameAndAPriority() {
        let (log, lines) = logger(.init(level: .debug, format: .text))
        var swiftLogger = log.logger
        swiftLogger.logLevel = .trace
        for level in Logger.Level.allCases { swiftLogger.log(level: level, "x") }
        #expect(
            lines.all.map { $0.dropFirst(25) } == [
                "trace   x\n", "debug   x\n", "info    x\n", "notice  x\n", "warning x\n", "error   x\n",
                "critical x\n",
            ])

        let (journald, journalLines) = logger(.init(level: .debug, format: .text, journald: true))
        var journalLogger = journald.logger
        journalLogger.logLevel = .trace
        for level in Logger.Level.allCases { journalLogger.log(level: level, "x") }
        #expect(journalLines.all == ["<7>x\n", "<7>x\n", "<6>x\n", "<5>x\n", "<4>x\n", "<3>x\n", "<2>x\n"])
    }

    @Test func aReloadReachesEveryLoggerUnlessOneSetItsOwnLevel() {
        let (log, lines) = logger(.init(level: .warning, format: .text))
        let copy = log.logger
        var chatty = log.logger
        chatty.logLevel = .debug
        copy.info("dropped")
        chatty.debug("kept")
        log.reconfigure(level: .info, format: .text)
        #expect(copy.logLevel == .info)
        copy.info("now kept")
        log.reconfigure(level: .error, format: .text)
        chatty.debug("still kept")
        #expect(lines.all.map { $0.dropFirst(33) } == ["kept\n", "now kept\n", "still kept\n"])
    }

    @Test func anErrorPassedToTheLoggerBecomesAField() {
        struct Refused: Error, CustomStringConvertible {
            var description: String { "EADDRINUSE" }
        }
        let (log, lines) = logger(.init(level: .info, format: .text))
        log.logger.error("bind failed", error: Refused())
        #expect(lines.all == ["2023-11-14T22:13:20.123Z error   bind failed error=EADDRINUSE\n"])
    }
}
