import ArgumentParser

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Where tabbyd's status socket is, for the commands that ask the agent something: `--status-socket`, else
/// `$TABBYD_STATUS_SOCKET`, else the default (the same resolution as `node status`).
struct StatusSocketOption: ParsableArguments {
    @Option(name: .long, help: "tabbyd's status socket (default: $TABBYD_STATUS_SOCKET, else /run/tabby/tabbyd.sock).")
    var statusSocket: String?

    var path: String {
        if let statusSocket { return statusSocket }
        if let value = getenv(NodeStatusCommand.environmentVariable), let text = String(validatingCString: value),
            !text.isEmpty
        {
            return text
        }
        return NodeStatusCommand.defaultSocket
    }
}
