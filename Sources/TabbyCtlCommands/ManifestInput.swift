import CalicoAPI
import Foundation

/// Reads the resources named by `-f FILE|DIR|-`: every document of every file, validated.
enum ManifestInput {
    struct Document {
        var resource: AnyResource
        var source: String
    }

    /// All resources of `path`, or a bad-input failure listing every problem (nothing is returned when any
    /// document is bad, so nothing is written). Warnings are printed on standard error, one a line, unless
    /// `warnings` is false; they never fail the command.
    static func read(_ path: String, warnings: Bool = true) throws(CtlFailure) -> [AnyResource] {
        var resources: [AnyResource] = []
        var errors: [ResourceError] = []
        for (source, text) in try texts(path) {
            let decoded = ResourceCodec.decode(text, source: source)
            resources += decoded.resources
            errors += decoded.errors
            if warnings { ValidationWarnings.print(decoded.warnings) }
        }
        if !errors.isEmpty {
            let plural = errors.count == 1 ? "problem" : "problems"
            throw CtlFailure.badInput(
                errors.map(\.description).joined(separator: "\n")
                    + "\n\(errors.count) \(plural) found; nothing was written")
        }
        if resources.isEmpty { throw CtlFailure.badInput("\(path): no resources found") }
        return resources
    }

    private static func texts(_ path: String) throws(CtlFailure) -> [(String, String)] {
        if path == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            return [("-", String(decoding: data, as: UTF8.self))]
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CtlFailure.badInput("\(path): no such file or directory")
        }
        var files = [path]
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files = names.filter { [".yaml", ".yml", ".json"].contains(where: $0.hasSuffix) && !$0.hasPrefix(".") }
                .sorted().map { (path as NSString).appendingPathComponent($0) }
        }
        var result: [(String, String)] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CtlFailure.badInput("\(file): cannot be read")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw CtlFailure.badInput("\(file): is not UTF-8 text")
            }
            result.append((file, text))
        }
        return result
    }
}

/// A summary like calicoctl's: `Successfully applied 2 'IPPool' resource(s)`.
enum Summary {
    static func line(_ verb: String, _ resources: [AnyResource]) -> String {
        var counts: [(ResourceKind, Int)] = []
        for resource in resources {
            if let index = counts.firstIndex(where: { $0.0 == resource.kind }) {
                counts[index].1 += 1
            } else {
                counts.append((resource.kind, 1))
            }
        }
        let parts = counts.map { "\($0.1) '\($0.0.rawValue)' resource(s)" }
        return "Successfully \(verb) " + parts.joined(separator: ", ")
    }
}
