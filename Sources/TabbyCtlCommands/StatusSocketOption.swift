import ArgumentParser

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Where tabbyd's status socket is, for the commands that ask the agent something: `--status-socket`, else
/// `$TABBYD_STATUS_SOCKET`, else the default.
struct StatusSocketOption: ParsableArguments {
    static let defaultSocket = "/run/tabby/tabbyd.sock"
    static let environmentVariable = "TABBYD_STATUS_SOCKET"

    @Option(name: .long, help: "tabbyd's status socket (default: $TABBYD_STATUS_SOCKET, else \(defaultSocket)).")
    var statusSocket: String?

    var path: String {
        if let statusSocket { return statusSocket }
        if let value = getenv(Self.environmentVariable), let text = String(validatingCString: value),
            !text.isEmpty
        {
            return text
        }
        return Self.defaultSocket
    }
}
