import Foundation
import Glibc
import Testing

@testable import BGP

/// The supervisor against the real BIRD. The configurations hold only a `device` protocol (and a `static` one
/// with no kernel protocol to carry its routes anywhere): BIRD reads the interfaces and writes nothing, so the
/// test may run in the test process's own namespace.
@Suite(.enabled(if: ChildProcess.find("bird") != nil && getuid() == 0, "needs root and bird2 (make deps)"))
struct BIRDSupervisorTests {
    final class Folder {
        let path = "/tmp/tabby-bird-supervisor-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        init() { mkdir(path, 0o700) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        var paths: BIRDPaths {
            BIRDPaths(configFile: path + "/bird.conf", controlSocket: path + "/bird.ctl", pidFile: path + "/bird.pid")
        }
    }

    static func configuration(routes: [String] = []) -> BIRDConfiguration {
        var text = "router id 192.0.2.1;\nprotocol device { scan time 10; }\n"
        if !routes.isEmpty {
            text += "protocol static tabby_static4 {\n    ipv4;\n"
            for route in routes { text += "    route \(route) blackhole;\n" }
            text += "}\n"
        }
        return BIRDConfiguration(text: text)
    }

    static func eventually(_ seconds: Double, _ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await condition()
    }

    @Test func startsReconfiguresInPlaceRefusesBadTextAndRestartsAKilledBIRD() async throws {
        let folder = Folder()
        let supervisor = BIRDSupervisor(paths: folder.paths) { _ in }
        let outcome = await supervisor.apply(Self.configuration())
        #expect(outcome == .started, "\(outcome)")
        let first = await supervisor.status()
        #expect(first.running && first.starts == 1 && first.version?.hasPrefix("2.") == true, "\(first)")
        let pid = try #require(first.pid)

        // The same text: nothing to do.
        #expect(await supervisor.apply(Self.configuration()) == .unchanged)
        // A change: BIRD reconfigures in place, the same process.
        let changed = Self.configuration(routes: ["203.0.113.0/28"])
        #expect(await supervisor.apply(changed) == .reconfigured)
        #expect(await supervisor.status().pid == pid)
        #expect(try String(contentsOfFile: folder.paths.configFile, encoding: .utf8) == changed.text)

        // A text BIRD refuses: its own message with the line, the file and BIRD as they were.
        let bad = BIRDConfiguration(text: changed.text + "protocol static { ipv4; route 203.0.113.300/28 blackhole; }\n")
        guard case .rejected(let message) = await supervisor.apply(bad) else {
            Issue.record("a configuration BIRD cannot parse was not rejected")
            return
        }
        #expect(message.contains("bird.conf (rendered):"), "\(message)")
        #expect(!message.contains(".candidate"))
        #expect(try String(contentsOfFile: folder.paths.configFile, encoding: .utf8) == changed.text)
        #expect(await supervisor.status().lastError == message)
        #expect(await supervisor.status().pid == pid)
        await supervisor.clearLastError()
        #expect(await supervisor.status().lastError == nil)

        // Killed: started again (after 1 s) with the last good configuration.
        kill(pid, SIGKILL)
        let restarted = await Self.eventually(10) {
            let status = await supervisor.status()
            return status.running && status.starts == 2 && status.pid != pid
        }
        let afterKill = await supervisor.status()
        #expect(restarted, "\(afterKill)")
        #expect(try String(contentsOfFile: folder.paths.configFile, encoding: .utf8) == changed.text)

        // Stopped: the process is gone.
        let last = try #require(await supervisor.status().pid)
        await supervisor.stop()
        #expect(await Self.eventually(5) { kill(last, 0) != 0 })
        #expect(await supervisor.status().running == false)
    }
}
