import Foundation
import NetworkAddress
import Testing

@testable import CalicoAPI

/// Encoding straight to a node tree gives exactly the tree the JSON path gives (JSON text read back by the
/// parser), for every kind, every example manifest, and the awkward values: nulls in lists, fractional and
/// integral `order`, keys with digits and capitals, empty maps, strings that look like numbers.
@Suite struct ManifestEncoderTests {
    static func viaJSON(_ resource: AnyResource) throws -> ManifestNode {
        try #require(try ManifestParser.parse(ResourceCodec.json(resource)).first?.root)
    }

    /// The tree without source locations (the JSON path has them, the encoder does not).
    static func bare(_ node: ManifestNode) -> ManifestNode {
        switch node.value {
        case .scalar: return ManifestNode(node.value)
        case .sequence(let items): return ManifestNode(.sequence(items.map(bare)))
        case .mapping(let entries):
            return ManifestNode(
                .mapping(entries.map { ManifestNode.Entry(key: $0.key, keyLocation: nil, value: bare($0.value)) }))
        }
    }

    static let awkward = """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: a, labels: {"10": x, "2": y, B: z, a: w, a10: v, a9: u}}
        spec: {order: 100, selector: all(), ingress: [{action: Allow}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: b, annotations: {k: "0123", n: "true", e: ""}}
        spec: {order: 12.25, types: [Egress], egress: [{action: Deny, protocol: TCP, destination: {ports: [80, "8000:8080"]}}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: IPAMBlock
        metadata: {name: 203-0-113-0-30}
        spec:
          cidr: 203.0.113.0/30
          affinity: host:node-1
          allocations: [0, null, 1, null]
          unallocated: [1, 3]
          attributes:
          - {handle_id: h1, secondary: {node: node-1, timestamp: "2026-12-03 12:00:00.1 +0000 UTC"}}
          - {handle_id: h2, secondary: {}}
          sequenceNumber: 4
          sequenceNumberForAllocation: {"0": 1, "2": 3}
        ---
        apiVersion: projectcalico.org/v3
        kind: Node
        metadata: {name: node-1}
        spec:
          bgp: {ipv4Address: 192.0.2.1/24, ipv6Address: "2001:db8::1/64"}
          ipv4VXLANTunnelAddr: 203.0.113.1
          ipv6VXLANTunnelAddr: "2001:db8:64::1"
        """

    @Test func treesAgreeWithTheJSONPath() throws {
        var texts = [CanonicalYAMLReaderTests.everyKind, Self.awkward]
        let examples = CanonicalYAMLReaderTests.examples
        for file in try FileManager.default.contentsOfDirectory(atPath: examples.path) where file.hasSuffix(".yaml") {
            texts.append(try String(contentsOfFile: examples.appendingPathComponent(file).path, encoding: .utf8))
        }
        var count = 0
        for text in texts {
            let decoded = ResourceCodec.decode(text, source: "test")
            #expect(decoded.errors.isEmpty, "\(decoded.errors)")
            for resource in decoded.resources {
                let direct = try ManifestEncoder.encode(resource)
                let viaJSON = Self.bare(try Self.viaJSON(resource))
                #expect(
                    direct == viaJSON,
                    "\(resource.key):\n\(YAMLEmitter.emit(direct))\nJSON path:\n\(YAMLEmitter.emit(viaJSON))")
                count += 1
            }
        }
        #expect(count > 30)
    }

    @Test func keysAreInJSONEncodersSortedOrder() throws {
        let resource = try #require(ResourceCodec.decode(Self.awkward, source: "test").resources.first)
        guard case .mapping(let top) = try ManifestEncoder.encode(resource).value,
            case .mapping(let metadata) = top.first(where: { $0.key == "metadata" })?.value.value,
            case .mapping(let labels) = metadata.first(where: { $0.key == "labels" })?.value.value
        else {
            Issue.record("no labels")
            return
        }
        #expect(top.map(\.key) == ["apiVersion", "kind", "metadata", "spec"])
        #expect(labels.map(\.key) == ["10", "2", "B", "a", "a10", "a9"])
    }
}
