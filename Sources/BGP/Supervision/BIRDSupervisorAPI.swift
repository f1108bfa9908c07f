/// Where the supervisor runs BIRD: the executable and the three files of one BIRD instance.
public struct BIRDPaths: Sendable, Equatable {
    /// The `bird` executable: a path, or a name looked up on `PATH` (default `bird`).
    public var birdPath: String
    /// The configuration file the supervisor writes (atomically: a temporary file renamed over it).
    public var configFile: String
    /// BIRD's control socket (`bird -s`), which the supervisor and the status talk to.
    public var controlSocket: String
    /// BIRD's pid file (`bird -P`).
    public var pidFile: String

    public init(birdPath: String = "bird", configFile: String, controlSocket: String, pidFile: String) {
        self.birdPath = birdPath
        self.configFile = configFile
        self.controlSocket = controlSocket
        self.pidFile = pidFile
    }
}

/// What applying a rendered configuration did.
public enum BIRDApplyOutcome: Sendable, Equatable {
    /// The text equals the one in force: nothing written, BIRD not asked to reconfigure.
    case unchanged
    /// BIRD was not running and was started with it.
    case started
    /// BIRD reconfigured in place (`configure`): sessions whose settings did not change stay up.
    case reconfigured
    /// BIRD (or `bird -p`) refused it: its own message and line. The previous configuration stays in force.
    case rejected(String)
    /// BIRD could not be started or reached (no executable, the socket does not answer).
    case failed(String)
}

/// What the supervisor reports as it goes (the agent logs these).
public enum BIRDEvent: Sendable, Equatable {
    case started(pid: Int32)
    case exited(pid: Int32, status: String)
    case restarting(after: Duration)
    case reconfigured
    case rejected(String)
    /// A line BIRD wrote to its standard error.
    case output(String)
}
