import ArgumentParser
import Foundation
import TabbyRelease

/// `tabbyctl version`: this client's version and, from the status socket, the version of the agent on this node
/// (Tabby's counterpart of calicoctl's cluster version: there is no cluster-wide ClusterInformation resource).
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Show the version of tabbyctl and of the tabbyd agent on this node.",
        discussion: """
            Like calicoctl version: the client's lines first, then the agent's, read from tabbyd's status socket. \
            When the agent cannot be reached the client's lines are still printed, the reason goes to standard \
            error and the exit code is 1.
            """)

    @OptionGroup var socket: StatusSocketOption

    func run() async throws {
        Console.out(Self.clientLines())
        let path = socket.path
        let status: AgentStatus
        do {
            let body = try StatusSocketClient.get("/status", socket: path)
            status = try JSONDecoder().decode(AgentStatus.self, from: Data(body))
        } catch let failure as CtlFailure {
            throw CtlFailure.failed("Unable to retrieve the agent's version: \(failure.message)")
        } catch {
            throw CtlFailure.failed("Unable to retrieve the agent's version: tabbyd at \(path) sent \(error)")
        }
        Console.out(Self.agentLines(status))
    }

    /// Where calicoctl's version output starts its values.
    static let valueColumn = 19

    static func clientLines() -> String {
        TextTable.fields(
            [("Client Version", Release.version), ("Git commit", "not recorded in this build")], width: valueColumn)
    }

    static func agentLines(_ status: AgentStatus) -> String {
        TextTable.fields(
            [
                ("Cluster Version", status.version ?? "unknown"),
                ("Cluster Type", "tabbyd on node " + (status.node ?? "unknown")),
            ], width: valueColumn)
    }
}

extension TextTable {
    /// `Name:   value` lines with the values starting at column `width`, as calicoctl's version prints them.
    static func fields(_ fields: [(String, String)], width: Int) -> String {
        fields.map { name, value in (name + ":").padding(toLength: width, withPad: " ", startingAt: 0) + value }
            .joined(separator: "\n")
    }
}
