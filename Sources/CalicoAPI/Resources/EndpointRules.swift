import NetworkAddress

/// WorkloadEndpoint validation, as Calico's validator checks it.
extension WorkloadEndpointSpec {
    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if node.isEmpty { validator.error("node", "the node the workload runs on is required") }
        let names: [(String, String?)] = [
            ("node", node.isEmpty ? nil : node), ("orchestrator", orchestrator), ("workload", workload),
            ("pod", pod), ("endpoint", endpoint), ("serviceAccountName", serviceAccountName),
        ]
        for (field, name) in names {
            guard let name, !name.isEmpty, let reason = NameSyntax.subdomainProblem(name) else { continue }
            validator.error(field, reason)
        }
        if let containerID, !containerID.isEmpty, !ContainerIDSyntax.isValid(containerID) {
            validator.error(
                "containerID",
                "\"\(containerID)\" is not a container ID: letters, digits and '-', starting and ending with a letter "
                    + "or digit")
        }
        InterfaceNameRules.check("interfaceName", interfaceName, required: true, into: validator)
        if interfaceName == "*" {
            validator.error("interfaceName", "a workload's interface is one interface; \"*\" is for HostEndpoints")
        }
        validator.within("ipNetworks") {
            for (index, cidr) in (ipNetworks ?? []).enumerated() where cidr.prefixLength != cidr.address.bitWidth {
                validator.error("[\(index)]", "workload addresses must be /32 (IPv4) or /128 (IPv6), got \(cidr)")
            }
        }
        validator.family("ipv4Gateway", ipv4Gateway, .v4)
        validator.family("ipv6Gateway", ipv6Gateway, .v6)
        validator.each("ipNATs", ipNATs) { nat in
            if nat.internalIP.family != nat.externalIP.family {
                validator.error(
                    "externalIP",
                    "\(nat.externalIP) is IPv\(nat.externalIP.family.rawValue) but the internalIP \(nat.internalIP) is "
                        + "IPv\(nat.internalIP.family.rawValue); a NAT maps addresses of one family")
            }
            if !(ipNetworks ?? []).contains(where: { $0.contains(nat.internalIP) }) {
                validator.error("internalIP", "\(nat.internalIP) is not one of the endpoint's ipNetworks")
            }
        }
        validator.each("ports", ports) { $0.validate(nameOptionalWithHostPort: true, into: validator) }
        PortNameRules.unique(ports, into: validator)
        ProfileNameRules.check(profiles, into: validator)
    }
}

/// HostEndpoint validation, as Calico's validator checks it.
extension HostEndpointSpec {
    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if node.isEmpty {
            validator.error("node", "the node the endpoint belongs to is required")
        } else if let reason = NameSyntax.subdomainProblem(node) {
            validator.error("node", reason)
        }
        let name = interfaceName ?? ""
        if name.isEmpty && (expectedIPs ?? []).isEmpty {
            validator.error("interfaceName", "either interfaceName or expectedIPs is required")
        }
        if name != "*" {
            InterfaceNameRules.check("interfaceName", name, required: false, into: validator)
        }
        validator.each("ports", ports) { $0.validate(nameOptionalWithHostPort: false, into: validator) }
        PortNameRules.unique(ports, into: validator)
        ProfileNameRules.check(profiles, into: validator)
    }
}

/// Calico's interface name rule: 1 to 15 of letters, digits, `_`, `.` and `-` (HostEndpoints also take `*`).
enum InterfaceNameRules {
    static let maxLength = 15

    static func check(_ field: String, _ name: String, required: Bool, into validator: Validator) {
        if name.isEmpty {
            if required { validator.error(field, "an interface name is required") }
            return
        }
        if name == "*" { return }
        if name.utf8.count > maxLength {
            validator.error(
                field, "\"\(name)\" is longer than the kernel's \(maxLength)-character limit for interface names")
        } else if !name.utf8.allSatisfy(isAllowed) {
            validator.error(
                field, "\"\(name)\" is not a valid interface name (letters, digits, '_', '.' and '-' only)")
        } else if name == "." || name == ".." {
            validator.error(field, "\"\(name)\" is not a valid interface name")
        }
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        FelixSyntax.isAlphanumeric(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "-")
    }
}

/// Calico's container ID rule: letters, digits and `-`, starting and ending with a letter or digit.
enum ContainerIDSyntax {
    static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        let dash = UInt8(ascii: "-")
        return FelixSyntax.isAlphanumeric(first) && FelixSyntax.isAlphanumeric(last)
            && bytes.allSatisfy { FelixSyntax.isAlphanumeric($0) || $0 == dash }
    }
}

/// Profile names on endpoints are resource names (`kns.default`, `ksa.default.builder`).
enum ProfileNameRules {
    static func check(_ profiles: [String]?, into validator: Validator) {
        validator.within("profiles") {
            for (index, name) in (profiles ?? []).enumerated() {
                if name.isEmpty {
                    validator.error("[\(index)]", "a profile name must not be empty")
                } else if let reason = NameSyntax.subdomainProblem(name) {
                    validator.error("[\(index)]", reason)
                }
            }
        }
    }
}

enum PortNameRules {
    /// Two named ports may not share a name and protocol; ports without a name (hostPort only) are exempt.
    static func unique(_ ports: [EndpointPort]?, into validator: Validator) {
        guard let ports else { return }
        var seen: Set<String> = []
        for port in ports where !port.name.isEmpty && !seen.insert("\(port.name)/\(port.protocol)").inserted {
            validator.error("ports", "port \(port.name) (\(port.protocol)) is listed twice")
        }
    }
}
