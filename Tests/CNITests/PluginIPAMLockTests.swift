import Foundation
import Glibc
import Testing

@testable import CNI

/// Calico's host-wide IPAM lock: the key and default, and that IPAM work waits while another process holds it.
@Suite struct PluginIPAMLockTests {
    @Test func theLockFileIsCalicosKeyAndDefault() throws {
        #expect(try ConfigTests.decode(ConfigTests.minimal).ipamLockFile == "/var/run/calico/ipam.lock")
        let config = try ConfigTests.decode(ConfigTests.with(#""ipam_lock_file":"/tmp/x/ipam.lock""#))
        #expect(config.ipamLockFile == "/tmp/x/ipam.lock")
    }

    @Test func ipamWaitsWhileTheLockIsHeldAndRunsOnceItIsFree() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tabby-lock-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/run/ipam.lock"
        let log = PluginLog(level: .error, prefix: "test")
        // The lock's directory is made when missing.
        #expect(try await HostIPAMLock.holding(path, log: log) { () throws(CNIError) in 1 } == 1)

        // Another holder (an open file description of its own, as another plugin process has).
        let other = open(path, O_RDWR)
        #expect(other >= 0 && flock(other, LOCK_EX) == 0)
        let started = ContinuousClock.now
        let waiting = Task {
            try await HostIPAMLock.holding(path, log: log) { () throws(CNIError) in ContinuousClock.now }
        }
        try await Task.sleep(for: .milliseconds(150))
        close(other)
        let ran = try await waiting.value
        #expect(ran - started >= .milliseconds(150))
    }

    @Test func anUnopenableLockFileIsNotAnError() async throws {
        let log = PluginLog(level: .error, prefix: "test")
        let value = try await HostIPAMLock.holding("/proc/version/ipam.lock", log: log) { () throws(CNIError) in 7 }
        #expect(value == 7)
    }
}
