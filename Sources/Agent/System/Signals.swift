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
    /// Each signal's default action (terminating the process) is replaced by `SIG_IGN` for as long as the
    /// stream lives, and a Dispatch signal source reports it instead; when the stream ends (its consumer is
    /// cancelled or drops it) the sources are cancelled and the default actions restored. Create the stream
    /// before anything could send the signals.
    public static func stream(_ signals: Set<AgentSignal> = Set(AgentSignal.allCases)) -> AsyncStream<AgentSignal> {
        let (stream, continuation) = AsyncStream.makeStream(of: AgentSignal.self, bufferingPolicy: .unbounded)
        let queue = DispatchQueue(label: "tabby.signals")
        var sources: [any DispatchSourceSignal] = []
        for signal in signals.sorted(by: { $0.number < $1.number }) {
            Glibc.signal(signal.number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal.number, queue: queue)
            source.setEventHandler { @Sendable in
                continuation.yield(signal)
            }
            source.resume()
            sources.append(source)
        }
        let installed = SignalSources(sources: sources, signals: signals)
        continuation.onTermination = { @Sendable _ in
            queue.async { installed.cancel() }
        }
        return stream
    }
}

/// The sources of one stream, kept until it ends.
private final class SignalSources: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>
    private let signals: Set<AgentSignal>

    init(sources: sending [any DispatchSourceSignal], signals: Set<AgentSignal>) {
        self.sources = Mutex(sources)
        self.signals = signals
    }

    func cancel() {
        sources.withLock { sources in
            for source in sources { source.cancel() }
            sources.removeAll()
        }
        for signal in signals { Glibc.signal(signal.number, SIG_DFL) }
    }
}
