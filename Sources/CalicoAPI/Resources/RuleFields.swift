/// A protocol in a rule or named port: a name (`TCP`, `UDP`, `ICMP`, `ICMPv6`, `SCTP`, `UDPLite`) or a number
/// from 1 to 255.
public enum ProtocolValue: Codable, Sendable, Hashable, CustomStringConvertible {
    case name(String)
    case number(UInt8)

    public static let knownNames = ["TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite"]
    public static let tcp = ProtocolValue.name("TCP")
    public static let udp = ProtocolValue.name("UDP")

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(UInt8.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = UInt8(text).map(ProtocolValue.number) ?? .name(text)
        } else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "expected a protocol name or number 1-255"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .name(let name): try container.encode(name)
        case .number(let number): try container.encode(number)
        }
    }

    /// The IANA protocol number (TCP 6, UDP 17, ICMP 1, ICMPv6 58, SCTP 132, UDPLite 136).
    public var number: UInt8? {
        switch self {
        case .number(let number): return number
        case .name(let name):
            switch name.lowercased() {
            case "tcp": return 6
            case "udp": return 17
            case "icmp": return 1
            case "icmpv6": return 58
            case "sctp": return 132
            case "udplite": return 136
            default: return nil
            }
        }
    }

    /// Whether rules with this protocol may match ports.
    public var allowsPorts: Bool { number == 6 || number == 17 || number == 132 }

    /// The protocol number when the value is written as Calico's policy API requires: a number from 1 to 255 or
    /// one of `knownNames` spelled exactly (`TCP`, not `tcp`); nil otherwise.
    public var exactNumber: UInt8? {
        switch self {
        case .number(let number): return number == 0 ? nil : number
        case .name(let name): return Self.knownNames.contains(name) ? self.number : nil
        }
    }

    public var description: String {
        switch self {
        case .name(let name): name
        case .number(let number): String(number)
        }
    }
}

/// A port match: a number, a range `"min:max"`, or the name of an endpoint's named port.
public enum PortMatch: Codable, Sendable, Hashable, CustomStringConvertible {
    case number(UInt16)
    case range(UInt16, UInt16)
    case named(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(UInt16.self) {
            self = .number(number)
            return
        }
        guard let text = try? container.decode(String.self) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected a port number (0-65535), a range \"min:max\" or a port name"))
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let low = UInt16(parts[0]), let high = UInt16(parts[1]) else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "invalid port range \"\(text)\" (expected \"min:max\" with numbers 0-65535)"))
            }
            self = .range(low, high)
        } else if let number = UInt16(text) {
            self = .number(number)
        } else if text.allSatisfy({ $0.isNumber }) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "port \(text) is out of range (0-65535)"))
        } else {
            self = .named(text)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .range(let low, let high): try container.encode("\(low):\(high)")
        case .named(let name): try container.encode(name)
        }
    }

    public var description: String {
        switch self {
        case .number(let number): String(number)
        case .range(let low, let high): "\(low):\(high)"
        case .named(let name): name
        }
    }
}

/// ICMP type and code.
public struct ICMPFields: Codable, Sendable, Hashable {
    public var type: Int?
    public var code: Int?

    public init(type: Int? = nil, code: Int? = nil) {
        self.type = type
        self.code = code
    }
}

/// The source or destination side of a rule.
public struct EntityRule: Codable, Sendable, Equatable {
    public struct ServiceAccountMatch: Codable, Sendable, Equatable {
        public var names: [String]?
        public var selector: String?
    }

    public struct ServiceMatch: Codable, Sendable, Equatable {
        public var name: String
        public var namespace: String?
    }

    public var nets: [IPNetwork]?
    public var notNets: [IPNetwork]?
    public var selector: String?
    public var notSelector: String?
    public var namespaceSelector: String?
    public var ports: [PortMatch]?
    public var notPorts: [PortMatch]?
    public var serviceAccounts: ServiceAccountMatch?
    public var services: ServiceMatch?

    public init() {}

    var hasPorts: Bool { !(ports ?? []).isEmpty || !(notPorts ?? []).isEmpty }
}

public enum RuleAction: String, Codable, Sendable, CaseIterable {
    case allow = "Allow"
    case deny = "Deny"
    case log = "Log"
    case pass = "Pass"
}

/// One policy or profile rule.
public struct Rule: Codable, Sendable, Equatable {
    public struct HTTPMatch: Codable, Sendable, Equatable {
        public struct PathMatch: Codable, Sendable, Equatable {
            public var exact: String?
            public var prefix: String?
        }

        public var methods: [String]?
        public var paths: [PathMatch]?
    }

    public struct Metadata: Codable, Sendable, Equatable {
        public var annotations: [String: String]?
    }

    public var action: RuleAction
    public var ipVersion: Int?
    public var `protocol`: ProtocolValue?
    public var notProtocol: ProtocolValue?
    public var icmp: ICMPFields?
    public var notICMP: ICMPFields?
    public var source: EntityRule?
    public var destination: EntityRule?
    public var http: HTTPMatch?
    public var metadata: Metadata?

    public init(action: RuleAction) { self.action = action }
}
