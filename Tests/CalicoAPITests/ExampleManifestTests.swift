import Foundation
import Testing

@testable import CalicoAPI

/// Every manifest under examples/ must validate: they are what operators copy from.
@Suite("Example manifests")
struct ExampleManifestTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../examples/manifests").standardized

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test func thereAreExamples() {
        #expect(Self.files.count >= 5)
    }

    @Test("validates", arguments: files)
    func validates(_ file: String) throws {
        let path = Self.directory.appendingPathComponent(file).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let decoded = ResourceCodec.decode(text, source: file)
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        #expect(!decoded.resources.isEmpty)
    }
}
