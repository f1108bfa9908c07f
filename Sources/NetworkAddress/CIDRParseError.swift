/// Why a piece of text (or an address and prefix length) is not a CIDR.
public struct CIDRParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text as given.
    public var text: String
    /// What is wrong, phrased for the person who wrote the text.
    public var reason: String

    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }

    public var description: String { "invalid CIDR \"\(text)\": \(reason)" }
}
