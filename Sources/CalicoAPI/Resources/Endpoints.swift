import NetworkAddress

/// A port of an endpoint, which policy rules can refer to by name; a WorkloadEndpoint's port may instead have
/// no name and a `hostPort` (a port the host forwards to the workload).
public struct EndpointPort: Codable, Sendable, Equatable {
    /// The name rules use; empty for a WorkloadEndpoint port that only maps a `hostPort`.
    public var name: String
    public var `protocol`: ProtocolValue
    public var port: UInt16
    public var hostPort: UInt16?
    public var hostIP: IPAddress?

    public init(name: String, protocol: ProtocolValue, port: UInt16) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
    }

    private enum CodingKeys: String, CodingKey { case name, `protocol`, port, hostPort, hostIP }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
        `protocol` = try container.decode(ProtocolValue.self, forKey: .protocol)
        port = try container.decode(UInt16.self, forKey: .port)
        hostPort = try container.decodeIfPresent(UInt16.self, forKey: .hostPort)
        hostIP = try container.decodeIfPresent(IPAddress.self, forKey: .hostIP)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if !name.isEmpty { try container.encode(name, forKey: .name) }
        try container.encode(`protocol`, forKey: .protocol)
        try container.encode(port, forKey: .port)
        try container.encodeIfPresent(hostPort, forKey: .hostPort)
        try container.encodeIfPresent(hostIP, forKey: .hostIP)
    }

    /// Checks the port; `nameOptionalWithHostPort` is a WorkloadEndpoint's rule (a HostEndpoint's ports are
    /// always named).
    func validate(nameOptionalWithHostPort: Bool, into validator: Validator) {
        if name.isEmpty {
            if !nameOptionalWithHostPort {
                validator.error("name", "a port needs a name")
            } else if (hostPort ?? 0) == 0 {
                validator.error("name", "a port needs a name unless it sets a hostPort")
            }
        } else if let reason = EndpointPortNameSyntax.problem(name) {
            validator.error("name", reason)
        }
        if !`protocol`.allowsPorts {
            validator.error("protocol", "a port needs protocol TCP, UDP or SCTP (got \(`protocol`))")
        }
        if port == 0 { validator.error("port", "must be between 1 and 65535") }
    }
}

/// Kubernetes' port name syntax (IANA service names), which Calico uses for endpoint ports.
enum EndpointPortNameSyntax {
    static let maxLength = 15

    /// nil when `name` is a valid port name: at most 15 lowercase letters, digits and `-`, at least one
    /// letter, no `-` at either end and no `--`.
    static func problem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.count > maxLength { return "\"\(name)\" is longer than \(maxLength) characters" }
        let isLetter = { (byte: UInt8) in byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let dash = UInt8(ascii: "-")
        if !bytes.allSatisfy({ isLetter($0) || isDigit($0) || $0 == dash }) {
            return "\"\(name)\" may only hold lowercase letters, digits and '-'"
        }
        if !bytes.contains(where: isLetter) { return "\"\(name)\" needs at least one letter" }
        if bytes.first == dash || bytes.last == dash { return "\"\(name)\" must not start or end with '-'" }
        if name.contains("--") { return "\"\(name)\" must not contain \"--\"" }
        return nil
    }
}

/// A WorkloadEndpoint: one interface of a pod (or VM) on a node.
public typealias WorkloadEndpoint = Resource<WorkloadEndpointSpec>

public struct WorkloadEndpointSpec: ResourceSpec {
    public static let kind = ResourceKind.workloadEndpoint

    public struct IPNAT: Codable, Sendable, Equatable {
        public var internalIP: IPAddress
        public var externalIP: IPAddress

        public init(internalIP: IPAddress, externalIP: IPAddress) {
            self.internalIP = internalIP
            self.externalIP = externalIP
        }
    }

    public struct QoSControls: Codable, Sendable, Equatable {
        public var ingressBandwidth: Int64?
        public var egressBandwidth: Int64?
        public var ingressBurst: Int64?
        public var egressBurst: Int64?
        public var ingressPeakrate: Int64?
        public var egressPeakrate: Int64?
        public var ingressMinburst: Int64?
        public var egressMinburst: Int64?
        public var ingressPacketRate: Int64?
        public var egressPacketRate: Int64?
        public var ingressPacketBurst: Int64?
        public var egressPacketBurst: Int64?
        public var ingressMaxConnections: Int64?
        public var egressMaxConnections: Int64?
        public var dscp: String?
    }

    public var orchestrator: String?
    public var workload: String?
    public var node: String = ""
    public var containerID: String?
    public var pod: String?
    public var endpoint: String?
    public var serviceAccountName: String?
    public var ipNetworks: [CIDR]?
    public var ipNATs: [IPNAT]?
    public var ipv4Gateway: IPAddress?
    public var ipv6Gateway: IPAddress?
    public var profiles: [String]?
    public var interfaceName: String = ""
    public var mac: MACAddress?
    public var ports: [EndpointPort]?
    public var allowSpoofedSourcePrefixes: [CIDR]?
    public var qosControls: QoSControls?

    public init() {}

    /// Decodes a spec; `ipNetworks` and `allowSpoofedSourcePrefixes` take a bare address as its /32 or /128, as
    /// Calico does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        orchestrator = try container.decodeIfPresent(String.self, forKey: .orchestrator)
        workload = try container.decodeIfPresent(String.self, forKey: .workload)
        node = try container.decodeIfPresent(String.self, forKey: .node) ?? ""
        containerID = try container.decodeIfPresent(String.self, forKey: .containerID)
        pod = try container.decodeIfPresent(String.self, forKey: .pod)
        endpoint = try container.decodeIfPresent(String.self, forKey: .endpoint)
        serviceAccountName = try container.decodeIfPresent(String.self, forKey: .serviceAccountName)
        ipNetworks = try container.decodeNetworks(forKey: .ipNetworks, invalid: CIDRText.invalid)?.map(\.cidr)
        ipNATs = try container.decodeIfPresent([IPNAT].self, forKey: .ipNATs)
        ipv4Gateway = try container.decodeIfPresent(IPAddress.self, forKey: .ipv4Gateway)
        ipv6Gateway = try container.decodeIfPresent(IPAddress.self, forKey: .ipv6Gateway)
        profiles = try container.decodeIfPresent([String].self, forKey: .profiles)
        interfaceName = try container.decodeIfPresent(String.self, forKey: .interfaceName) ?? ""
        mac = try container.decodeIfPresent(MACAddress.self, forKey: .mac)
        ports = try container.decodeIfPresent([EndpointPort].self, forKey: .ports)
        allowSpoofedSourcePrefixes = try container.decodeNetworks(
            forKey: .allowSpoofedSourcePrefixes, invalid: CIDRText.invalid)?.map(\.cidr)
        qosControls = try container.decodeIfPresent(QoSControls.self, forKey: .qosControls)
    }
}

/// A HostEndpoint: an interface (or all interfaces) of a host that policy applies to.
public typealias HostEndpoint = Resource<HostEndpointSpec>

public struct HostEndpointSpec: ResourceSpec {
    public static let kind = ResourceKind.hostEndpoint

    public var node: String = ""
    /// An interface name, `*` for all of the host's interfaces, or empty to match by `expectedIPs`.
    public var interfaceName: String?
    public var expectedIPs: [IPAddress]?
    public var profiles: [String]?
    public var ports: [EndpointPort]?

    public init() {}
}
