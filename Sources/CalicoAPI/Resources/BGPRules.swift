import NetworkAddress

/// The validation of the BGP kinds, as Calico's validator checks them.
enum BGPValues {
    /// BIRD's console log levels Calico accepts in `logSeverityScreen`.
    static let logSeverities = ["Debug", "Info", "Warning", "Error", "Fatal"]
    static let bindModes = ["None", "NodeIP"]
    static let sourceAddresses = ["UseNodeIP", "None"]
    static let filterActions = ["Accept", "Reject"]
    static let matchOperators = ["Equal", "NotEqual", "In", "NotIn"]
    static let filterSources = ["RemotePeers"]

    /// Checks a community value, `aa:nn` (16-bit parts) or `aa:nn:mm` (32-bit parts); the reason when it is
    /// not one.
    static func communityProblem(_ value: String) -> String? {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) })
        else {
            return "\"\(value)\" is not a community: use aa:nn (standard) or aa:nn:mm (large)"
        }
        let limit: UInt64 = parts.count == 2 ? 0xffff : 0xffff_ffff
        for part in parts where UInt64(part).map({ $0 > limit }) ?? true {
            return "\"\(value)\": \(part) does not fit in \(parts.count == 2 ? 16 : 32) bits"
        }
        return nil
    }

    /// Checks a Go duration field (`120s`); records an error when it does not parse or is negative.
    static func duration(_ field: String, _ text: String?, into validator: Validator) {
        guard let text else { return }
        guard let seconds = GoDuration.seconds(text) else {
            validator.error(field, "\"\(text)\" is not a duration (such as 120s or 2m)")
            return
        }
        if seconds < 0 { validator.error(field, "\"\(text)\" is negative") }
    }

    static func choice(_ field: String, _ value: String?, _ choices: [String], into validator: Validator) {
        guard let value, !choices.contains(value) else { return }
        validator.error(field, "\"\(value)\" is not one of " + choices.joined(separator: ", "))
    }

    static func password(_ field: String, _ password: BGPPassword?, into validator: Validator) {
        guard let password else { return }
        guard let reference = password.secretKeyRef else {
            validator.error(field, "a password names its secret with secretKeyRef (name and key)")
            return
        }
        if let reason = NameSyntax.subdomainProblem(reference.name) {
            validator.error(field + ".secretKeyRef.name", reason)
        }
        if reference.key.isEmpty || reference.key.contains("/") || reference.key == "." || reference.key == ".." {
            validator.error(field + ".secretKeyRef.key", "\"\(reference.key)\" is not a secret key (a file name)")
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension BGPConfigurationSpec {
    public func validate(metadata: ObjectMeta, into validator: Validator) {
        let isDefault = metadata.name == "default"
        if !isDefault && !metadata.name.hasPrefix("node.") {
            validator.error(
                "", "a BGPConfiguration is named \"default\" or \"node.<nodename>\" (got \"\(metadata.name)\")")
        }
        BGPValues.choice("logSeverityScreen", logSeverityScreen, BGPValues.logSeverities, into: validator)
        BGPValues.choice("bindMode", bindMode, BGPValues.bindModes, into: validator)
        if listenPort == 0 { validator.error("listenPort", "must be a port from 1 to 65535") }
        if asNumber == 0 { validator.error("asNumber", "must be between 1 and 4294967295") }
        if !isDefault {
            // Calico reads these from the default configuration only.
            for (field, set) in [
                ("nodeToNodeMeshEnabled", nodeToNodeMeshEnabled != nil), ("asNumber", asNumber != nil),
                ("serviceClusterIPs", serviceClusterIPs != nil), ("serviceExternalIPs", serviceExternalIPs != nil),
                ("serviceLoadBalancerIPs", serviceLoadBalancerIPs != nil),
                ("nodeMeshPassword", nodeMeshPassword != nil),
                ("nodeMeshMaxRestartTime", nodeMeshMaxRestartTime != nil),
            ] where set {
                validator.warning(field, "only the default BGPConfiguration sets this; ignored in \(metadata.name)")
            }
        }
        for (field, blocks) in [
            ("serviceClusterIPs", serviceClusterIPs), ("serviceExternalIPs", serviceExternalIPs),
            ("serviceLoadBalancerIPs", serviceLoadBalancerIPs),
        ] {
            validator.each(field, blocks) { block in validator.cidr("cidr", block.cidr, masked: true) }
        }
        validator.each("ignoredInterfaces", ignoredInterfaces) { pattern in
            let allowed = pattern.allSatisfy { $0.isLetter || $0.isNumber || "*:._+-".contains($0) }
            if pattern.isEmpty || pattern.count > 15 || !allowed {
                validator.error(
                    "", "\"\(pattern)\" is not an interface name pattern (1 to 15 of letters, digits, *:._+-)")
            }
        }
        validator.each("communities", communities) { community in
            if community.name?.isEmpty ?? true { validator.error("name", "a community needs a name") }
            guard let value = community.value else {
                validator.error("value", "a community needs a value (aa:nn or aa:nn:mm)")
                return
            }
            if let reason = BGPValues.communityProblem(value) { validator.error("value", reason) }
        }
        if !(communities ?? []).isEmpty && (prefixAdvertisements ?? []).isEmpty {
            validator.error("communities", "communities are defined but no prefixAdvertisements use them")
        }
        let names = Set((communities ?? []).compactMap(\.name))
        validator.each("prefixAdvertisements", prefixAdvertisements) { advertisement in
            if let cidr = advertisement.cidr {
                validator.cidr("cidr", cidr)
            } else {
                validator.error("cidr", "a prefix advertisement needs a cidr")
            }
            validator.each("communities", advertisement.communities) { community in
                if BGPValues.communityProblem(community) != nil && !names.contains(community) {
                    validator.error(
                        "", "\"\(community)\" is neither a community value (aa:nn, aa:nn:mm) nor a name in communities")
                }
            }
        }
        BGPValues.password("nodeMeshPassword", nodeMeshPassword, into: validator)
        BGPValues.duration("nodeMeshMaxRestartTime", nodeMeshMaxRestartTime, into: validator)
    }
}

extension BGPPeerSpec {
    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if let node, !node.isEmpty, let reason = NameSyntax.subdomainProblem(node) {
            validator.error("node", reason)
        }
        if !(node ?? "").isEmpty && !(nodeSelector ?? "").isEmpty {
            validator.error("node", "node must be empty when nodeSelector is set")
        }
        if !(peerIP ?? "").isEmpty && !(peerSelector ?? "").isEmpty {
            validator.error("peerIP", "peerIP must be empty when peerSelector is set")
        }
        if let asNumber, asNumber != 0, !(peerSelector ?? "").isEmpty {
            validator.error("asNumber", "asNumber must be empty when peerSelector is set (the peers' own AS is used)")
        }
        if let peerIP, !peerIP.isEmpty, BGPPeerAddress(peerIP) == nil {
            validator.error(
                "peerIP",
                "\"\(peerIP)\" is not an IP address or address:port (192.0.2.1, 192.0.2.1:1790, [2001:db8::1]:1790)")
        }
        if (peerIP ?? "").isEmpty && (peerSelector ?? "").isEmpty {
            validator.warning("peerIP", "a BGPPeer needs peerIP (with asNumber) or peerSelector")
        }
        if !(peerIP ?? "").isEmpty && (asNumber ?? 0) == 0 {
            validator.warning("asNumber", "a peer given by peerIP needs its asNumber (1 to 4294967295)")
        }
        if let nodeSelector, !nodeSelector.isEmpty { validator.selector("nodeSelector", nodeSelector) }
        if let peerSelector, !peerSelector.isEmpty { validator.selector("peerSelector", peerSelector) }
        BGPValues.choice("sourceAddress", sourceAddress, BGPValues.sourceAddresses, into: validator)
        BGPValues.duration("maxRestartTime", maxRestartTime, into: validator)
        BGPValues.password("password", password, into: validator)
        if let allowed = numAllowedLocalASNumbers, allowed < 0 {
            validator.error("numAllowedLocalASNumbers", "must not be negative (got \(allowed))")
        }
        if let ttlSecurity, ttlSecurity == 0 {
            validator.warning("ttlSecurity", "0 turns TTL security off; use 1 to 255 hops to turn it on")
        }
        validator.each("filters", filters) { name in
            if let reason = NameSyntax.subdomainProblem(name) { validator.error("", reason) }
        }
        if let reachableBy, !reachableBy.isEmpty, IPAddress(reachableBy) == nil {
            validator.error("reachableBy", "\"\(reachableBy)\" is not an IP address")
        }
    }
}

extension BGPFilterSpec {
    public func validate(metadata: ObjectMeta, into validator: Validator) {
        for (field, rules, family) in [
            ("exportV4", exportV4, IPFamily.v4), ("importV4", importV4, .v4), ("exportV6", exportV6, .v6),
            ("importV6", importV6, .v6),
        ] {
            validator.each(field, rules) { rule in rule.validate(family: family, into: validator) }
        }
    }
}

extension BGPFilterSpec.Rule {
    func validate(family: IPFamily, into validator: Validator) {
        BGPValues.choice("action", action, BGPValues.filterActions, into: validator)
        BGPValues.choice("matchOperator", matchOperator, BGPValues.matchOperators, into: validator)
        BGPValues.choice("source", source, BGPValues.filterSources, into: validator)
        let bits = family == .v4 ? 32 : 128
        if let cidr {
            if matchOperator == nil { validator.error("matchOperator", "a rule with a cidr needs a matchOperator") }
            if let parsed = validator.cidr("cidr", cidr), parsed.family != family {
                validator.error("cidr", "\(cidr) is not an IPv\(family.rawValue) CIDR, as this rule list needs")
            }
        } else if matchOperator != nil {
            validator.error("cidr", "a rule with a matchOperator needs a cidr")
        }
        if let length = prefixLength {
            if cidr == nil { validator.error("prefixLength", "prefixLength needs a cidr") }
            let prefix = cidr.flatMap { try? CIDR(parsing: $0) }?.prefixLength ?? 0
            for (name, value) in [("min", length.min), ("max", length.max)] {
                guard let value else { continue }
                if value < 0 || value > bits {
                    validator.error("prefixLength.\(name)", "must be from 0 to \(bits) (got \(value))")
                } else if value < prefix {
                    validator.error("prefixLength.\(name)", "\(value) is shorter than the cidr's /\(prefix)")
                }
            }
            if let low = length.min, let high = length.max, low > high {
                validator.error("prefixLength", "min \(low) is greater than max \(high)")
            }
        }
        if let interface, interface.isEmpty || interface.count > 15 {
            validator.error("interface", "\"\(interface)\" is not an interface name pattern (1 to 15 characters)")
        }
    }
}
