import CalicoAPI
import Foundation
import NetworkAddress

/// How a workload's addresses are to be chosen, decided in Calico's order of precedence:
/// 1. the addresses the runtime requests (runtimeConfig `ips`, CNI_ARGS `IP=`);
/// 2. else the pod's `cni.projectcalico.org/ipAddrs`;
/// 3. else one address per family (`assign_ipv4`/`assign_ipv6`, or the pod's or else its Namespace's
///    `cni.projectcalico.org/ipFamilies`), each from the pools of the pod's `cni.projectcalico.org/ipv4pools`/
///    `ipv6pools`, else of its Namespace's annotation of the same name, else of the config's
///    `ipv4_pools`/`ipv6_pools`, else from every enabled pool whose nodeSelector matches the node.
enum AddressPlan: Equatable {
    /// Exactly these addresses, at most one per family, IPv4 first.
    case specific([IPAddress], source: SpecificSource)
    /// One address of each listed family, IPv4 first, from the pools named (every usable pool when empty).
    case automatic([FamilyPools])

    enum SpecificSource: Equatable {
        case request
        case podAnnotation

        /// Where the addresses came from, as an error names it.
        var description: String {
            switch self {
            case .request: "the runtime (runtimeConfig ips or CNI_ARGS IP)"
            case .podAnnotation: "the pod's \(PodSpec.Annotation.ipAddresses) annotation"
            }
        }
    }

    struct FamilyPools: Equatable {
        var family: IPFamily
        /// Pool names or CIDRs, as given.
        var pools: [String]
        /// Where `pools` came from (for errors); nil when none were named.
        var source: String?
    }
}

enum AddressChoice {
    /// The plan for a workload from the request, its pod and its pod's Namespace (either may be unknown).
    static func plan(request: AddressRequest, pod: Pod?, namespace: Namespace?) throws(CNIError) -> AddressPlan {
        if !request.requestedAddresses.isEmpty {
            let addresses = try onePerFamily(
                request.requestedAddresses, label: "the requested addresses (runtimeConfig ips, CNI_ARGS IP)")
            return .specific(addresses, source: .request)
        }
        if let text = pod?.metadata.annotations?[PodSpec.Annotation.ipAddresses], !text.isEmpty {
            return .specific(try annotatedAddresses(text), source: .podAnnotation)
        }
        let (assignIPv4, assignIPv6) =
            try annotatedFamilies(pod: pod, namespace: namespace) ?? (request.assignIPv4, request.assignIPv6)
        var families: [AddressPlan.FamilyPools] = []
        let wanted: [(IPFamily, Bool, String, [String])] = [
            (.v4, assignIPv4, PodSpec.Annotation.ipv4Pools, request.ipv4Pools),
            (.v6, assignIPv6, PodSpec.Annotation.ipv6Pools, request.ipv6Pools),
        ]
        for (family, assign, annotation, configured) in wanted where assign {
            families.append(
                try pools(
                    family: family, annotation: annotation, pod: pod, namespace: namespace, configured: configured))
        }
        guard !families.isEmpty else {
            throw CNIError(
                .invalidNetworkConfig, "no address to assign",
                details: "ipam.assign_ipv4 and ipam.assign_ipv6 are both false and no address was requested")
        }
        return .automatic(families)
    }

    /// Calico's `cni.projectcalico.org/ipFamilies` annotation (the pod's, else its Namespace's): a JSON list of
    /// `IPv4` and `IPv6` that replaces `assign_ipv4`/`assign_ipv6`. Nil when neither has it.
    static let ipFamiliesAnnotation = "cni.projectcalico.org/ipFamilies"

    static func annotatedFamilies(pod: Pod?, namespace: Namespace?) throws(CNIError) -> (Bool, Bool)? {
        let sources = [
            ("the pod's", pod?.metadata.annotations?[ipFamiliesAnnotation]),
            ("Namespace \(namespace?.metadata.name ?? "")'s", namespace?.metadata.annotations?[ipFamiliesAnnotation]),
        ]
        for (owner, value) in sources {
            guard let text = value, !text.isEmpty else { continue }
            let reason = "\(owner) \(ipFamiliesAnnotation) annotation must be a JSON list of IPv4 and IPv6"
            guard let list = jsonStrings(text) else {
                throw CNIError(.addressUnavailable, "error parsing ipFamilies: \(text)", details: reason)
            }
            if let other = list.first(where: { $0 != "IPv4" && $0 != "IPv6" }) {
                throw CNIError(
                    .addressUnavailable, "error parsing ipFamilies: \(text)", details: "\(reason) (got \"\(other)\")")
            }
            return (list.contains("IPv4"), list.contains("IPv6"))
        }
        return nil
    }

    /// Calico's rule for the pod's `ipAddrs` annotation: a JSON list of one IPv4 and/or one IPv6 address.
    static func annotatedAddresses(_ text: String) throws(CNIError) -> [IPAddress] {
        let annotation = PodSpec.Annotation.ipAddresses
        guard let list = jsonStrings(text) else {
            throw CNIError(
                .addressUnavailable, "failed to parse IPs \(text) for annotation \"\(annotation)\"",
                details: "the annotation must be a JSON list of addresses, like [\"192.0.2.7\", \"2001:db8::7\"]")
        }
        guard !list.isEmpty else {
            throw CNIError(.addressUnavailable, "annotation \"\(annotation)\" specified but empty")
        }
        var addresses: [IPAddress] = []
        for entry in list {
            guard let address = IPAddress(entry) else {
                throw CNIError(
                    .addressUnavailable, "invalid IP format: \(entry)",
                    details: "in the pod's \(annotation) annotation \(text)")
            }
            addresses.append(address)
        }
        return try onePerFamily(addresses, label: "\"\(annotation)\" annotation")
    }

    /// At most one address of each family (the CNI result has one per interface and family), IPv4 first.
    static func onePerFamily(_ addresses: [IPAddress], label: String) throws(CNIError) -> [IPAddress] {
        for family in [IPFamily.v4, .v6] {
            let ofFamily = addresses.filter { $0.family == family }
            if ofFamily.count > 1 {
                throw CNIError(
                    .addressUnavailable, "cannot have more than one IPv\(family.rawValue) address for \(label)",
                    details: "requested " + ofFamily.map(\.description).joined(separator: ", "))
            }
        }
        return addresses.filter { $0.family == .v4 } + addresses.filter { $0.family == .v6 }
    }

    /// The pools of one family: the pod's annotation, else the namespace's, else the config's. A present
    /// annotation wins even when it lists nothing (then every usable pool serves), as in Calico.
    private static func pools(
        family: IPFamily, annotation: String, pod: Pod?, namespace: Namespace?, configured: [String]
    ) throws(CNIError) -> AddressPlan.FamilyPools {
        let sources: [(String, String?)] = [
            ("the pod's \(annotation) annotation", pod?.metadata.annotations?[annotation]),
            (
                "the annotation \(annotation) of Namespace \(namespace?.metadata.name ?? "")",
                namespace?.metadata.annotations?[annotation]
            ),
        ]
        for (source, value) in sources {
            guard let value, !value.isEmpty else { continue }
            guard let list = jsonStrings(value) else {
                throw CNIError(
                    .addressUnavailable, "Error parsing IPv\(family.rawValue) IPPools",
                    details: "\(source) must be a JSON list of pool names or CIDRs (got \(value))")
            }
            return AddressPlan.FamilyPools(family: family, pools: list, source: source)
        }
        return AddressPlan.FamilyPools(
            family: family, pools: configured,
            source: configured.isEmpty ? nil : "the config's ipam.ipv\(family.rawValue)_pools")
    }

    /// A JSON list of strings; nil when the text is anything else.
    static func jsonStrings(_ text: String) -> [String]? {
        try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}
