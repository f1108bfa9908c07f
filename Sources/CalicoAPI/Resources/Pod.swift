/// A Kubernetes Pod (`apiVersion: v1`), as an orchestrator mirrors it into the datastore for the CNI plugin:
/// its labels become the WorkloadEndpoint's labels, its service account a `ksa.<ns>.<sa>` profile and a label,
/// its named container ports the endpoint's named ports, and its `cni.projectcalico.org/*` annotations choose
/// its addresses (`ipAddrs`, `ipv4pools`, `ipv6pools`). The plugin writes `podIP`/`podIPs` back, as Calico
/// does. Only the fields below are read; any other field of a real Pod (`image`, `resources`, `status`, ...)
/// is accepted and ignored, so a Pod copied from `kubectl get pod -o yaml` loads as it is.
public typealias Pod = Resource<PodSpec>

public struct PodSpec: ResourceSpec {
    public static let kind = ResourceKind.pod
    /// The annotations through which Calico's CNI plugin takes a pod's addresses and reports them.
    public enum Annotation {
        public static let ipAddresses = "cni.projectcalico.org/ipAddrs"
        public static let ipv4Pools = "cni.projectcalico.org/ipv4pools"
        public static let ipv6Pools = "cni.projectcalico.org/ipv6pools"
        public static let podIP = "cni.projectcalico.org/podIP"
        public static let podIPs = "cni.projectcalico.org/podIPs"
        public static let containerID = "cni.projectcalico.org/containerID"
    }

    public var nodeName: String?
    public var serviceAccountName: String?
    public var hostNetwork: Bool?
    public var containers: [PodContainer]?
    public var initContainers: [PodContainer]?

    public init() {}

    /// Every named port of the pod's containers (init containers included, as Calico takes them).
    public var namedPorts: [PodContainerPort] {
        ((initContainers ?? []) + (containers ?? [])).flatMap { $0.ports ?? [] }.filter { !($0.name ?? "").isEmpty }
    }

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        for (list, containers) in [("containers", containers), ("initContainers", initContainers)] {
            for (index, container) in (containers ?? []).enumerated() {
                for (portIndex, port) in (container.ports ?? []).enumerated() where port.containerPort == 0 {
                    validator.error("\(list)[\(index)].ports[\(portIndex)].containerPort", "must be 1-65535")
                }
            }
        }
    }

    public static func validateMetadata(_ metadata: ObjectMeta, into validator: Validator) {
        validator.within("annotations") {
            for key in [Annotation.ipAddresses, Annotation.ipv4Pools, Annotation.ipv6Pools] {
                guard let value = metadata.annotations?[key] else { continue }
                if JSONStringList.parse(value) == nil {
                    validator.error(key, "must be a JSON list of strings, like [\"192.0.2.7\"] (got \(value))")
                }
            }
        }
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case nodeName, serviceAccountName, hostNetwork, containers, initContainers
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        nodeName = try container.decodeIfPresent(String.self, forKey: .nodeName)
        serviceAccountName = try container.decodeIfPresent(String.self, forKey: .serviceAccountName)
        hostNetwork = try container.decodeIfPresent(Bool.self, forKey: .hostNetwork)
        containers = try container.decodeIfPresent([PodContainer].self, forKey: .containers)
        initContainers = try container.decodeIfPresent([PodContainer].self, forKey: .initContainers)
        try IgnoredFields.skip(decoder, except: Set(CodingKeys.allCases.map(\.stringValue)))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(nodeName, forKey: .nodeName)
        try container.encodeIfPresent(serviceAccountName, forKey: .serviceAccountName)
        try container.encodeIfPresent(hostNetwork, forKey: .hostNetwork)
        try container.encodeIfPresent(containers, forKey: .containers)
        try container.encodeIfPresent(initContainers, forKey: .initContainers)
    }
}

/// One container of a Pod: only its name and ports matter to Calico.
public struct PodContainer: Codable, Sendable, Equatable {
    public var name: String?
    public var ports: [PodContainerPort]?

    public init(name: String? = nil, ports: [PodContainerPort]? = nil) {
        self.name = name
        self.ports = ports
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case name, ports }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        ports = try container.decodeIfPresent([PodContainerPort].self, forKey: .ports)
        try IgnoredFields.skip(decoder, except: Set(CodingKeys.allCases.map(\.stringValue)))
    }
}

/// A container port; named ones become the WorkloadEndpoint's named ports.
public struct PodContainerPort: Codable, Sendable, Equatable {
    public var name: String?
    public var containerPort: UInt16
    /// `TCP` (the default), `UDP` or `SCTP`.
    public var `protocol`: String?
    public var hostPort: UInt16?
    public var hostIP: String?

    public init(name: String? = nil, containerPort: UInt16, protocol: String? = nil) {
        self.name = name
        self.containerPort = containerPort
        self.protocol = `protocol`
    }
}

/// Reads (and so accepts) every field of a Kubernetes object that Tabby does not use, so the strict manifest
/// decoder does not call them unknown.
enum IgnoredFields {
    static func skip(_ decoder: any Decoder, except known: Set<String>) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !known.contains(key.stringValue) {
            _ = try container.decode(IgnoredValue.self, forKey: key)
        }
    }
}

/// Any value at all, read through to its leaves and thrown away.
struct IgnoredValue: Decodable {
    init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyCodingKey.self) {
            for key in keyed.allKeys { _ = try keyed.decode(IgnoredValue.self, forKey: key) }
        } else if var list = try? decoder.unkeyedContainer() {
            while !list.isAtEnd { _ = try list.decode(IgnoredValue.self) }
        }
    }
}

struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}
