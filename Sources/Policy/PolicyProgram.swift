import CalicoAPI
import NetworkAddress

// The contract between the policy semantics (this module) and the nf_tables rendering: what one node must
// enforce, as plain values. Everything Calico-specific (namespaces, profiles, label inheritance, selector
// rewriting, ordering, types defaulting) is already resolved here; the renderer only turns these values into
// chains, sets and verdict maps. `PolicyEvaluator` gives the verdict these values mean for one packet.
//
// How to get one:
//     var cache = ResourceCache(); var policy = PolicyCalculation(node: "node-1")
//     if let delta = cache.upsert(resource) { policy.apply(delta, cache: cache) }   // any kind (others ignored)
//     let program = policy.program(cache: cache)
// The policy state keeps the selector index (selector -> matching endpoints and network sets) up to date on
// every delta, so a label change re-evaluates only the selectors that read a changed label.

// MARK: - Sets

/// The stable name of a set of addresses that rules match against.
///
/// * Selector sets (`s:...`) hold the CIDRs of every endpoint and network set a selector matches. The ID is
///   Calico's `Selector.uniqueID` of the selector after namespace rewriting, so rules with the same selector
///   share one set (in every policy, on every node) and the ID changes only when the selector does.
/// * Named-port sets (`n:...`) hold `(address, protocol, port)` triples: for every endpoint matched by the
///   selector that has a named port with that name and protocol, its addresses with that port number.
///
/// The raw value contains `:` and base64url characters (`A-Z a-z 0-9 - _`); renderers map it to the kernel's
/// naming rules themselves (Calico's nftables mode replaces `:` with `-`).
public struct SetID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// The set of addresses matched by `selector`: its Calico unique ID, `s:` + base64url(SHA-224).
    public static func selector(_ selector: Selector) -> SetID { SetID(rawValue: selector.uniqueID) }

    /// The set of `(address, protocol, port)` of the named port `name`/`protocol` on endpoints matched by
    /// `selector`: `n:` + base64url(SHA-1 of `<selector unique ID>,<protocol number>,<port name>`).
    public static func namedPort(selector: Selector, protocol: UInt8, name: String) -> SetID {
        let text = "\(selector.uniqueID),\(`protocol`),\(name)"
        return SetID(rawValue: "n:" + Base64URL.encode(SHA1.digest(text)))
    }

    /// True for a named-port set, false for an address set.
    public var isNamedPort: Bool { rawValue.hasPrefix("n:") }

    public var description: String { rawValue }

    public static func < (lhs: SetID, rhs: SetID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// What a set is made of, for comments and debugging output.
public struct SetDefinition: Hashable, Sendable, Codable {
    /// The selector (after namespace rewriting), in canonical form.
    public var selector: String
    /// For a named-port set: the protocol number and the port name; nil for an address set.
    public var namedPort: NamedPortReference?

    public init(selector: String, namedPort: NamedPortReference? = nil) {
        self.selector = selector
        self.namedPort = namedPort
    }
}

/// A named port as a rule refers to it: the rule's protocol and the port's name.
public struct NamedPortReference: Hashable, Sendable, Codable {
    public var `protocol`: UInt8
    public var name: String

    public init(protocol: UInt8, name: String) {
        self.protocol = `protocol`
        self.name = name
    }
}

/// One member of a named-port set: an endpoint address with the protocol and number of its named port.
public struct NamedPortMember: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var address: IPAddress
    public var `protocol`: UInt8
    public var port: UInt16

    public init(address: IPAddress, protocol: UInt8, port: UInt16) {
        self.address = address
        self.protocol = `protocol`
        self.port = port
    }

    public var description: String { "\(address) . \(`protocol`) . \(port)" }

    public static func < (lhs: NamedPortMember, rhs: NamedPortMember) -> Bool {
        (lhs.address, lhs.protocol, lhs.port) < (rhs.address, rhs.protocol, rhs.port)
    }
}

// MARK: - Rules

/// An inclusive range of port numbers; a single port is a range of one.
public struct PortRange: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var first: UInt16
    public var last: UInt16

    public init(_ first: UInt16, _ last: UInt16) {
        self.first = first
        self.last = last
    }

    public init(_ port: UInt16) { self.init(port, port) }

    public func contains(_ port: UInt16) -> Bool { first <= port && port <= last }

    public var description: String { first == last ? "\(first)" : "\(first)-\(last)" }

    public static func < (lhs: PortRange, rhs: PortRange) -> Bool { (lhs.first, lhs.last) < (rhs.first, rhs.last) }
}

/// An ICMP (or ICMPv6) type, and optionally a code.
public struct ICMPMatch: Hashable, Sendable, Codable {
    public var type: UInt8
    public var code: UInt8?

    public init(type: UInt8, code: UInt8? = nil) {
        self.type = type
        self.code = code
    }
}

/// The source or destination side of a normalized rule. Every non-empty field must match (AND); within a list
/// any element may match (OR). An empty list or nil means "no condition".
public struct NormalizedEntity: Hashable, Sendable, Codable {
    /// The address is in one of these networks.
    public var nets: [CIDR]
    /// The address is in none of these networks.
    public var notNets: [CIDR]
    /// The address is in this selector set (the rule's selector, namespaceSelector and serviceAccounts combined
    /// after Calico's rewriting).
    public var selector: SetID?
    /// The address is not in this selector set (`notSelector`, which Calico does not scope to a namespace).
    public var notSelector: SetID?
    /// The port is in one of `ports`, or `(address, protocol, port)` is in one of `namedPorts`. Both empty: any
    /// port.
    public var ports: [PortRange]
    public var namedPorts: [SetID]
    /// The port is in none of `notPorts`, and `(address, protocol, port)` is in none of `notNamedPorts`.
    public var notPorts: [PortRange]
    public var notNamedPorts: [SetID]

    public init(
        nets: [CIDR] = [], notNets: [CIDR] = [], selector: SetID? = nil, notSelector: SetID? = nil,
        ports: [PortRange] = [], namedPorts: [SetID] = [], notPorts: [PortRange] = [], notNamedPorts: [SetID] = []
    ) {
        self.nets = nets
        self.notNets = notNets
        self.selector = selector
        self.notSelector = notSelector
        self.ports = ports
        self.namedPorts = namedPorts
        self.notPorts = notPorts
        self.notNamedPorts = notNamedPorts
    }

    /// True when the side matches every packet.
    public var isUnconstrained: Bool {
        nets.isEmpty && notNets.isEmpty && selector == nil && notSelector == nil && ports.isEmpty
            && namedPorts.isEmpty && notPorts.isEmpty && notNamedPorts.isEmpty
    }

    /// Every set the side refers to.
    public var setIDs: [SetID] {
        [selector, notSelector].compactMap { $0 } + namedPorts + notNamedPorts
    }
}

/// A policy or profile rule with Calico's rewriting done and names resolved to numbers and sets, for one IP
/// family (see `PolicyChainProgram.rules(for:)`). A packet matches when every condition holds.
public struct NormalizedRule: Hashable, Sendable, Codable {
    /// Allow (accept, stop), Deny (drop), Pass (go to the next tier) or Log (log, go on with the next rule).
    public var action: RuleAction
    /// The family this rule was written for; nil when the rule is family-neutral.
    public var ipVersion: IPFamily?
    /// The IP protocol number (`meta l4proto`), when the rule names one.
    public var `protocol`: UInt8?
    /// The packet's protocol is not this one.
    public var notProtocol: UInt8?
    /// For ICMP/ICMPv6 rules: the type and optionally the code must match.
    public var icmp: ICMPMatch?
    /// For ICMP/ICMPv6 rules: the type (and code, when given) must not both match.
    public var notICMP: ICMPMatch?
    public var source: NormalizedEntity
    public var destination: NormalizedEntity
    /// The rule's position in the policy's `ingress` or `egress` list (0-based), shared by both families.
    public var index: Int

    public init(
        action: RuleAction, ipVersion: IPFamily? = nil, protocol: UInt8? = nil, notProtocol: UInt8? = nil,
        icmp: ICMPMatch? = nil, notICMP: ICMPMatch? = nil, source: NormalizedEntity = NormalizedEntity(),
        destination: NormalizedEntity = NormalizedEntity(), index: Int
    ) {
        self.action = action
        self.ipVersion = ipVersion
        self.protocol = `protocol`
        self.notProtocol = notProtocol
        self.icmp = icmp
        self.notICMP = notICMP
        self.source = source
        self.destination = destination
        self.index = index
    }

    /// Every set the rule refers to.
    public var setIDs: [SetID] { source.setIDs + destination.setIDs }
}

// MARK: - Chains, tiers, endpoints

/// Which policy, profile or built-in rule list a chain is: `gnp/<name>`, `np/<namespace>/<name>`, `pro/<name>`.
public struct PolicyID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case globalNetworkPolicy = "gnp"
        case networkPolicy = "np"
        case profile = "pro"
    }

    public var kind: Kind
    /// Set for NetworkPolicies only.
    public var namespace: String?
    public var name: String

    public init(kind: Kind, namespace: String? = nil, name: String) {
        self.kind = kind
        self.namespace = kind == .networkPolicy ? namespace : nil
        self.name = name
    }

    public static func globalNetworkPolicy(_ name: String) -> PolicyID {
        PolicyID(kind: .globalNetworkPolicy, name: name)
    }
    public static func networkPolicy(_ namespace: String, _ name: String) -> PolicyID {
        PolicyID(kind: .networkPolicy, namespace: namespace, name: name)
    }
    public static func profile(_ name: String) -> PolicyID { PolicyID(kind: .profile, name: name) }

    /// `gnp/<name>`, `np/<namespace>/<name>` or `pro/<name>`.
    public var description: String {
        if let namespace { return "\(kind.rawValue)/\(namespace)/\(name)" }
        return "\(kind.rawValue)/\(name)"
    }

    public static func < (lhs: PolicyID, rhs: PolicyID) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = PolicyID(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not a gnp/, np/ or pro/ id"))
        }
        self = id
    }

    /// Parses `gnp/<name>`, `np/<namespace>/<name>` or `pro/<name>`.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard let kind = parts.first.flatMap(Kind.init(rawValue:)) else { return nil }
        switch (kind, parts.count) {
        case (.networkPolicy, 3): self.init(kind: kind, namespace: parts[1], name: parts[2])
        case (.globalNetworkPolicy, 2), (.profile, 2): self.init(kind: kind, name: parts[1])
        default: return nil
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A chain's identity: a policy or profile and a direction (ingress = towards the endpoint).
public struct PolicyChainKey: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var policy: PolicyID
    public var direction: PolicyType

    public init(_ policy: PolicyID, _ direction: PolicyType) {
        self.policy = policy
        self.direction = direction
    }

    /// `pi-gnp/x` (ingress) or `po-gnp/x` (egress) for policies, `pri-x` / `pro-x` for profiles, as Calico
    /// names its chains (without the `cali-` prefix).
    public var chainSuffix: String {
        let inbound = direction == .ingress
        if policy.kind == .profile { return (inbound ? "pri-" : "pro-") + policy.name }
        return (inbound ? "pi-" : "po-") + policy.description
    }

    public var description: String { "\(policy) \(direction.rawValue)" }

    public static func < (lhs: PolicyChainKey, rhs: PolicyChainKey) -> Bool {
        (lhs.policy, lhs.direction.rawValue) < (rhs.policy, rhs.direction.rawValue)
    }
}

/// The rules of one policy or profile in one direction, normalized, split by IP family.
public struct PolicyChainProgram: Hashable, Sendable, Codable {
    public var key: PolicyChainKey
    /// The rules that can match IPv4 packets, in order; nets are reduced to IPv4 networks.
    public var ipv4Rules: [NormalizedRule]
    /// The rules that can match IPv6 packets, in order; nets are reduced to IPv6 networks.
    public var ipv6Rules: [NormalizedRule]

    public init(key: PolicyChainKey, ipv4Rules: [NormalizedRule], ipv6Rules: [NormalizedRule]) {
        self.key = key
        self.ipv4Rules = ipv4Rules
        self.ipv6Rules = ipv6Rules
    }

    /// The rules of one family: a rule that can never match in that family (another `ipVersion`, ICMP vs
    /// ICMPv6, or only nets of the other family) is left out of it.
    public func rules(for family: IPFamily) -> [NormalizedRule] { family == .v4 ? ipv4Rules : ipv6Rules }

    /// Every set the chain's rules refer to (both families).
    public var setIDs: Set<SetID> { Set((ipv4Rules + ipv6Rules).flatMap(\.setIDs)) }
}

/// One tier as it applies to one endpoint in one direction: only tiers with at least one applicable policy
/// appear, and only the applicable policies, in evaluation order.
public struct TierProgram: Hashable, Sendable, Codable {
    public var name: String
    /// What happens when no policy of the tier decided: Deny drops, Pass goes on to the next tier.
    public var defaultAction: TierDefaultAction
    public var policies: [PolicyID]

    public init(name: String, defaultAction: TierDefaultAction, policies: [PolicyID]) {
        self.name = name
        self.defaultAction = defaultAction
        self.policies = policies
    }
}

/// What to enforce in one direction of one endpoint: the tiers in order, then the profiles in order, then drop.
public struct DirectionProgram: Hashable, Sendable, Codable {
    public var tiers: [TierProgram]
    /// Profile chains in the endpoint's order (only profiles that exist, or that Tabby synthesizes: `kns.*`,
    /// `ksa.*`, `projectcalico-default-allow`).
    public var profiles: [PolicyID]

    public init(tiers: [TierProgram] = [], profiles: [PolicyID] = []) {
        self.tiers = tiers
        self.profiles = profiles
    }
}

/// A workload or host endpoint of this node, with everything its chains need.
public struct EndpointProgram: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        case workload
        case host
    }

    public var kind: Kind
    /// The WorkloadEndpoint's namespace; nil for a host endpoint.
    public var namespace: String?
    /// The WorkloadEndpoint's or HostEndpoint's name.
    public var name: String
    /// The workload's interface (`cali...`); for a host endpoint its `interfaceName`: a name, `*` for all of
    /// the host's interfaces, or empty when the endpoint is matched by `expectedIPs` only.
    public var interfaceName: String
    /// The endpoint's addresses as host CIDRs (`ipNetworks`, or a host endpoint's `expectedIPs`), sorted.
    public var addresses: [CIDR]
    /// The labels selectors see: profiles' `labelsToApply` overlaid with the endpoint's own (and, for
    /// workloads, `projectcalico.org/namespace` and friends).
    public var labels: Labels
    /// Towards the endpoint (into the workload; into the host for a host endpoint).
    public var ingress: DirectionProgram
    /// From the endpoint (out of the workload; out of the host for a host endpoint).
    public var egress: DirectionProgram

    public init(
        kind: Kind, namespace: String?, name: String, interfaceName: String, addresses: [CIDR], labels: Labels,
        ingress: DirectionProgram, egress: DirectionProgram
    ) {
        self.kind = kind
        self.namespace = kind == .workload ? namespace : nil
        self.name = name
        self.interfaceName = interfaceName
        self.addresses = addresses
        self.labels = labels
        self.ingress = ingress
        self.egress = egress
    }

    /// The WorkloadEndpoint or HostEndpoint this program is for.
    public var key: ResourceKey {
        ResourceKey(kind: kind == .workload ? .workloadEndpoint : .hostEndpoint, namespace: namespace, name: name)
    }

    public func direction(_ direction: PolicyType) -> DirectionProgram {
        direction == .ingress ? ingress : egress
    }
}

// MARK: - Node-wide values

/// A port that host endpoint policy never blocks (FelixConfiguration `failsafeInboundHostPorts` /
/// `failsafeOutboundHostPorts`), optionally only for peers in `net`.
public struct FailsafePort: Hashable, Sendable, Codable, CustomStringConvertible {
    public var `protocol`: UInt8
    public var port: UInt16
    /// Only traffic from (inbound) or to (outbound) this network; nil for any address.
    public var net: CIDR?

    public init(protocol: UInt8, port: UInt16, net: CIDR? = nil) {
        self.protocol = `protocol`
        self.port = port
        self.net = net
    }

    public var description: String {
        let name = `protocol` == 6 ? "tcp" : `protocol` == 17 ? "udp" : `protocol` == 132 ? "sctp" : "\(`protocol`)"
        return "\(name):\(port)" + (net.map { " from \($0)" } ?? "")
    }
}

/// Everything the dataplane must enforce for network policy on one node.
public struct PolicyProgram: Hashable, Sendable, Codable {
    /// The node this program is for.
    public var node: String
    /// This node's workload endpoints by interface name.
    public var workloadEndpoints: [String: EndpointProgram]
    /// This node's host endpoints, by name order.
    public var hostEndpoints: [EndpointProgram]
    /// Every chain an endpoint of this node jumps to (policies and profiles, per direction).
    public var chains: [PolicyChainKey: PolicyChainProgram]
    /// Members of every selector set the chains refer to (both families; renderers split by family).
    public var addressSets: [SetID: Set<CIDR>]
    /// Members of every named-port set the chains refer to.
    public var namedPortSets: [SetID: Set<NamedPortMember>]
    /// What each set in `addressSets` and `namedPortSets` was computed from.
    public var setDefinitions: [SetID: SetDefinition]
    /// Host endpoint failsafe ports: inbound always accepted to the host, outbound always accepted from it.
    public var failsafeInbound: [FailsafePort]
    public var failsafeOutbound: [FailsafePort]
    /// CIDRs of the enabled IP pools with `natOutgoing: true` (Calico's `masq-ipam-pools`).
    public var natOutgoingPools: Set<CIDR>
    /// CIDRs of every IP pool (Calico's `all-ipam-pools`): a destination in any pool is never NATed.
    public var allPools: Set<CIDR>
    /// The addresses of every node (from their Node resources) and FelixConfiguration `externalNodesCIDRList`
    /// (Calico's `all-hosts-net`): where VXLAN and IPIP packets may come from.
    public var hostNetworks: Set<CIDR>

    public init(
        node: String, workloadEndpoints: [String: EndpointProgram] = [:], hostEndpoints: [EndpointProgram] = [],
        chains: [PolicyChainKey: PolicyChainProgram] = [:], addressSets: [SetID: Set<CIDR>] = [:],
        namedPortSets: [SetID: Set<NamedPortMember>] = [:], setDefinitions: [SetID: SetDefinition] = [:],
        failsafeInbound: [FailsafePort] = [], failsafeOutbound: [FailsafePort] = [],
        natOutgoingPools: Set<CIDR> = [], allPools: Set<CIDR> = [], hostNetworks: Set<CIDR> = []
    ) {
        self.node = node
        self.workloadEndpoints = workloadEndpoints
        self.hostEndpoints = hostEndpoints
        self.chains = chains
        self.addressSets = addressSets
        self.namedPortSets = namedPortSets
        self.setDefinitions = setDefinitions
        self.failsafeInbound = failsafeInbound
        self.failsafeOutbound = failsafeOutbound
        self.natOutgoingPools = natOutgoingPools
        self.allPools = allPools
        self.hostNetworks = hostNetworks
    }

    /// The members of an address set that belong to one family.
    public func addresses(of set: SetID, family: IPFamily) -> [CIDR] {
        (addressSets[set] ?? []).filter { $0.family == family }.sorted()
    }

    /// The members of a named-port set that belong to one family.
    public func namedPortMembers(of set: SetID, family: IPFamily) -> [NamedPortMember] {
        (namedPortSets[set] ?? []).filter { $0.address.family == family }.sorted()
    }
}
