import NetworkAddress

/// A network as Calico's `nets` lists write it: a CIDR (`192.0.2.0/24`) or a bare address standing for its /32
/// or /128 (`192.0.2.7`).
///
/// It remembers which of the two forms was written, so that a resource is written back as it was read.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The network; a bare address is its host CIDR. Host bits are kept as written.
    public let cidr: CIDR
    /// True when the text was a bare address rather than `address/length`.
    public let isBareAddress: Bool

    /// A network written as a CIDR.
    public init(_ cidr: CIDR) {
        self.cidr = cidr
        isBareAddress = false
    }

    /// A network written as a bare address.
    public init(host address: IPAddress) {
        cidr = CIDR(host: address)
        isBareAddress = true
    }

    /// Parses a CIDR or a bare address; nil for anything else.
    public init?(_ text: String) {
        if let cidr = try? CIDR(parsing: text) {
            self.init(cidr)
        } else if let address = IPAddress(text) {
            self.init(host: address)
        } else {
            return nil
        }
    }

    public var family: IPFamily { cidr.family }

    /// The text as it was written (in canonical address form).
    public var description: String { isBareAddress ? cidr.address.description : cidr.description }

    /// Decodes the text form; a bad network is reported as `invalid CIDR "..."`, as rule `nets` report it.
    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder) { "invalid CIDR \"\($0)\"" }
    }

    /// Decodes the text form, reporting bad text with the field's own words.
    init(from decoder: any Decoder, invalid reason: (String) -> String) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let network = IPNetwork(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: reason(text))
        }
        self = network
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension KeyedDecodingContainer {
    /// Decodes an optional list of networks whose bad entries are reported, at their index, with `reason`.
    func decodeNetworks(forKey key: Key, invalid reason: (String) -> String) throws -> [IPNetwork]? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        var list = try nestedUnkeyedContainer(forKey: key)
        var networks: [IPNetwork] = []
        while !list.isAtEnd {
            networks.append(try IPNetwork(from: try list.superDecoder(), invalid: reason))
        }
        return networks
    }
}

/// Why text that should be a CIDR or a bare address is neither, in the words CIDR fields use.
enum CIDRText {
    static func invalid(_ text: String) -> String {
        guard text.contains("/") else { return "invalid CIDR \"\(text)\": not an IP address or CIDR" }
        do {
            _ = try CIDR(parsing: text)
            return "invalid CIDR \"\(text)\""
        } catch {
            return "invalid CIDR \"\(text)\": \(error.reason)"
        }
    }
}
