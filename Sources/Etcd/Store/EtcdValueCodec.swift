import CalicoAPI
import Datastore
import Foundation
import NetworkAddress

/// What one etcd key holds: a resource, or the reason it cannot be used.
enum EtcdObject: Equatable, Sendable {
    case resource(AnyResource)
    case problem(DatastoreProblem)
}

/// The values under Calico's keys, both ways: Calico kinds as the JSON calicoctl writes (the whole resource but
/// its resourceVersion, which is the key's mod revision), IPAM objects as Calico's IPAM model JSON.
enum EtcdValueCodec {
    // MARK: Writing

    /// The value to store for `resource` (validated, stamped).
    static func encode(_ resource: AnyResource) -> [UInt8] {
        switch resource.kind {
        case .ipamBlock:
            return json(model(of: resource.as(IPAMBlock.self)!.spec))
        case .blockAffinity:
            let spec = resource.as(BlockAffinity.self)!.spec
            return json(CalicoIPAMModel.BlockAffinity(state: spec.state.rawValue, deleted: spec.deleted ?? false))
        case .ipamHandle:
            let spec = resource.as(IPAMHandle.self)!.spec
            return json(
                CalicoIPAMModel.IPAMHandle(handleID: spec.handleID, block: spec.block, deleted: spec.deleted ?? false))
        case .ipamConfiguration:
            let spec = resource.as(IPAMConfiguration.self)!.spec
            return json(
                CalicoIPAMModel.IPAMConfig(
                    strictAffinity: spec.effectiveStrictAffinity, autoAllocateBlocks: spec.effectiveAutoAllocateBlocks,
                    maxBlocksPerHost: spec.maxBlocksPerHost ?? 0, ipCooldownSeconds: spec.ipCooldownSeconds,
                    kubeVirtVMAddressPersistence: spec.kubeVirtVMAddressPersistence))
        default:
            var resource = resource
            resource.metadata.resourceVersion = nil
            return json(resource)
        }
    }

    private static func model(of spec: IPAMBlockSpec) -> CalicoIPAMModel.AllocationBlock {
        CalicoIPAMModel.AllocationBlock(
            cidr: spec.cidr?.description ?? "", affinity: spec.affinity, affinityClaimTime: spec.affinityClaimTime,
            strictAffinity: spec.strictAffinity ?? false, allocations: spec.allocations,
            unallocated: spec.unallocated,
            attributes: spec.attributes.map {
                CalicoIPAMModel.AllocationBlock.Attribute(
                    handleID: $0.handleID, secondary: $0.secondary, alternate: $0.alternateOwnerAttrs,
                    releasedAt: $0.releasedAt)
            },
            deleted: spec.deleted ?? false, sequenceNumber: spec.sequenceNumber ?? 0,
            sequenceNumberForAllocation: spec.sequenceNumberForAllocation)
    }

    private static func json(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Our own value types hold only strings, numbers, bools, lists and maps: encoding cannot fail.
        return Array(try! encoder.encode(value))
    }

    // MARK: Reading

    /// The object under an etcd key; nil when the key is not one of Tabby's.
    static func decode(_ kv: EtcdKeyValue) -> EtcdObject? {
        let key = String(decoding: kv.key, as: UTF8.self)
        switch EtcdKeyLayout.parse(key) {
        case nil:
            return nil
        case .malformed(let kind, let reason):
            return .problem(
                DatastoreProblem(
                    path: key, error: ResourceError(source: key, kind: kind.rawValue, reason: "unexpected key: \(reason)")))
        case .object(let stored):
            return decode(kv.value, key: key, stored: stored, modRevision: kv.modRevision)
        }
    }

    /// The object `value` holds under `key`, which the layout says holds `stored`.
    static func decode(_ value: [UInt8], key: String, stored: EtcdKeyLayout.StoredKey, modRevision: Int64)
        -> EtcdObject
    {
        func problem(_ reason: String, field: String? = nil) -> EtcdObject {
            .problem(
                DatastoreProblem(
                    path: key,
                    error: ResourceError(
                        source: key, kind: stored.key.kind.rawValue, namespace: stored.key.namespace,
                        name: stored.key.name, field: field, reason: reason)))
        }
        guard let text = String(validating: value, as: UTF8.self) else {
            return problem("the value is not UTF-8 text")
        }
        guard text.utf8.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == UInt8(ascii: "{") else {
            return problem("the value is not a JSON object (Calico stores each object as JSON)")
        }
        var resource: AnyResource
        switch stored.ipam {
        case nil:
            switch calicoResource(text, key: key, stored: stored) {
            case .failure(let error): return .problem(DatastoreProblem(path: key, error: error))
            case .success(let decoded): resource = decoded
            }
        case .some(let fields):
            do {
                resource = try ipamResource(value, fields: fields, name: stored.key.name)
            } catch let error as KeyMismatch {
                return problem(error.reason, field: error.field)
            } catch {
                let (field, reason) = describe(error)
                return problem(reason, field: field)
            }
            resource.applyDefaults()
            if let first = resource.validate().first {
                return problem(first.reason, field: first.path)
            }
        }
        resource.metadata.resourceVersion = String(modRevision)
        return .resource(resource)
    }

    /// A Calico kind: the manifest decoder's defaults and validation, and the key must match the content.
    private static func calicoResource(_ text: String, key: String, stored: EtcdKeyLayout.StoredKey)
        -> Result<AnyResource, ResourceError>
    {
        let expected = stored.key
        func problem(_ reason: String, field: String? = nil) -> Result<AnyResource, ResourceError> {
            .failure(
                ResourceError(
                    source: key, kind: expected.kind.rawValue, namespace: expected.namespace, name: expected.name,
                    field: field, reason: reason))
        }
        let decoded = ResourceCodec.decode(text, source: key)
        if var error = decoded.errors.first {
            if decoded.errors.count > 1 {
                error.reason += "; also: "
                    + decoded.errors.dropFirst().map { other in
                        var other = other
                        other.source = nil
                        return other.description
                    }.joined(separator: "; ")
            }
            error.document = nil
            // A value that does not parse says nothing of itself: the key does.
            if error.kind == nil {
                error.kind = expected.kind.rawValue
                error.namespace = expected.namespace
                error.name = expected.name
            }
            return .failure(error)
        }
        guard decoded.resources.count == 1, let resource = decoded.resources.first else {
            return problem("a key holds exactly one resource, this one holds \(decoded.resources.count)")
        }
        let found = resource.key
        if found.kind != expected.kind {
            return problem("the key is one of a \(expected.kind) but the value holds a \(found.kind)", field: "kind")
        }
        if found.namespace != expected.namespace {
            return problem(
                "the key is in namespace \"\(expected.namespace ?? "")\" but the value holds namespace "
                    + "\"\(found.namespace ?? "")\"",
                field: "metadata.namespace")
        }
        if found.name != expected.name {
            return problem(
                "the key names \"\(expected.name)\" but the value holds \"\(found.name)\"", field: "metadata.name")
        }
        return .success(resource)
    }

    /// A key and its value that disagree.
    private struct KeyMismatch: Error {
        var field: String
        var reason: String
    }

    private static func ipamResource(_ value: [UInt8], fields: EtcdKeyLayout.IPAMFields, name: String) throws
        -> AnyResource
    {
        let decoder = JSONDecoder()
        let data = Data(value)
        switch fields {
        case .block(let cidr):
            let model = try decoder.decode(CalicoIPAMModel.AllocationBlock.self, from: data)
            guard let valueCIDR = CIDR(model.cidr) else {
                throw KeyMismatch(field: "spec.cidr", reason: "\"\(model.cidr)\" is not a CIDR")
            }
            guard valueCIDR == cidr else {
                throw KeyMismatch(
                    field: "spec.cidr", reason: "the key is the block \(cidr) but the value holds \(model.cidr)")
            }
            var spec = IPAMBlockSpec()
            spec.cidr = cidr
            spec.affinity = model.affinity ?? model.hostAffinity.map { "host:" + $0 }
            spec.affinityClaimTime = model.affinityClaimTime
            spec.strictAffinity = model.strictAffinity ? true : nil
            spec.allocations = model.allocations
            spec.unallocated = model.unallocated
            spec.attributes = model.attributes.map { attribute in
                var converted = IPAMBlockSpec.AllocationAttribute(
                    handleID: attribute.handleID, secondary: attribute.secondary)
                converted.alternateOwnerAttrs = attribute.alternate
                converted.releasedAt = attribute.releasedAt
                return converted
            }
            spec.deleted = model.deleted ? true : nil
            spec.sequenceNumber = model.sequenceNumber
            spec.sequenceNumberForAllocation = model.sequenceNumberForAllocation
            return AnyResource(IPAMBlock(name: name, spec: spec))
        case .affinity(let node, let cidr, let virtual):
            let model = try decoder.decode(CalicoIPAMModel.BlockAffinity.self, from: data)
            // Affinities written before Calico had states are confirmed ones.
            guard let state = model.state.isEmpty ? .confirmed : BlockAffinityState(rawValue: model.state) else {
                throw KeyMismatch(
                    field: "spec.state",
                    reason: "unknown state \"\(model.state)\" (pending, confirmed or pendingDeletion)")
            }
            var spec = BlockAffinitySpec(state: state, node: node, cidr: cidr)
            spec.type = virtual ? "virtual" : "host"
            spec.deleted = model.deleted ? true : nil
            return AnyResource(BlockAffinity(name: name, spec: spec))
        case .handle(let id):
            let model = try decoder.decode(CalicoIPAMModel.IPAMHandle.self, from: data)
            var spec = IPAMHandleSpec(handleID: model.handleID ?? id)
            spec.block = model.block
            spec.deleted = model.deleted ? true : nil
            return AnyResource(IPAMHandle(name: name, spec: spec))
        case .config:
            let model = try decoder.decode(CalicoIPAMModel.IPAMConfig.self, from: data)
            var spec = IPAMConfigurationSpec()
            spec.strictAffinity = model.strictAffinity
            spec.autoAllocateBlocks = model.autoAllocateBlocks
            spec.maxBlocksPerHost = model.maxBlocksPerHost
            spec.ipCooldownSeconds = model.ipCooldownSeconds
            spec.kubeVirtVMAddressPersistence = model.kubeVirtVMAddressPersistence
            return AnyResource(IPAMConfiguration(name: EtcdKeyLayout.configName, spec: spec))
        }
    }

    /// A JSON decoding error as a field path (`spec.allocations[3]`) and what is wrong there.
    static func describe(_ error: any Error) -> (field: String?, reason: String) {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String? {
            let keys = codingPath + (last.map { [$0] } ?? [])
            guard !keys.isEmpty else { return nil }
            var text = "spec"
            for key in keys {
                if let index = key.intValue { text += "[\(index)]" } else { text += "." + key.stringValue }
            }
            return text
        }
        guard let error = error as? DecodingError else { return (nil, "cannot decode the value: \(error)") }
        switch error {
        case .typeMismatch(let type, let context):
            return (path(context.codingPath), "expected \(typeName(type))")
        case .valueNotFound(let type, let context):
            return (path(context.codingPath), "expected \(typeName(type)), got null")
        case .keyNotFound(let key, let context):
            return (path(context.codingPath, key), "is required")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return (nil, "the value is not valid JSON") }
            return (path(context.codingPath), context.debugDescription)
        @unknown default:
            return (nil, "cannot decode the value: \(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is UInt64.Type, is Optional<Int>.Type: "an integer"
        case is [Any].Type: "a list"
        case is [String: Any].Type: "a mapping"
        default: "a \(type)"
        }
    }
}
