import Testing

@testable import CalicoAPI

/// The exact texts of decoding errors (field path, line, reason) for a corpus of bad documents: what an
/// operator reads. The expected texts were taken from the decoder before its internals were made faster, so
/// these pin its behaviour.
@Suite("Decoding error texts")
struct DecodingErrorTextTests {
    static func document(_ kind: String, _ body: String, name: String = "x", namespace: String? = nil) -> String {
        var text = "apiVersion: projectcalico.org/v3\nkind: \(kind)\nmetadata:\n  name: \(name)\n"
        if let namespace { text += "  namespace: \(namespace)\n" }
        return text + body
    }

    static let corpus: [(String, String)] = [
        (
            "unknown field in a rule",
            document(
                "GlobalNetworkPolicy",
                "spec:\n  ingress:\n  - action: Allow\n    destination:\n      portz: [80]\n")
        ),
        ("not an integer", document("IPPool", "spec:\n  cidr: 10.0.0.0/16\n  blockSize: abc\n")),
        ("out of range", document("IPPool", "spec:\n  cidr: 10.0.0.0/16\n  blockSize: 99999999999999999999\n")),
        ("unknown enum value", document("IPPool", "spec:\n  cidr: 10.0.0.0/16\n  vxlanMode: Sometimes\n")),
        (
            "bad port range",
            document(
                "GlobalNetworkPolicy",
                "spec:\n  ingress:\n  - action: Allow\n    protocol: TCP\n    destination:\n      ports:\n      - 80\n"
                    + "      - \"80:x\"\n")
        ),
        (
            "protocol that is a list",
            document("GlobalNetworkPolicy", "spec:\n  ingress:\n  - action: Allow\n    protocol: [1]\n")
        ),
        (
            "BlockAffinity deleted that is not a bool",
            document("BlockAffinity", "spec:\n  state: confirmed\n  node: a\n  cidr: 10.0.0.0/26\n  deleted: maybe\n")
        ),
        ("missing required field", document("BlockAffinity", "spec:\n  state: confirmed\n  cidr: 10.0.0.0/26\n")),
        ("metadata without a name", "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  labels: {}\n"),
        (
            "labels that are a list",
            "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: x\n  labels: [a]\n"
        ),
        ("spec that is a list", document("IPPool", "spec:\n- a\n")),
        ("bad selector", document("GlobalNetworkPolicy", "spec:\n  selector: a ==\n")),
        ("list for a string", document("IPPool", "spec:\n  cidr: [a]\n")),
        ("mapping for a list", document("IPPool", "spec:\n  cidr: 10.0.0.0/16\n  allowedUses: {a: b}\n")),
        (
            "unknown fields in two mappings",
            "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: x\n  labelz: {}\nspec:\n"
                + "  cidr: 10.0.0.0/16\n  sizze: 1\n"
        ),
        ("unknown top-level field", document("IPPool", "spec:\n  cidr: 10.0.0.0/16\nextra: 1\n")),
        (
            "allocation that is not a number",
            document(
                "IPAMBlock",
                "spec:\n  cidr: 10.0.0.0/30\n  affinity: host:a\n  allocations: [0, x, null, null]\n"
                    + "  unallocated: [1, 2, 3]\n  attributes:\n  - handle_id: h\n")
        ),
        ("quoted bool", document("IPPool", "spec:\n  cidr: 10.0.0.0/16\n  natOutgoing: \"true\"\n")),
        (
            "bad v1 metadata annotation",
            "apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: x\n  annotations:\n"
                + "    projectcalico.org/metadata: '{\"labels\": 5}'\nspec:\n  cidr: 10.0.0.0/16\n"
        ),
        ("duplicate keys", document("IPPool", "spec:\n  cidr: 10.0.0.0/16\n  cidr: 10.1.0.0/16\n")),
        ("tab indentation", document("IPPool", "spec:\n\tcidr: 10.0.0.0/16\n")),
        ("unclosed quote", document("IPPool", "spec:\n  cidr: \"10.0.0.0/16\n")),
        ("not a mapping", "- a\n- b\n"),
        ("unknown kind", "apiVersion: projectcalico.org/v3\nkind: Pool\nmetadata:\n  name: x\n"),
        ("integer for a string in a list", document("GlobalNetworkSet", "spec:\n  nets: [{a: 1}]\n")),
    ]

    static let expected: [String: String] = [
        "BlockAffinity deleted that is not a bool":
            "bad.yaml: document 1 (line 9): BlockAffinity \"x\": spec.deleted: expected true or false, got \"maybe\"",
        "allocation that is not a number":
            "bad.yaml: document 1 (line 8): IPAMBlock \"x\": spec.allocations[1]: expected an integer, got the value x",
        "bad port range":
            "bad.yaml: document 1 (line 12): GlobalNetworkPolicy \"x\": spec.ingress[0].destination.ports[1]:"
                + " invalid port range \"80:x\" (expected \"min:max\" with numbers 0-65535)",
        "bad selector":
            "bad.yaml: document 1 (line 6): GlobalNetworkPolicy \"x\": spec.selector: invalid selector: selector"
                + " \"a ==\": column 5: expected a quoted string after \"==\" but found end of input",
        "bad v1 metadata annotation":
            "bad.yaml: document 1 (line 4): IPPool \"x\": metadata.annotations.projectcalico.org/metadata: must"
                + " hold the resource's v3 metadata as JSON: metadata.annotations.labels: expected a mapping, got the"
                + " value 5",
        "duplicate keys":
            "bad.yaml (line 6): duplicate keys in a mapping: cidr",
        "integer for a string in a list":
            "bad.yaml: document 1 (line 6): GlobalNetworkSet \"x\": spec.nets[0]: expected a string, got a mapping",
        "labels that are a list":
            "bad.yaml: document 1 (line 5): IPPool \"x\": metadata.labels: expected a mapping, got a list",
        "list for a string":
            "bad.yaml: document 1 (line 6): IPPool \"x\": spec.cidr: expected a string, got a list",
        "mapping for a list":
            "bad.yaml: document 1 (line 7): IPPool \"x\": spec.allowedUses: expected a list, got a mapping",
        "metadata without a name":
            "bad.yaml: document 1 (line 4): IPPool: metadata.name: required field is missing",
        "missing required field":
            "bad.yaml: document 1 (line 6): BlockAffinity \"x\": spec.node: required field is missing",
        "not a mapping":
            "bad.yaml: document 1 (line 1): expected a resource (a mapping with apiVersion, kind, metadata and"
                + " spec), got a list",
        "not an integer":
            "bad.yaml: document 1 (line 7): IPPool \"x\": spec.blockSize: expected an integer, got the value abc",
        "out of range":
            "bad.yaml: document 1 (line 7): IPPool \"x\": spec.blockSize: 99999999999999999999 is out of range"
                + " (-9223372036854775808 to 9223372036854775807)",
        "protocol that is a list":
            "bad.yaml: document 1 (line 8): GlobalNetworkPolicy \"x\": spec.ingress[0].protocol: expected a protocol"
                + " name or number 1-255",
        "quoted bool":
            "bad.yaml: document 1 (line 7): IPPool \"x\": spec.natOutgoing: expected true or false, got the string"
                + " \"true\"",
        "spec that is a list":
            "bad.yaml: document 1 (line 6): IPPool \"x\": spec: expected a mapping, got a list",
        "tab indentation":
            "bad.yaml (line 6): YAML syntax error: found character that cannot start any token (while scanning"
                + " for the next token)",
        "unclosed quote":
            "bad.yaml (line 7): YAML syntax error: found unexpected end of stream (while scanning a quoted scalar)",
        "unknown enum value":
            "bad.yaml: document 1 (line 7): IPPool \"x\": spec.vxlanMode: Cannot initialize EncapsulationMode"
                + " from invalid String value Sometimes",
        "unknown field in a rule":
            "bad.yaml: document 1 (line 9): GlobalNetworkPolicy \"x\": spec.ingress[0].destination.portz: unknown"
                + " field \"portz\"",
        "unknown fields in two mappings":
            "bad.yaml: document 1 (line 5): IPPool \"x\": metadata.labelz: unknown field \"labelz\"",
        "unknown kind":
            "bad.yaml: document 1 (line 2): kind: unknown kind \"Pool\" (Tabby knows IPPool, Node, WorkloadEndpoint,"
                + " HostEndpoint, Tier, GlobalNetworkPolicy, NetworkPolicy, Profile, GlobalNetworkSet, NetworkSet,"
                + " FelixConfiguration, IPAMConfiguration, BlockAffinity, IPAMBlock, IPAMHandle, BGPConfiguration, BGPPeer, BGPFilter, Namespace, Pod)",
        "unknown top-level field":
            "bad.yaml: document 1 (line 7): IPPool \"x\": extra: unknown field \"extra\"",
    ]

    @Test("error text", arguments: corpus.map(\.0))
    func errorText(_ name: String) throws {
        let text = try #require(Self.corpus.first { $0.0 == name }?.1)
        let decoded = ResourceCodec.decode(text, source: "bad.yaml")
        let description = decoded.errors.map(\.description).joined(separator: "\n")
        #expect(description == Self.expected[name])
    }
}
