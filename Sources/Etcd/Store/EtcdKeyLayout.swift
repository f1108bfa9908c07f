import CalicoAPI
import Datastore
import NetworkAddress

/// Where each resource lives in etcd: Calico's own layout, so that Calico's tools and Tabby share one cluster.
///
/// ```
/// /calico/resources/v3/projectcalico.org/<plural>/<name>               Calico kinds, cluster-wide
/// /calico/resources/v3/projectcalico.org/<plural>/<namespace>/<name>   Calico kinds, namespaced
/// /calico/tabby/kubernetes/<plural>/[<namespace>/]<name>               the Kubernetes kinds Tabby keeps
/// /calico/ipam/v2/assignment/ipv4/block/10.244.1.0-26                  IPAMBlock 10-244-1-0-26
/// /calico/ipam/v2/host/<node>/ipv4/block/10.244.1.0-26                 BlockAffinity <node>-10-244-1-0-26
/// /calico/ipam/v2/virtual/<name>/ipv4/block/10.244.1.0-26              the same, with spec.type virtual
/// /calico/ipam/v2/handle/<handle name>                                 IPAMHandle
/// /calico/ipam/v2/config                                               IPAMConfiguration default
/// ```
///
/// Anything else under `/calico/` (Felix's `/calico/v1/...`, kinds Tabby does not have) is not Tabby's and is
/// ignored.
enum EtcdKeyLayout {
    static let calicoPrefix = "/calico/"
    static let resourcesPrefix = "/calico/resources/v3/projectcalico.org/"
    static let kubernetesPrefix = "/calico/tabby/kubernetes/"
    static let blocksPrefix = "/calico/ipam/v2/assignment/"
    static let hostAffinitiesPrefix = "/calico/ipam/v2/host/"
    static let virtualAffinitiesPrefix = "/calico/ipam/v2/virtual/"
    static let handlesPrefix = "/calico/ipam/v2/handle/"
    static let configKey = "/calico/ipam/v2/config"
    static let configName = "default"

    /// A span of keys: every key starting with `prefix`, or the single key `prefix` when `exact`.
    struct KeyRange: Hashable, Sendable {
        var prefix: String
        var exact = false

        var request: (key: [UInt8], rangeEnd: [UInt8]?) {
            let key = Array(prefix.utf8)
            return (key, exact ? nil : EtcdRangeRequest.prefixEnd(of: key))
        }
    }

    /// The keys holding resources of `kind` (in `namespace`, when given and the kind has namespaces).
    static func ranges(of kind: ResourceKind, namespace: String? = nil) -> [KeyRange] {
        switch kind {
        case .ipamBlock: return [KeyRange(prefix: blocksPrefix)]
        case .blockAffinity:
            return [KeyRange(prefix: hostAffinitiesPrefix), KeyRange(prefix: virtualAffinitiesPrefix)]
        case .ipamHandle: return [KeyRange(prefix: handlesPrefix)]
        case .ipamConfiguration: return [KeyRange(prefix: configKey, exact: true)]
        default:
            var prefix = kindPrefix(kind)
            if kind.isNamespaced, let namespace { prefix += namespace + "/" }
            return [KeyRange(prefix: prefix)]
        }
    }

    /// `/calico/resources/v3/projectcalico.org/<plural>/` or `/calico/tabby/kubernetes/<plural>/`.
    static func kindPrefix(_ kind: ResourceKind) -> String {
        (kind.isKubernetesCore ? kubernetesPrefix : resourcesPrefix) + kind.plural + "/"
    }

    // MARK: Resource -> key

    /// The key a resource is written under. IPAM objects' keys come from their content (a block's CIDR, an
    /// affinity's node and CIDR), so their names must be the ones that content gives; anything else is
    /// `.invalid`, naming the name it should have.
    static func key(of resource: AnyResource) throws(DatastoreError) -> String {
        let name = resource.metadata.name
        func mismatch(_ expected: String, _ what: String) -> DatastoreError {
            .invalid(
                resource.key,
                [
                    ResourceError(
                        kind: resource.kind.rawValue, name: name, field: "metadata.name",
                        reason: "in etcd a \(resource.kind) is named for its \(what): \"\(expected)\" (got \"\(name)\")")
                ])
        }
        switch resource.kind {
        case .ipamBlock:
            guard let cidr = resource.as(IPAMBlock.self)?.spec.cidr?.masked else { break }
            let expected = IPAMKeyNames.block(cidr)
            guard expected == name else { throw mismatch(expected, "CIDR") }
            return blockKey(cidr)
        case .blockAffinity:
            guard let spec = resource.as(BlockAffinity.self)?.spec, let cidr = spec.cidr?.masked else { break }
            let expected = IPAMKeyNames.affinity(node: spec.node, block: cidr)
            guard expected == name else { throw mismatch(expected, "node and block") }
            return affinityKey(node: spec.node, cidr: cidr, virtual: spec.type == "virtual")
        case .ipamConfiguration:
            return configKey
        default:
            break
        }
        return plainKey(resource.key)
    }

    /// The keys where `key` may be stored, most likely first: one for most kinds; for a BlockAffinity, one per
    /// way its name splits into a node and a block, as host and as virtual affinity.
    static func candidateKeys(of key: ResourceKey) -> [String] {
        switch key.kind {
        case .ipamBlock:
            return IPAMKeyNames.blockCIDR(fromName: key.name).map { [blockKey($0)] } ?? []
        case .blockAffinity:
            let splits = IPAMKeyNames.affinitySplits(key.name)
            return splits.map { affinityKey(node: $0.node, cidr: $0.cidr, virtual: false) }
                + splits.map { affinityKey(node: $0.node, cidr: $0.cidr, virtual: true) }
        case .ipamConfiguration:
            return key.name == configName ? [configKey] : []
        default:
            return [plainKey(key)]
        }
    }

    static func blockKey(_ cidr: CIDR) -> String {
        "\(blocksPrefix)ipv\(cidr.family.rawValue)/block/\(IPAMKeyNames.keyForm(cidr))"
    }

    static func affinityKey(node: String, cidr: CIDR, virtual: Bool) -> String {
        let prefix = virtual ? virtualAffinitiesPrefix : hostAffinitiesPrefix
        return "\(prefix)\(node)/ipv\(cidr.family.rawValue)/block/\(IPAMKeyNames.keyForm(cidr))"
    }

    /// The key of a kind named by its name alone (handles, and every non-IPAM kind).
    private static func plainKey(_ key: ResourceKey) -> String {
        if key.kind == .ipamHandle { return handlesPrefix + key.name }
        var path = kindPrefix(key.kind)
        if key.kind.isNamespaced { path += (key.namespace ?? "") + "/" }
        return path + key.name
    }

    // MARK: Key -> resource

    /// What a key says about the object stored under it.
    struct StoredKey: Equatable, Sendable {
        var key: ResourceKey
        /// What an IPAM object's key carries that its Calico value leaves out.
        var ipam: IPAMFields?
    }

    enum IPAMFields: Equatable, Sendable {
        case block(CIDR)
        case affinity(node: String, cidr: CIDR, virtual: Bool)
        case handle(id: String)
        case config
    }

    /// What `key` holds: `.object` for a key of Tabby's kinds, `.malformed` for a key in a kind's place that no
    /// resource can have (it is reported, as a broken file is), nil for a key that is not Tabby's.
    enum Parsed: Equatable, Sendable {
        case object(StoredKey)
        case malformed(ResourceKind, reason: String)
    }

    static func parse(_ key: String) -> Parsed? {
        if key.hasPrefix(resourcesPrefix) || key.hasPrefix(kubernetesPrefix) {
            let kubernetes = key.hasPrefix(kubernetesPrefix)
            let rest = key.dropFirst(kubernetes ? kubernetesPrefix.utf8.count : resourcesPrefix.utf8.count)
            let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
            guard let plural = parts.first,
                let kind = ResourceKind.allCases.first(where: {
                    !$0.isIPAM && $0.isKubernetesCore == kubernetes && $0.plural == plural
                })
            else { return nil }
            let expected = kind.isNamespaced ? 3 : 2
            guard parts.count == expected, parts.dropFirst().allSatisfy({ !$0.isEmpty }) else {
                let shape = kindPrefix(kind) + (kind.isNamespaced ? "<namespace>/<name>" : "<name>")
                return .malformed(kind, reason: "a \(kind) is stored under \(shape)")
            }
            let namespace = kind.isNamespaced ? String(parts[1]) : nil
            return .object(StoredKey(key: ResourceKey(kind: kind, namespace: namespace, name: String(parts.last!))))
        }
        if key == configKey {
            return .object(
                StoredKey(key: ResourceKey(kind: .ipamConfiguration, name: configName), ipam: .config))
        }
        if key.hasPrefix(handlesPrefix) {
            let id = key.dropFirst(handlesPrefix.utf8.count)
            guard !id.isEmpty, !id.contains("/") else {
                return .malformed(.ipamHandle, reason: "an IPAMHandle is stored under \(handlesPrefix)<handle ID>")
            }
            return .object(
                StoredKey(key: ResourceKey(kind: .ipamHandle, name: String(id)), ipam: .handle(id: String(id))))
        }
        if key.hasPrefix(blocksPrefix) {
            let parts = key.dropFirst(blocksPrefix.utf8.count).split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[1] == "block", let cidr = IPAMKeyNames.cidr(fromKeyForm: parts[2]),
                parts[0] == "ipv\(cidr.family.rawValue)"
            else {
                return .malformed(
                    .ipamBlock, reason: "an IPAMBlock is stored under \(blocksPrefix)ipv4/block/<address>-<prefix length>")
            }
            return .object(
                StoredKey(key: ResourceKey(kind: .ipamBlock, name: IPAMKeyNames.block(cidr)), ipam: .block(cidr)))
        }
        for (prefix, virtual) in [(hostAffinitiesPrefix, false), (virtualAffinitiesPrefix, true)]
        where key.hasPrefix(prefix) {
            let parts = key.dropFirst(prefix.utf8.count).split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 4, !parts[0].isEmpty, parts[2] == "block",
                let cidr = IPAMKeyNames.cidr(fromKeyForm: parts[3]), parts[1] == "ipv\(cidr.family.rawValue)"
            else {
                return .malformed(
                    .blockAffinity,
                    reason: "a BlockAffinity is stored under \(prefix)<node>/ipv4/block/<address>-<prefix length>")
            }
            let node = String(parts[0])
            return .object(
                StoredKey(
                    key: ResourceKey(kind: .blockAffinity, name: IPAMKeyNames.affinity(node: node, block: cidr)),
                    ipam: .affinity(node: node, cidr: cidr, virtual: virtual)))
        }
        return nil
    }
}
