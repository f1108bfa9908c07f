import Dispatch
import Glibc
import Synchronization

/// The signals tabbyd acts on.
public enum AgentSignal: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// SIGHUP: reload the configuration.
    case hangup
    /// SIGTERM: stop, leaving the dataplane in place.
    case terminate
    /// SIGINT: as SIGTERM (Ctrl-C in a terminal).
    case interrupt

    public var number: Int32 {
        switch self {
        case .hangup: SIGHUP
        case .terminate: SIGTERM
        case .interrupt: SIGINT
        }
    }

    public var description: String {
        switch self {
        case .hangup: "SIGHUP"
        case .terminate: "SIGTERM"
        case .interrupt: "SIGINT"
        }
    }
}

/// Signals as an asynchronous sequence.
public enum Signals {
    /// A stream of `signals` as they arrive.
    ///
    /// Each signal is set to `SIG_IGN` (so that its default action, terminating the process, cannot strike)
    /// and a Dispatch signal source reports it instead. Dispatch installs its own handler for a signal
    /// asynchronously, the first time a source for it is resumed; this function waits (at most a second) until
    /// it has, so a signal sent after it returns is delivered. When the stream ends (its consumer is cancelled
    /// or drops it) the sources are cancelled and the signals stay caught and dropped: create one stream for
    /// the life of the process.
    public static func stream(_ signals: Set<AgentSignal> = Set(AgentSignal.allCases)) -> AsyncStream<AgentSignal> {
        let (stream, continuation) = AsyncStream.makeStream(of: AgentSignal.self, bufferingPolicy: .unbounded)
        let queue = DispatchQueue(label: "tabby.signals")
        var sources: [any DispatchSourceSignal] = []
        for signal in signals.sorted(by: { $0.number < $1.number }) {
            // Only a default action is replaced: a handler already there is Dispatch's from an earlier stream,
            // and Dispatch installs its handler only once per signal.
            if handlerAddress(signal.number) == unsafeBitCast(SIG_DFL, to: Int.self) {
                Glibc.signal(signal.number, SIG_IGN)
            }
            let source = DispatchSource.makeSignalSource(signal: signal.number, queue: queue)
            source.setEventHandler { @Sendable in
                continuation.yield(signal)
            }
            source.resume()
            sources.append(source)
        }
        waitForDispatchHandlers(signals)
        let installed = SignalSources(sources: sources)
        continuation.onTermination = { @Sendable _ in
            queue.async { installed.cancel() }
        }
        return stream
    }

    /// The address of the signal's current handler (`SIG_DFL` is 0, `SIG_IGN` 1).
    private static func handlerAddress(_ number: Int32) -> Int {
        var current = sigaction()
        sigaction(number, nil, &current)
        return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
    }

    /// Waits until no signal of `signals` is left at `SIG_IGN`, polling every millisecond for at most a second.
    private static func waitForDispatchHandlers(_ signals: Set<AgentSignal>) {
        let ignore = unsafeBitCast(SIG_IGN, to: Int.self)
        for _ in 0..<1000 {
            if signals.allSatisfy({ handlerAddress($0.number) != ignore }) { return }
            usleep(1000)
        }
    }
}

/// The sources of one stream, kept until it ends.
private final class SignalSources: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>

    init(sources: sending [any DispatchSourceSignal]) {
        self.sources = Mutex(sources)
    }

    func cancel() {
        sources.withLock { sources in
            for source in sources { source.cancel() }
            sources.removeAll()
        }
    }
}
