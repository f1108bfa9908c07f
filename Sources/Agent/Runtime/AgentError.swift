/// Why tabbyd could not start (it exits 1 with this message).
public struct AgentError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
