import Foundation
import Testing

@testable import TabbyCtlCommands

private let pool = """
    apiVersion: projectcalico.org/v3
    kind: IPPool
    metadata:
      name: edge
      labels: {zone: a, rack: r1}
    spec:
      cidr: 192.0.2.0/24
      vxlanMode: CrossSubnet
    """

@Suite("tabbyctl patch", .enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built"))
struct PatchCommandTests {
    private func withPool(_ body: (Tabbyctl) throws -> Void) throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let applied = try ctl.run("apply", "-f", try ctl.file("pool.yaml", pool))
        try #require(applied.status == 0, "\(applied.err)")
        try body(ctl)
    }

    @Test func aMergePatchChangesOnlyWhatItNames() throws {
        try withPool { ctl in
            let before = try ctl.run("get", "ippool", "edge", "-o", "yaml").out
            let patched = try ctl.run("patch", "ippool", "edge", "-p", #"{"spec":{"natOutgoing":true}}"#)
            #expect(patched.status == 0, "\(patched.err)")
            #expect(patched.out == "Successfully patched 1 'IPPool' resource\n")
            let after = try ctl.run("get", "ippool", "edge", "-o", "yaml").out
            #expect(after.contains("natOutgoing: true"))
            #expect(after.contains("cidr: 192.0.2.0/24"))
            #expect(after.contains("vxlanMode: CrossSubnet"))
            #expect(after.contains("zone: a"))
            #expect(!before.contains("natOutgoing: true"))
        }
    }

    @Test func nullRemovesAKeyAndYAMLPatchesWork() throws {
        try withPool { ctl in
            let patched = try ctl.run(
                "patch", "pool", "edge", "--patch", "metadata:\n  labels:\n    zone: null\n    rack: r2\n")
            #expect(patched.status == 0, "\(patched.err)")
            let after = try ctl.run("get", "ippool", "edge", "-o", "json").out
            #expect(!after.contains("\"zone\""))
            #expect(after.contains("\"rack\" : \"r2\""))
        }
    }

    @Test func anInvalidResultIsRejectedAndNothingIsWritten() throws {
        try withPool { ctl in
            let before = try ctl.run("get", "ippool", "edge", "-o", "yaml").out
            let patched = try ctl.run("patch", "ippool", "edge", "-p", #"{"spec":{"blockSize":12}}"#)
            #expect(patched.status == 2)
            #expect(patched.err.contains("spec.blockSize"))
            #expect(patched.err.contains("nothing was written"))
            #expect(try ctl.run("get", "ippool", "edge", "-o", "yaml").out == before)
        }
    }

    @Test func theIdentityCannotBePatched() throws {
        try withPool { ctl in
            let renamed = try ctl.run("patch", "ippool", "edge", "-p", #"{"metadata":{"name":"other"}}"#)
            #expect(renamed.status == 2)
            #expect(renamed.err.contains("metadata.name cannot be patched"))
            let rekinded = try ctl.run("patch", "ippool", "edge", "-p", #"{"kind":"Node"}"#)
            #expect(rekinded.status == 2)
            let notAMapping = try ctl.run("patch", "ippool", "edge", "-p", "[1, 2]")
            #expect(notAMapping.status == 2)
            #expect(notAMapping.err.contains("must be a mapping"))
        }
    }

    @Test func aStaleResourceVersionIsAConflict() throws {
        try withPool { ctl in
            let stale = #"{"metadata":{"resourceVersion":"999999"},"spec":{"natOutgoing":true}}"#
            let patched = try ctl.run("patch", "ippool", "edge", "-p", stale)
            #expect(patched.status == 1)
            #expect(patched.err.contains("Failed to patch IPPool \"edge\""))
            #expect(!(try ctl.run("get", "ippool", "edge", "-o", "yaml").out.contains("natOutgoing: true")))
        }
    }

    @Test func aMissingResourceAndBadUsage() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let missing = try ctl.run("patch", "ippool", "nowhere", "-p", "{}")
        #expect(missing.status == 1)
        #expect(missing.err.contains("nowhere"))
        let unknownKind = try ctl.run("patch", "widget", "x", "-p", "{}")
        #expect(unknownKind.status == 2)
        let jsonPatch = try ctl.run("patch", "ippool", "x", "-p", "[]", "--type", "json")
        #expect(jsonPatch.status == 2)
        #expect(jsonPatch.err.contains("not implemented"))
        let badSyntax = try ctl.run("patch", "ippool", "x", "-p", "{spec: [")
        #expect(badSyntax.status == 2)
    }
}

/// RFC 7386's own examples (appendix A).
@Suite struct MergePatchTests {
    private func value(_ json: String) throws -> ManifestValue { try ManifestValue.parse(json, source: "test") }

    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, "null", "null"),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func rfc7386(target: String, patch: String, result: String) throws {
        #expect(MergePatch.apply(try value(patch), to: try value(target)).json == result)
    }

    @Test func scalarsKeepTheirTypes() throws {
        let parsed = try value("a: 26\nb: '26'\nc: true\nd: x\ne: ~\nf: -1.5e3\n")
        #expect(parsed.json == #"{"a":26,"b":"26","c":true,"d":"x","e":null,"f":-1.5e3}"#)
    }
}
