import NetworkAddress

/// A named port of an endpoint, which policy rules can refer to by name.
public struct EndpointPort: Codable, Sendable, Equatable {
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

    func validate(into validator: Validator) {
        if let reason = NameSyntax.labelProblem(name, maxLength: 63) { validator.error("name", reason) }
        if !`protocol`.allowsPorts {
            validator.error("protocol", "a named port needs protocol TCP, UDP or SCTP (got \(`protocol`))")
        }
        if port == 0 { validator.error("port", "must be between 1 and 65535") }
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

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if node.isEmpty { validator.error("node", "the node the workload runs on is required") }
        InterfaceNameRules.check("interfaceName", interfaceName, required: true, into: validator)
        validator.within("ipNetworks") {
            for (index, cidr) in (ipNetworks ?? []).enumerated() where cidr.prefixLength != cidr.address.bitWidth {
                validator.error("[\(index)]", "workload addresses must be /32 (IPv4) or /128 (IPv6), got \(cidr)")
            }
        }
        validator.family("ipv4Gateway", ipv4Gateway, .v4)
        validator.family("ipv6Gateway", ipv6Gateway, .v6)
        validator.each("ports", ports) { $0.validate(into: validator) }
        PortNameRules.unique(ports, into: validator)
        validator.within("profiles") {
            for (index, name) in (profiles ?? []).enumerated() where name.isEmpty {
                validator.error("[\(index)]", "a profile name must not be empty")
            }
        }
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

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if node.isEmpty { validator.error("node", "the node the endpoint belongs to is required") }
        let name = interfaceName ?? ""
        if name.isEmpty && (expectedIPs ?? []).isEmpty {
            validator.error("interfaceName", "either interfaceName or expectedIPs is required")
        }
        if !name.isEmpty && name != "*" {
            InterfaceNameRules.check("interfaceName", name, required: true, into: validator)
        }
        validator.each("ports", ports) { $0.validate(into: validator) }
        PortNameRules.unique(ports, into: validator)
    }
}

enum InterfaceNameRules {
    static func check(_ field: String, _ name: String, required: Bool, into validator: Validator) {
        if name.isEmpty {
            if required { validator.error(field, "an interface name is required") }
            return
        }
        if name.utf8.count > 15 {
            validator.error(field, "\"\(name)\" is longer than the kernel's 15-character limit for interface names")
        }
        if name.contains("/") || name.contains(" ") || name == "." || name == ".." {
            validator.error(field, "\"\(name)\" is not a valid interface name")
        }
    }
}

enum PortNameRules {
    static func unique(_ ports: [EndpointPort]?, into validator: Validator) {
        guard let ports else { return }
        var seen: Set<String> = []
        for port in ports where !seen.insert("\(port.name)/\(port.protocol)").inserted {
            validator.error("ports", "port \(port.name) (\(port.protocol)) is listed twice")
        }
    }
}
