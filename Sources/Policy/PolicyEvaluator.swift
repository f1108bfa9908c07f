import CalicoAPI
import NetworkAddress

/// One side of a packet: an address and, when it belongs to a Calico endpoint or network set, what selectors
/// see of it.
public struct PacketPeer: Equatable, Sendable {
    public var address: IPAddress
    /// The peer's effective labels when it is an endpoint or network set; nil for an address Calico does not
    /// know. Only `SelectorMatching.labels` reads them.
    public var labels: Labels?
    /// The peer's named ports (only `SelectorMatching.labels` reads them).
    public var namedPorts: [EndpointPort]

    public init(_ address: IPAddress, labels: Labels? = nil, namedPorts: [EndpointPort] = []) {
        self.address = address
        self.labels = labels
        self.namedPorts = namedPorts
    }
}

/// A packet as policy sees it.
public struct PacketDescription: Equatable, Sendable {
    public var source: PacketPeer
    public var destination: PacketPeer
    /// The IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 132 SCTP...).
    public var `protocol`: UInt8
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    public var icmpType: UInt8?
    public var icmpCode: UInt8?

    public init(
        source: PacketPeer, destination: PacketPeer, protocol: UInt8, sourcePort: UInt16? = nil,
        destinationPort: UInt16? = nil, icmpType: UInt8? = nil, icmpCode: UInt8? = nil
    ) {
        self.source = source
        self.destination = destination
        self.protocol = `protocol`
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.icmpType = icmpType
        self.icmpCode = icmpCode
    }

    /// A TCP (or, with `protocol: 17`, UDP) packet to `port`, from an ephemeral port.
    public static func transport(
        _ proto: UInt8, from source: PacketPeer, to destination: PacketPeer, port: UInt16, sourcePort: UInt16 = 40000
    ) -> PacketDescription {
        PacketDescription(
            source: source, destination: destination, protocol: proto, sourcePort: sourcePort, destinationPort: port)
    }

    /// An ICMP echo request (type 8; ICMPv6 type 128 when the addresses are IPv6), or another type and code.
    public static func icmp(from source: PacketPeer, to destination: PacketPeer, type: UInt8? = nil, code: UInt8 = 0)
        -> PacketDescription
    {
        let v6 = source.address.family == .v6
        return PacketDescription(
            source: source, destination: destination, protocol: v6 ? 58 : 1, icmpType: type ?? (v6 ? 128 : 8),
            icmpCode: code)
    }

    public var family: IPFamily { source.address.family }
}

/// How the evaluator decides that a peer is in a selector set.
public enum SelectorMatching: Sendable {
    /// By address: the peer's address is in the set's members, as the kernel sees it.
    case addresses
    /// By labels: the set's selector matches the peer's labels (and the peer has the named port). The model of
    /// what the sets stand for; tests check that both ways agree.
    case labels
}

/// A rule of a chain, for verdicts and logs.
public struct RuleReference: Hashable, Sendable, CustomStringConvertible {
    public var chain: PolicyChainKey
    /// The rule's index in the policy's or profile's `ingress`/`egress` list.
    public var index: Int

    public init(_ chain: PolicyChainKey, _ index: Int) {
        self.chain = chain
        self.index = index
    }

    public var description: String { "\(chain.policy) \(chain.direction.rawValue) rule \(index)" }
}

/// What policy decided for a packet, and why.
public struct PolicyVerdict: Hashable, Sendable, CustomStringConvertible {
    public enum Decision: String, Hashable, Sendable {
        case allow = "Allow"
        case deny = "Deny"
    }

    public enum Reason: Hashable, Sendable {
        /// An Allow or Deny rule matched (in a tier's policy, or in a profile when `tier` is nil).
        case rule(RuleReference, tier: String?)
        /// A tier had applicable policies, none decided, and its default action is Deny.
        case tierDefault(tier: String)
        /// No tier decided and no profile allowed (or the endpoint has no profiles).
        case noProfileAllowed
        /// A host endpoint's failsafe port.
        case failsafe(FailsafePort)
    }

    public var decision: Decision
    public var reason: Reason
    /// Log rules the packet matched on its way, in order.
    public var logged: [RuleReference]
    /// Tiers the packet left through a Pass rule or a Pass default action.
    public var passed: [String]

    public var description: String {
        let why: String =
            switch reason {
            case .rule(let rule, let tier): "\(rule)" + (tier.map { " (tier \($0))" } ?? "")
            case .tierDefault(let tier): "end of tier \(tier)"
            case .noProfileAllowed: "no profile allowed"
            case .failsafe(let port): "failsafe \(port)"
            }
        return "\(decision.rawValue): \(why)"
    }
}

/// The reference model of a `PolicyProgram`: the verdict for one packet at one endpoint in one direction, by
/// Calico's evaluation rules (calico-reference.md §3.1). The nf_tables rendering must agree with it.
///
/// Tiers in order; within a tier the applicable policies in order, each rule first-match: Allow accepts, Deny
/// drops, Pass leaves the tier, Log notes the packet and goes on. A tier whose policies all fail to match applies
/// its default action (Deny drops, Pass goes on). Then profiles in order: Allow accepts, Deny drops, Pass goes on
/// to the next profile. Nothing allowed: drop. Host endpoints accept failsafe ports before all of this.
public struct PolicyEvaluator: Sendable {
    public let program: PolicyProgram
    public let matching: SelectorMatching
    private let selectors: [SetID: Selector]

    public init(program: PolicyProgram, matching: SelectorMatching = .addresses) {
        self.program = program
        self.matching = matching
        var selectors: [SetID: Selector] = [:]
        if matching == .labels {
            for (id, definition) in program.setDefinitions {
                selectors[id] = try? Selector(parsing: definition.selector)
            }
        }
        self.selectors = selectors
    }

    /// The verdict for a packet into (`.ingress`) or out of (`.egress`) the workload with this interface; nil
    /// when the node has no such workload.
    public func evaluate(_ packet: PacketDescription, interface: String, direction: PolicyType) -> PolicyVerdict? {
        program.workloadEndpoints[interface].map { evaluate(packet, endpoint: $0, direction: direction) }
    }

    /// The verdict for a packet into (`.ingress`) or out of (`.egress`) an endpoint.
    public func evaluate(_ packet: PacketDescription, endpoint: EndpointProgram, direction: PolicyType)
        -> PolicyVerdict
    {
        var packet = packet
        // The endpoint's own side is the endpoint: selectors see its labels and named ports.
        if direction == .ingress, packet.destination.labels == nil { packet.destination.labels = endpoint.labels }
        if direction == .egress, packet.source.labels == nil { packet.source.labels = endpoint.labels }
        var logged: [RuleReference] = []
        var passed: [String] = []
        func verdict(_ decision: PolicyVerdict.Decision, _ reason: PolicyVerdict.Reason) -> PolicyVerdict {
            PolicyVerdict(decision: decision, reason: reason, logged: logged, passed: passed)
        }

        if endpoint.kind == .host, let port = failsafe(packet, direction) { return verdict(.allow, .failsafe(port)) }
        let plan = endpoint.direction(direction)
        tiers: for tier in plan.tiers {
            for policy in tier.policies {
                let key = PolicyChainKey(policy, direction)
                switch run(key, packet, &logged) {
                case .allow(let rule): return verdict(.allow, .rule(rule, tier: tier.name))
                case .deny(let rule): return verdict(.deny, .rule(rule, tier: tier.name))
                case .pass:
                    passed.append(tier.name)
                    continue tiers
                case .noMatch: continue
                }
            }
            if tier.defaultAction == .deny { return verdict(.deny, .tierDefault(tier: tier.name)) }
            passed.append(tier.name)
        }
        for profile in plan.profiles {
            switch run(PolicyChainKey(profile, direction), packet, &logged) {
            case .allow(let rule): return verdict(.allow, .rule(rule, tier: nil))
            case .deny(let rule): return verdict(.deny, .rule(rule, tier: nil))
            case .pass, .noMatch: continue
            }
        }
        return verdict(.deny, .noProfileAllowed)
    }

    private enum ChainOutcome {
        case allow(RuleReference)
        case deny(RuleReference)
        case pass
        case noMatch
    }

    private func run(_ key: PolicyChainKey, _ packet: PacketDescription, _ logged: inout [RuleReference])
        -> ChainOutcome
    {
        guard let chain = program.chains[key] else { return .noMatch }
        for rule in chain.rules(for: packet.family) where matches(rule, packet) {
            let reference = RuleReference(key, rule.index)
            switch rule.action {
            case .allow: return .allow(reference)
            case .deny: return .deny(reference)
            case .pass: return .pass
            case .log: logged.append(reference)
            }
        }
        return .noMatch
    }

    private func failsafe(_ packet: PacketDescription, _ direction: PolicyType) -> FailsafePort? {
        let list = direction == .ingress ? program.failsafeInbound : program.failsafeOutbound
        let peer = direction == .ingress ? packet.source.address : packet.destination.address
        return list.first { port in
            port.protocol == packet.protocol && port.port == packet.destinationPort
                && (port.net.map { $0.contains(peer) } ?? true)
        }
    }

    // MARK: Matching one rule

    /// True when every condition of the rule holds for the packet.
    public func matches(_ rule: NormalizedRule, _ packet: PacketDescription) -> Bool {
        if let version = rule.ipVersion, version != packet.family { return false }
        if let proto = rule.protocol, proto != packet.protocol { return false }
        if let proto = rule.notProtocol, proto == packet.protocol { return false }
        if let icmp = rule.icmp, !Self.matches(icmp, packet) { return false }
        if let icmp = rule.notICMP, Self.matches(icmp, packet) { return false }
        return matches(rule.source, packet.source, port: packet.sourcePort, packet)
            && matches(rule.destination, packet.destination, port: packet.destinationPort, packet)
    }

    private static func matches(_ icmp: ICMPMatch, _ packet: PacketDescription) -> Bool {
        guard packet.protocol == 1 || packet.protocol == 58, let type = packet.icmpType, type == icmp.type else {
            return false
        }
        return icmp.code.map { $0 == packet.icmpCode } ?? true
    }

    private func matches(_ entity: NormalizedEntity, _ peer: PacketPeer, port: UInt16?, _ packet: PacketDescription)
        -> Bool
    {
        let address = peer.address
        if !entity.nets.isEmpty && !entity.nets.contains(where: { $0.contains(address) }) { return false }
        if entity.notNets.contains(where: { $0.contains(address) }) { return false }
        if let set = entity.selector, !inSelectorSet(set, peer) { return false }
        if let set = entity.notSelector, inSelectorSet(set, peer) { return false }
        if !entity.ports.isEmpty || !entity.namedPorts.isEmpty {
            guard let port else { return false }
            let numbered = entity.ports.contains { $0.contains(port) }
            if !numbered && !entity.namedPorts.contains(where: { inNamedPortSet($0, peer, packet.protocol, port) }) {
                return false
            }
        }
        if !entity.notPorts.isEmpty || !entity.notNamedPorts.isEmpty {
            guard let port else { return false }
            if entity.notPorts.contains(where: { $0.contains(port) }) { return false }
            if entity.notNamedPorts.contains(where: { inNamedPortSet($0, peer, packet.protocol, port) }) {
                return false
            }
        }
        return true
    }

    private func inSelectorSet(_ set: SetID, _ peer: PacketPeer) -> Bool {
        switch matching {
        case .addresses:
            return program.addressSets[set]?.contains { $0.contains(peer.address) } ?? false
        case .labels:
            guard let labels = peer.labels, let selector = selectors[set] else { return false }
            return selector.matches(labels)
        }
    }

    private func inNamedPortSet(_ set: SetID, _ peer: PacketPeer, _ proto: UInt8, _ port: UInt16) -> Bool {
        switch matching {
        case .addresses:
            let member = NamedPortMember(address: peer.address, protocol: proto, port: port)
            return program.namedPortSets[set]?.contains(member) ?? false
        case .labels:
            guard let labels = peer.labels, let selector = selectors[set],
                let reference = program.setDefinitions[set]?.namedPort, reference.protocol == proto,
                selector.matches(labels)
            else { return false }
            return peer.namedPorts.contains {
                $0.name == reference.name && $0.protocol.number == proto && $0.port == port
            }
        }
    }
}
