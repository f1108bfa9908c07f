import CalicoAPI
import NetworkAddress

/// Calico v1 manifests (`apiVersion: v1`, calicoctl 1.x kinds) as `projectcalico.org/v3` documents, following
/// Calico's own upgrade conversion: a v1 `policy` is a GlobalNetworkPolicy `<tier>.<name>` in the `default` tier,
/// names are normalised, `ipip` is `ipipMode`, `nat-outgoing` is `natOutgoing`, tags are selectors, and so on.
/// The result is a plain document; the caller decodes and validates it as any v3 input.
enum V1Conversion {
    /// The v1 kinds calicoctl converts, as v1 spelled them.
    static let kinds = ["policy", "profile", "hostEndpoint", "workloadEndpoint", "ipPool", "node", "bgpPeer"]

    /// True for a document calicoctl 1.x wrote: `apiVersion: v1` and one of its kinds (any case). A Kubernetes
    /// `v1` object (a Namespace) is not one.
    static func isV1Calico(_ document: ManifestValue) -> Bool {
        guard document["apiVersion"]?.text == "v1", let kind = document["kind"]?.text else { return false }
        return kinds.contains { $0.lowercased() == kind.lowercased() } && kind != "Node"
    }

    static func convert(_ v1: ManifestValue) throws(V1ConversionError) -> ManifestValue {
        let kind = v1["kind"]?.text ?? ""
        let metadata = v1["metadata"] ?? .mapping([])
        let spec = v1["spec"] ?? .mapping([])
        guard metadata.isMapping else { throw V1ConversionError("metadata", "must be a mapping") }
        guard spec.isMapping || spec == .null else { throw V1ConversionError("spec", "must be a mapping") }
        switch kind.lowercased() {
        case "policy": return try policy(metadata, spec)
        case "profile": return try profile(metadata, spec)
        case "hostendpoint": return try hostEndpoint(metadata, spec)
        case "workloadendpoint": return try workloadEndpoint(metadata, spec)
        case "ippool": return try ipPool(metadata, spec)
        case "node": return try node(metadata, spec)
        case "bgppeer":
            throw V1ConversionError(
                "kind", "Tabby has no v3 model for BGPPeer (BGP is not implemented), so a bgpPeer cannot be converted")
        default:
            throw V1ConversionError("kind", "conversion of the v1 kind \"\(kind)\" is not supported")
        }
    }

    // MARK: Kinds

    private static func policy(_ metadata: ManifestValue, _ spec: ManifestValue) throws(V1ConversionError)
        -> ManifestValue
    {
        let name = try required(metadata, "name", in: "metadata")
        let tierName = metadata["tier"]?.text.map(V1Names.convertedWithoutDots) ?? ""
        let tier = tierName.isEmpty ? "default" : tierName
        var meta = ManifestValue.mapping([("name", .string(tier + "." + V1Names.convertedWithoutDots(name)))])
        meta["labels"] = .mapping([("projectcalico.org/tier", .string(tier))])
        if let annotations = metadata["annotations"], annotations != .null { meta["annotations"] = annotations }

        var out = ManifestValue.mapping([("tier", .string(tier))])
        if let order = spec["order"], order != .null { out["order"] = order }
        if let selector = spec["selector"] {
            if let converted = try V1RuleConversion.selector(selector, field: "spec.selector") {
                out["selector"] = .string(converted)
            }
        }
        let ingress = try V1RuleConversion.rules(spec["ingress"], field: "spec.ingress")
        let egress = try V1RuleConversion.rules(spec["egress"], field: "spec.egress")
        if let ingress { out["ingress"] = ingress }
        if let egress { out["egress"] = egress }
        let doNotTrack = try bool(spec, "doNotTrack")
        let preDNAT = try bool(spec, "preDNAT")
        if doNotTrack { out["doNotTrack"] = .bool(true) }
        if preDNAT { out["preDNAT"] = .bool(true) }
        // Untracked and pre-DNAT policy always applied to forwarded traffic in v1.
        let applyOnForward = try bool(spec, "applyOnForward")
        if doNotTrack || preDNAT || applyOnForward { out["applyOnForward"] = .bool(true) }
        out["types"] = try policyTypes(spec, hasIngress: !isEmpty(ingress), hasEgress: !isEmpty(egress))
        return document("GlobalNetworkPolicy", meta, out)
    }

    /// v1's `types`, or what v1 inferred without them: ingress unless there are only egress rules, both when
    /// there are both.
    private static func policyTypes(_ spec: ManifestValue, hasIngress: Bool, hasEgress: Bool)
        throws(V1ConversionError) -> ManifestValue
    {
        if case .list(let given)? = spec["types"], !given.isEmpty {
            var types: [ManifestValue] = []
            for (index, type) in given.enumerated() {
                switch type.text?.lowercased() {
                case "ingress": types.append(.string("Ingress"))
                case "egress": types.append(.string("Egress"))
                default: throw V1ConversionError("spec.types[\(index)]", "must be ingress or egress")
                }
            }
            return .list(types)
        }
        if !hasEgress { return .list([.string("Ingress")]) }
        if !hasIngress { return .list([.string("Egress")]) }
        return .list([.string("Ingress"), .string("Egress")])
    }

    private static func profile(_ metadata: ManifestValue, _ spec: ManifestValue) throws(V1ConversionError)
        -> ManifestValue
    {
        let name = V1Names.profile(try required(metadata, "name", in: "metadata"))
        var out = ManifestValue.mapping([])
        // v1's profile labels and tags are both what the profile applies to its endpoints.
        var labelsToApply = metadata["labels"]?.isMapping == true ? metadata["labels"]! : ManifestValue.mapping([])
        if case .list(let tags)? = metadata["tags"] {
            for tag in tags {
                guard let tag = tag.text else { throw V1ConversionError("metadata.tags", "tags must be strings") }
                if let existing = labelsToApply[tag] {
                    throw V1ConversionError(
                        "metadata.tags",
                        "the tag \"\(tag)\" and the label \"\(tag)=\(existing.text ?? existing.json)\" have the same "
                            + "key; change the label's key before converting")
                }
                labelsToApply[tag] = .string("")
            }
        }
        if labelsToApply != .mapping([]) { out["labelsToApply"] = labelsToApply }
        if let ingress = try V1RuleConversion.rules(spec["ingress"], field: "spec.ingress") { out["ingress"] = ingress }
        if let egress = try V1RuleConversion.rules(spec["egress"], field: "spec.egress") { out["egress"] = egress }
        return document("Profile", .mapping([("name", .string(name))]), out)
    }

    private static func hostEndpoint(_ metadata: ManifestValue, _ spec: ManifestValue) throws(V1ConversionError)
        -> ManifestValue
    {
        let node = V1Names.node(try required(metadata, "node", in: "metadata"))
        let name = try required(metadata, "name", in: "metadata")
        var meta = ManifestValue.mapping([("name", .string(V1Names.converted("\(node).\(name)")))])
        if let labels = metadata["labels"], labels != .null { meta["labels"] = labels }
        var out = ManifestValue.mapping([("node", .string(node))])
        if let interface = spec["interfaceName"], interface != .null { out["interfaceName"] = interface }
        if let ips = spec["expectedIPs"], ips != .null { out["expectedIPs"] = ips }
        if let profiles = try profiles(spec) { out["profiles"] = profiles }
        if let ports = try ports(spec) { out["ports"] = ports }
        return document("HostEndpoint", meta, out)
    }

    private static func workloadEndpoint(_ metadata: ManifestValue, _ spec: ManifestValue)
        throws(V1ConversionError) -> ManifestValue
    {
        let v1Orchestrator = try required(metadata, "orchestrator", in: "metadata")
        let v1Workload = try required(metadata, "workload", in: "metadata")
        let node = V1Names.node(try required(metadata, "node", in: "metadata"))
        let endpoint = V1Names.converted(try required(metadata, "name", in: "metadata"))
        let orchestrator = V1Names.converted(v1Orchestrator)
        var namespace = "default"
        var workload: String?
        var pod: String?
        var containerID: String?
        switch v1Orchestrator {
        case "k8s":
            let parts = v1Workload.split(separator: ".", maxSplits: 1)
            guard parts.count == 2 else {
                throw V1ConversionError(
                    "metadata.workload",
                    "malformed k8s workload ID \"\(v1Workload)\" (expected NAMESPACE.POD): the endpoint was not "
                        + "added by the Calico CNI plugin and cannot be converted")
            }
            namespace = String(parts[0])
            pod = String(parts[1])
            containerID = metadata["activeInstanceID"]?.text
        case "cni": containerID = v1Workload
        case "libnetwork": workload = "libnetwork"
        default: workload = V1Names.converted(v1Workload)
        }
        let name = try V1Names.workloadEndpoint(
            node: node, orchestrator: orchestrator, workload: workload, pod: pod, containerID: containerID,
            endpoint: endpoint)
        var meta = ManifestValue.mapping([("name", .string(name)), ("namespace", .string(namespace))])
        if case .mapping(var labels)? = metadata["labels"] {
            if let index = labels.firstIndex(where: { $0.0 == V1RuleConversion.v1NamespaceLabel }) {
                let value = labels.remove(at: index).1
                labels.removeAll { $0.0 == V1RuleConversion.v3NamespaceLabel }
                labels.append((V1RuleConversion.v3NamespaceLabel, value))
            }
            meta["labels"] = .mapping(labels)
        }
        var out = ManifestValue.mapping([("orchestrator", .string(orchestrator))])
        if let workload { out["workload"] = .string(workload) }
        out["node"] = .string(node)
        if let pod { out["pod"] = .string(pod) }
        if let containerID { out["containerID"] = .string(containerID) }
        out["endpoint"] = .string(endpoint)
        if case .list(let networks)? = spec["ipNetworks"] {
            var masked: [ManifestValue] = []
            for (index, network) in networks.enumerated() {
                masked.append(.string(try cidr(network, field: "spec.ipNetworks[\(index)]").masked.description))
            }
            out["ipNetworks"] = .list(masked)
        }
        for field in ["ipNATs", "ipv4Gateway", "ipv6Gateway", "interfaceName", "mac"] {
            if let value = spec[field], value != .null { out[field] = value }
        }
        if let profiles = try profiles(spec) { out["profiles"] = profiles }
        if let ports = try ports(spec) { out["ports"] = ports }
        return document("WorkloadEndpoint", meta, out)
    }

    private static func ipPool(_ metadata: ManifestValue, _ spec: ManifestValue) throws(V1ConversionError)
        -> ManifestValue
    {
        guard let cidrValue = metadata["cidr"] else { throw V1ConversionError("metadata.cidr", "is required") }
        let cidr = try cidr(cidrValue, field: "metadata.cidr").masked
        var ipipMode = "Never"
        if let ipip = spec["ipip"], ipip != .null {
            guard ipip.isMapping else { throw V1ConversionError("spec.ipip", "must be a mapping") }
            if try bool(ipip, "enabled", field: "spec.ipip.enabled") {
                ipipMode = ipip["mode"]?.text?.lowercased() == "cross-subnet" ? "CrossSubnet" : "Always"
            }
        }
        var out = ManifestValue.mapping([
            ("cidr", .string(cidr.description)),
            ("blockSize", .number(cidr.family == .v4 ? "26" : "122")),
            ("ipipMode", .string(ipipMode)),
            ("vxlanMode", .string("Never")),
        ])
        out["natOutgoing"] = .bool(try bool(spec, "nat-outgoing"))
        out["disabled"] = .bool(try bool(spec, "disabled"))
        out["nodeSelector"] = .string("all()")
        out["allowedUses"] = .list([.string("Workload"), .string("Tunnel")])
        return document("IPPool", .mapping([("name", .string(V1Names.pool(cidr.description)))]), out)
    }

    private static func node(_ metadata: ManifestValue, _ spec: ManifestValue) throws(V1ConversionError)
        -> ManifestValue
    {
        let name = V1Names.node(try required(metadata, "name", in: "metadata"))
        var out = ManifestValue.mapping([])
        if let bgp = spec["bgp"], bgp != .null {
            guard bgp.isMapping else { throw V1ConversionError("spec.bgp", "must be a mapping") }
            var v3 = ManifestValue.mapping([])
            if let asNumber = bgp["asNumber"], asNumber != .null { v3["asNumber"] = asNumber }
            var hasAddress = false
            for field in ["ipv4Address", "ipv6Address"] {
                guard let value = bgp[field], value != .null else { continue }
                v3[field] = .string(try nodeAddress(value, field: "spec.bgp.\(field)"))
                hasAddress = true
            }
            guard hasAddress else {
                throw V1ConversionError("spec.bgp", "needs an ipv4Address or an ipv6Address (v1 required one)")
            }
            out["bgp"] = v3
        }
        if let refs = spec["orchRefs"], refs != .null { out["orchRefs"] = refs }
        return document("Node", .mapping([("name", .string(name))]), out)
    }

    // MARK: Fields

    private static func document(_ kind: String, _ metadata: ManifestValue, _ spec: ManifestValue) -> ManifestValue {
        .mapping([
            ("apiVersion", .string(APIVersion.v3)), ("kind", .string(kind)), ("metadata", metadata), ("spec", spec),
        ])
    }

    private static func required(_ mapping: ManifestValue, _ key: String, in path: String) throws(V1ConversionError)
        -> String
    {
        guard let value = mapping[key], value != .null else { throw V1ConversionError("\(path).\(key)", "is required") }
        switch value {
        case .string(let text), .number(let text): return text
        default: throw V1ConversionError("\(path).\(key)", "must be a string")
        }
    }

    private static func bool(_ mapping: ManifestValue, _ key: String, field: String? = nil) throws(V1ConversionError)
        -> Bool
    {
        switch mapping[key] {
        case nil, .null?: return false
        case .bool(let value)?: return value
        default: throw V1ConversionError(field ?? "spec.\(key)", "must be true or false")
        }
    }

    private static func isEmpty(_ rules: ManifestValue?) -> Bool {
        guard case .list(let items)? = rules else { return true }
        return items.isEmpty
    }

    private static func cidr(_ value: ManifestValue, field: String) throws(V1ConversionError) -> CIDR {
        guard let text = value.text else { throw V1ConversionError(field, "must be a CIDR string") }
        if let cidr = CIDR(text) { return cidr }
        if let address = IPAddress(text) { return CIDR(host: address) }
        throw V1ConversionError(field, "\"\(text)\" is not a CIDR")
    }

    /// A node's BGP address keeps its host part and its subnet's length; a bare address is a full-length prefix.
    private static func nodeAddress(_ value: ManifestValue, field: String) throws(V1ConversionError) -> String {
        guard let text = value.text else { throw V1ConversionError(field, "must be an address string") }
        if CIDR(text) != nil { return text }
        if let address = IPAddress(text) { return CIDR(host: address).description }
        throw V1ConversionError(field, "\"\(text)\" is not an address")
    }

    private static func profiles(_ spec: ManifestValue) throws(V1ConversionError) -> ManifestValue? {
        guard let value = spec["profiles"], value != .null else { return nil }
        guard case .list(let items) = value else { throw V1ConversionError("spec.profiles", "must be a list") }
        var names: [ManifestValue] = []
        for (index, item) in items.enumerated() {
            guard let name = item.text else { throw V1ConversionError("spec.profiles[\(index)]", "must be a string") }
            names.append(.string(V1Names.profile(name)))
        }
        return .list(names)
    }

    private static func ports(_ spec: ManifestValue) throws(V1ConversionError) -> ManifestValue? {
        guard let value = spec["ports"], value != .null else { return nil }
        guard case .list(let items) = value else { throw V1ConversionError("spec.ports", "must be a list") }
        var ports: [ManifestValue] = []
        for (index, var port) in items.enumerated() {
            if let proto = port["protocol"], proto != .null {
                port["protocol"] = try V1RuleConversion.proto(proto, field: "spec.ports[\(index)].protocol")
            }
            ports.append(port)
        }
        return .list(ports)
    }
}
