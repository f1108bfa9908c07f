/// Every kind of resource Tabby stores, with the names calicoctl accepts for it.
public enum ResourceKind: String, CaseIterable, Sendable, Codable, Comparable, CustomStringConvertible {
    case ipPool = "IPPool"
    case node = "Node"
    case workloadEndpoint = "WorkloadEndpoint"
    case hostEndpoint = "HostEndpoint"
    case tier = "Tier"
    case globalNetworkPolicy = "GlobalNetworkPolicy"
    case networkPolicy = "NetworkPolicy"
    case profile = "Profile"
    case globalNetworkSet = "GlobalNetworkSet"
    case networkSet = "NetworkSet"
    case felixConfiguration = "FelixConfiguration"
    case ipamConfiguration = "IPAMConfiguration"
    case blockAffinity = "BlockAffinity"
    case ipamBlock = "IPAMBlock"
    case ipamHandle = "IPAMHandle"
    case bgpConfiguration = "BGPConfiguration"
    case bgpPeer = "BGPPeer"
    case bgpFilter = "BGPFilter"
    /// A Kubernetes Namespace: its labels reach policy as `pcns.*` labels, as with Calico on Kubernetes.
    case namespace = "Namespace"
    /// A Kubernetes Pod, mirrored for the CNI plugin (labels, service account, Calico's address annotations).
    case pod = "Pod"

    public var description: String { rawValue }

    public static func < (lhs: ResourceKind, rhs: ResourceKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The lowercase plural used in paths and in etcd keys (`ippools`).
    public var plural: String {
        switch self {
        case .ipPool: "ippools"
        case .node: "nodes"
        case .workloadEndpoint: "workloadendpoints"
        case .hostEndpoint: "hostendpoints"
        case .tier: "tiers"
        case .globalNetworkPolicy: "globalnetworkpolicies"
        case .networkPolicy: "networkpolicies"
        case .profile: "profiles"
        case .globalNetworkSet: "globalnetworksets"
        case .networkSet: "networksets"
        case .felixConfiguration: "felixconfigurations"
        case .ipamConfiguration: "ipamconfigurations"
        case .blockAffinity: "blockaffinities"
        case .ipamBlock: "ipamblocks"
        case .ipamHandle: "ipamhandles"
        case .bgpConfiguration: "bgpconfigurations"
        case .bgpPeer: "bgppeers"
        case .bgpFilter: "bgpfilters"
        case .namespace: "namespaces"
        case .pod: "pods"
        }
    }

    /// Whether resources of this kind live in a namespace.
    public var isNamespaced: Bool {
        self == .workloadEndpoint || self == .networkPolicy || self == .networkSet || self == .pod
    }

    /// The IPAM kinds, which the IPAM code owns and stores under `ipam/`.
    public var isIPAM: Bool {
        self == .blockAffinity || self == .ipamBlock || self == .ipamHandle || self == .ipamConfiguration
    }

    /// The `apiVersion` this kind is written with.
    public var apiVersion: String { isKubernetesCore ? APIVersion.kubernetesCore : APIVersion.v3 }

    /// The Kubernetes kinds (`apiVersion: v1`), which Tabby reads but Calico does not define.
    public var isKubernetesCore: Bool { self == .namespace || self == .pod }

    /// Every name calicoctl (or kubectl, for Namespace) accepts for the kind on its command line.
    public var names: [String] {
        let lower = rawValue.lowercased()
        let extra: [String] = switch self {
        case .ipPool: ["ipp", "ipps", "pool", "pools"]
        case .node: ["no", "nos"]
        case .workloadEndpoint: ["wep", "weps"]
        case .hostEndpoint: ["hep", "heps"]
        case .tier: []
        case .globalNetworkPolicy: ["gnp", "gnps"]
        case .networkPolicy: ["np", "nps", "policy", "policies", "pol", "pols"]
        case .profile: ["pro", "pros"]
        case .globalNetworkSet: ["gns"]
        case .networkSet: ["netset", "netsets"]
        case .felixConfiguration: ["felixconfig", "felixconfigs"]
        case .ipamConfiguration: ["ipamconfig", "ipamconfigs"]
        case .blockAffinity: ["blockaffinitys", "affinity", "affinities"]
        case .ipamBlock: []
        case .ipamHandle: []
        case .bgpConfiguration: ["bgpconfig", "bgpconfigs"]
        case .bgpPeer: ["bgpp", "bgpps", "bp", "bps"]
        case .bgpFilter: []
        case .namespace: ["ns"]
        case .pod: ["po"]
        }
        return [lower, plural] + extra
    }

    /// The kind for a name as typed on the command line or written in `kind:` (case-insensitive).
    public init?(named text: String) {
        let lower = text.lowercased()
        if lower == "ipamconfig" || lower == "ipamconfigs" {
            self = .ipamConfiguration
            return
        }
        guard let kind = ResourceKind.allCases.first(where: { $0.names.contains(lower) }) else { return nil }
        self = kind
    }

    /// The kind named in a manifest's `kind:` field (exact spelling, as Kubernetes requires), including the
    /// `crd.projectcalico.org/v1` name `IPAMConfig`.
    public init?(manifestKind text: String) {
        if text == "IPAMConfig" {
            self = .ipamConfiguration
            return
        }
        guard let kind = ResourceKind(rawValue: text) else { return nil }
        self = kind
    }
}

/// The API versions a manifest may carry.
public enum APIVersion {
    public static let v3 = "projectcalico.org/v3"
    public static let crdV1 = "crd.projectcalico.org/v1"
    public static let kubernetesCore = "v1"
}

/// The identity of a stored resource.
public struct ResourceKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var kind: ResourceKind
    public var namespace: String?
    public var name: String

    public init(kind: ResourceKind, namespace: String? = nil, name: String) {
        self.kind = kind
        self.namespace = kind.isNamespaced ? namespace : nil
        self.name = name
    }

    public var description: String {
        "\(kind.rawValue) \"" + (namespace.map { "\($0)/" } ?? "") + name + "\""
    }

    public static func < (lhs: ResourceKey, rhs: ResourceKey) -> Bool {
        (lhs.kind, lhs.namespace ?? "", lhs.name) < (rhs.kind, rhs.namespace ?? "", rhs.name)
    }
}
