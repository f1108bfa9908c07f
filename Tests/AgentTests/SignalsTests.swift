import Agent
import Glibc
import Testing

@Suite("Signals")
struct SignalsTests {
    /// SIGHUP to this very process arrives on the stream, and does not terminate the test process.
    ///
    /// One stream per process (as tabbyd has): Dispatch hands a signal to the sources registered when it
    /// arrives, so a stream created after another ended may miss a signal racing the old one's cancellation.
    @Test(.timeLimit(.minutes(1))) func sighupToSelfArrivesOnTheStream() async throws {
        let signals = Signals.stream([.hangup])
        #expect(kill(getpid(), SIGHUP) == 0)
        var iterator = signals.makeAsyncIterator()
        #expect(await iterator.next() == .hangup)
        #expect(kill(getpid(), SIGHUP) == 0)
        #expect(await iterator.next() == .hangup)
    }

    @Test func signalNumbersAndNames() {
        #expect(AgentSignal.hangup.number == SIGHUP && AgentSignal.terminate.number == SIGTERM)
        #expect(AgentSignal.interrupt.number == SIGINT)
        #expect(AgentSignal.allCases.map(\.description) == ["SIGHUP", "SIGTERM", "SIGINT"])
    }
}
