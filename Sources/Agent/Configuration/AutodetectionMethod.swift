import NetworkAddress

/// How an autodetected node address is found: calico-node's `IP_AUTODETECTION_METHOD` and
/// `IP6_AUTODETECTION_METHOD`, with the same names and list syntax (values separated by commas).
public enum AutodetectionMethod: Sendable, Equatable, CustomStringConvertible {
    /// The first global unicast address on an interface that is not one of ``defaultSkippedInterfaces``.
    case firstFound
    /// The first address on an interface whose name matches one of the regular expressions.
    case interface([String])
    /// Like `firstFound`, also skipping interfaces whose names match one of the regular expressions.
    case skipInterface([String])
    /// The source address the kernel picks for traffic to this address (no packet is sent).
    case canReach(IPAddress)
    /// The first address inside one of these networks.
    case cidr([CIDR])

    /// Interfaces calico-node never takes its address from with `first-found` and `skip-interface`
    /// (node/pkg/lifecycle/startup/autodetection, Linux): container bridges, veths, loopback and the tunnel
    /// and workload devices of Calico and of other CNIs. Unanchored at the end, like calico-node's.
    public static let defaultSkippedInterfaces = [
        "^docker.*", "^cbr.*", "^dummy.*", "^podman.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo", "^cali.*",
        "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*", "^vxlan\\.calico.*", "^vxlan-v6\\.calico.*",
        "^wireguard\\.cali.*", "^wg-v6\\.cali.*", "^nodelocaldns.*",
    ]

    public var description: String {
        switch self {
        case .firstFound: "first-found"
        case .interface(let patterns): "interface=" + patterns.joined(separator: ",")
        case .skipInterface(let patterns): "skip-interface=" + patterns.joined(separator: ",")
        case .canReach(let address): "can-reach=\(address)"
        case .cidr(let networks): "cidr=" + networks.map(\.description).joined(separator: ",")
        }
    }

    /// Parses a method for addresses of `family`; `field` names the setting in errors.
    static func parse(_ text: String, family: IPFamily, field: String, source: ConfigurationSource)
        throws(ConfigurationError) -> AutodetectionMethod
    {
        func fail(_ reason: String) -> ConfigurationError {
            ConfigurationError(source: source, field: field, reason: reason)
        }
        let value = text.trimmingSpaces()
        if value.isEmpty || value == "first-found" { return .firstFound }
        if value == "kubernetes-internal-ip" {
            throw fail(
                "kubernetes-internal-ip is not supported: Tabby does not read Kubernetes Node objects "
                    + "(use first-found, interface=, skip-interface=, can-reach= or cidr=)")
        }
        guard let equals = value.firstIndex(of: "="),
            ["interface", "skip-interface", "can-reach", "cidr"].contains(String(value[..<equals]))
        else {
            throw fail(
                "unknown method \"\(value)\" (use first-found, interface=REGEX, skip-interface=REGEX, "
                    + "can-reach=ADDRESS or cidr=CIDR)")
        }
        let kind = String(value[..<equals])
        let argument = String(value[value.index(after: equals)...])
        // calico-node splits lists at commas with any spaces around them.
        let items = argument.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0).trimmingSpaces()
        }
        if items.contains(where: \.isEmpty) {
            throw fail("\(kind)= needs a value (an empty item in \"\(argument)\")")
        }
        switch kind {
        case "interface", "skip-interface":
            for pattern in items {
                if let problem = InterfaceNamePatterns.problem(with: pattern) {
                    throw fail("\(kind)=: \"\(pattern)\" is not a regular expression: \(problem)")
                }
            }
            return kind == "interface" ? .interface(items) : .skipInterface(items)
        case "can-reach":
            guard items.count == 1, let address = IPAddress(items[0]) else {
                throw fail("can-reach= takes one IP address (got \"\(argument)\"); host names are not resolved")
            }
            guard address.family == family else {
                throw fail("can-reach=\(address) is not an IPv\(family.rawValue) address")
            }
            return .canReach(address)
        default:
            var networks: [CIDR] = []
            for item in items {
                let network: CIDR
                do {
                    network = try CIDR(parsing: item)
                } catch {
                    throw fail("cidr=: \(error.description)")
                }
                guard network.family == family else {
                    throw fail("cidr=\(item) is not an IPv\(family.rawValue) network")
                }
                networks.append(network.masked)
            }
            return .cidr(networks)
        }
    }
}

/// Interface-name regular expressions, matched anywhere in the name as calico-node (Go's `MatchString`) does.
enum InterfaceNamePatterns {
    /// Why `pattern` does not compile; nil when it does.
    static func problem(with pattern: String) -> String? {
        do {
            _ = try Regex(pattern)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Whether any of `patterns` matches somewhere in `name`; patterns that do not compile match nothing
    /// (they were checked when the configuration was read).
    static func matches(_ name: String, any patterns: [String]) -> Bool {
        patterns.contains { pattern in
            guard let regex = try? Regex(pattern) else { return false }
            return (try? regex.firstMatch(in: name)) != nil
        }
    }
}
