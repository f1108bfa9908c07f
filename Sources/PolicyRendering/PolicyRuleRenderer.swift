import CalicoAPI
import NFTables
import NetworkAddress
import Policy

/// Turns the normalized rules of one policy or profile chain into nf_tables rules for one family.
///
/// A rule matches when all its conditions hold; lists inside a condition are alternatives. Several networks
/// become one interval set (`nets-<hash>`), several port ranges one `inet_service` interval set
/// (`ports-<hash>`), so one kernel rule still covers them. Ports OR named ports cannot share a rule: such a rule
/// becomes one kernel rule per alternative (source alternatives times destination alternatives), each with the
/// same action, as Felix does. Actions: Allow sets the accept mark and returns, Pass sets the pass mark and
/// returns, Deny drops, Log logs and goes on.
struct PolicyRuleRenderer {
    let settings: RenderingSettings

    /// The kernel rules of `program` in `builder`'s family, adding the sets they use to the builder.
    func rules(_ program: PolicyChainProgram, chain: String, into builder: inout TableBuilder) -> [KernelRule] {
        var rules: [KernelRule] = []
        for rule in program.rules(for: builder.family) {
            let comment = "\(program.key) rule \(rule.index) \(rule.action.rawValue.lowercased())"
            for match in alternatives(rule, builder: &builder) {
                rules.append(builder.rule(chain, comment, match + action(rule.action)))
            }
        }
        return rules
    }

    // MARK: Matches

    /// Each alternative is a list of statements that must all hold.
    private func alternatives(_ rule: NormalizedRule, builder: inout TableBuilder) -> [[Statement]] {
        var common: [Statement] = []
        if let notProtocol = rule.notProtocol {
            common.append(.l4proto(.neq, IPProtocol(rawValue: notProtocol)))
        }
        let sources = entity(rule.source, field: .saddr, port: .sport, builder: &builder)
        let destinations = entity(rule.destination, field: .daddr, port: .dport, builder: &builder)
        var result: [[Statement]] = []
        for protocolMatch in protocolAlternatives(rule) {
            for source in sources {
                for destination in destinations {
                    result.append(Self.nftOrder(protocolMatch + common + source + destination))
                }
            }
        }
        return result
    }

    /// Moves the `meta l4proto` match that a port or ICMP match depends on next to the first one, where nft puts
    /// it (it prints the pair as `tcp dport 80` and compiles it back that way), so that a listed and reloaded
    /// rule is the same rule.
    static func nftOrder(_ statements: [Statement]) -> [Statement] {
        func isProtocolMatch(_ statement: Statement) -> Bool {
            guard statement.expressions.count == 2, case .meta(.l4proto, _) = statement.expressions[0],
                case .compare(_, .eq, _) = statement.expressions[1]
            else { return false }
            return true
        }
        func loadsTransport(_ statement: Statement) -> Bool {
            statement.expressions.contains { if case .payload(.transport, _, _, _) = $0 { true } else { false } }
        }
        guard let protocolIndex = statements.firstIndex(where: isProtocolMatch),
            let transportIndex = statements.firstIndex(where: loadsTransport), transportIndex > protocolIndex + 1
        else { return statements }
        var reordered = statements
        let protocolMatch = reordered.remove(at: protocolIndex)
        reordered.insert(protocolMatch, at: transportIndex - 1)
        return reordered
    }

    static let icmpProtocols: Set<UInt8> = [1, 58]

    /// The protocol conditions: the rule's protocol; without one, ICMP for an ICMP match and the protocols with
    /// ports for a port match. ICMP type matches apply to ICMP packets only: an `icmp` match fails on any other
    /// protocol, a `notICMP` match holds for it.
    private func protocolAlternatives(_ rule: NormalizedRule) -> [[Statement]] {
        let needsPorts = rule.source.hasPortMatch || rule.destination.hasPortMatch
        var candidates: [UInt8?]
        if let proto = rule.protocol {
            candidates = [proto]
        } else if rule.icmp != nil {
            candidates = [1, 58]
        } else if needsPorts {
            candidates = [6, 17, 132]  // ports need a transport header with ports
        } else {
            candidates = [nil]
        }
        if needsPorts { candidates.removeAll { $0.map(Self.icmpProtocols.contains) ?? false } }
        var result: [[Statement]] = []
        for candidate in candidates {
            guard let proto = candidate else {
                // Any protocol: with a notICMP match, split into "not ICMP" and "ICMP of another type".
                guard let notICMP = rule.notICMP else {
                    result.append([])
                    continue
                }
                result.append([.l4proto(.neq, .icmp), .l4proto(.neq, .icmpv6)])
                for icmp in Self.icmpProtocols.sorted() {
                    result.append([.l4proto(.eq, IPProtocol(rawValue: icmp)), icmpMatch(notICMP, .neq)])
                }
                continue
            }
            var match: [Statement] = [.l4proto(.eq, IPProtocol(rawValue: proto))]
            let isICMP = Self.icmpProtocols.contains(proto)
            if let icmp = rule.icmp {
                guard isICMP else { continue }  // never matches
                match.append(icmpMatch(icmp, .eq))
            }
            if let notICMP = rule.notICMP, isICMP { match.append(icmpMatch(notICMP, .neq)) }
            result.append(match)
        }
        return result
    }

    /// `icmp type T` / `icmp type . code`, compared on the first one or two bytes of the ICMP header; with
    /// `.neq` "not this type (and code)".
    private func icmpMatch(_ icmp: ICMPMatch, _ op: MatchOperator) -> Statement {
        let compare: CompareOperator = op == .eq ? .eq : .neq
        if let code = icmp.code {
            return Statement([
                .payload(.transport, offset: 0, length: 2, into: .r1), .compare(.r1, compare, [icmp.type, code]),
            ])
        }
        return Statement([.payload(.transport, offset: 0, length: 1, into: .r1), .compare(.r1, compare, [icmp.type])])
    }

    /// The alternatives of one side of a rule.
    private func entity(
        _ entity: NormalizedEntity, field: AddressField, port: PortField, builder: inout TableBuilder
    ) -> [[Statement]] {
        let family = builder.family
        let addressKey = KernelValues.addressKey(family, field)
        var common: [Statement] = []
        let nets = entity.nets.filter { $0.family == family }
        if !nets.isEmpty, !nets.contains(where: { $0.prefixLength == 0 }) {
            common.append(addressList(nets, field: field, op: .eq, builder: &builder))
        }
        let notNets = entity.notNets.filter { $0.family == family }
        if notNets.contains(where: { $0.prefixLength == 0 }) { return [] }  // nothing is outside ::/0
        if notNets.contains(where: { $0.prefixLength == 0 }) { return [] }  // nothing is outside 0.0.0.0/0
        if !notNets.isEmpty { common.append(addressList(notNets, field: field, op: .neq, builder: &builder)) }
        if let selector = entity.selector {
            common.append(.lookup([addressKey], .eq, set: selectorSet(selector, builder: &builder)))
        }
        if let notSelector = entity.notSelector {
            common.append(.lookup([addressKey], .neq, set: selectorSet(notSelector, builder: &builder)))
        }
        if !entity.notPorts.isEmpty { common.append(portList(entity.notPorts, port, .neq, builder: &builder)) }
        for set in entity.notNamedPorts {
            common.append(
                .lookup([addressKey, .l4proto, .transportPort(port)], .neq, set: namedPortSet(set, builder: &builder)))
        }
        var portAlternatives: [[Statement]] = []
        if !entity.ports.isEmpty { portAlternatives.append([portList(entity.ports, port, .eq, builder: &builder)]) }
        for set in entity.namedPorts {
            portAlternatives.append([
                .lookup([addressKey, .l4proto, .transportPort(port)], .eq, set: namedPortSet(set, builder: &builder))
            ])
        }
        if portAlternatives.isEmpty { return [common] }
        return portAlternatives.map { common + $0 }
    }

    /// One network as a direct match, several as a lookup in a set named after them.
    private func addressList(_ cidrs: [CIDR], field: AddressField, op: MatchOperator, builder: inout TableBuilder)
        -> Statement
    {
        if cidrs.count == 1 { return KernelValues.addressMatch(field, op, cidrs[0]) }
        let name = "nets-" + Self.digest(cidrs.sorted().map(\.description))
        if !builder.hasSet(name) { builder.addSet(builder.addressSet(name), KernelValues.intervals(cidrs)) }
        return .lookup([KernelValues.addressKey(builder.family, field)], op, set: name)
    }

    /// One port range as a compare, several as a lookup in an `inet_service` interval set.
    private func portList(_ ranges: [PortRange], _ port: PortField, _ op: MatchOperator, builder: inout TableBuilder)
        -> Statement
    {
        if ranges.count == 1 { return KernelValues.portMatch(offset: port == .sport ? 0 : 2, op, ranges[0]) }
        let name = "ports-" + Self.digest(ranges.sorted().map(\.description))
        if !builder.hasSet(name) {
            let set = NamedSet(table: builder.table, name: name, keyType: .inetService, flags: [.interval])
            builder.addSet(set, KernelValues.portIntervals(ranges.map { ($0.first, $0.last) }))
        }
        return .lookup([.transportPort(port)], op, set: name)
    }

    /// The set of a selector; the renderer fills in the addresses of the family's matching endpoints and network
    /// sets.
    private func selectorSet(_ id: SetID, builder: inout TableBuilder) -> String {
        builder.requireSelectorSet(id)
    }

    /// The set of a named port; the renderer fills in `(address, protocol, port)` of the matching endpoints.
    private func namedPortSet(_ id: SetID, builder: inout TableBuilder) -> String {
        builder.requireNamedPortSet(id)
    }

    // MARK: Actions

    private func action(_ action: RuleAction) -> [Statement] {
        switch action {
        case .allow: [.counter, .setMark(RulesetNames.acceptMark, mask: RulesetNames.acceptMark), .return]
        case .pass: [.counter, .setMark(RulesetNames.passMark, mask: RulesetNames.passMark), .return]
        case .deny: [.counter, .drop]
        case .log: [.log(prefix: settings.logPrefix + ": ")]
        }
    }

    /// A short stable name for a list of values (first 80 bits of SHA-1, hex).
    static func digest(_ values: [String]) -> String {
        String(SHA1.hex(values.joined(separator: ",")).prefix(20))
    }
}

extension NormalizedEntity {
    var hasPortMatch: Bool { !ports.isEmpty || !namedPorts.isEmpty || !notPorts.isEmpty || !notNamedPorts.isEmpty }
}
