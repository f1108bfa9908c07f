import ArgumentParser
import CalicoAPI
import Foundation

/// `tabbyctl convert -f FILE`: Calico v1 manifests (calicoctl 1.x) and `crd.projectcalico.org/v1` objects as
/// `projectcalico.org/v3` resources, printed for `apply`. Nothing is written to the datastore.
struct ConvertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert", abstract: "Convert Calico v1 and crd.projectcalico.org/v1 manifests to v3.",
        discussion: """
            Calico v1 kinds (apiVersion: v1): policy (a GlobalNetworkPolicy named <tier>.<name>, in the default \
            tier unless metadata.tier is set), profile, hostEndpoint, workloadEndpoint, ipPool and node, converted \
            as Calico's upgrade does; bgpPeer has no Tabby model and is an error. crd.projectcalico.org/v1 objects \
            (and v3 ones) are read as apply reads them. Every converted resource is validated (exit 2 with every \
            problem, nothing printed) unless --ignore-validation is given. Several documents print as one List.
            """)

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case yaml, yml, json
    }

    @Option(name: .shortAndLong, help: "The manifest file, or - for standard input.") var filename: String
    @Option(name: .shortAndLong, help: "Output: yaml (the default) or json.") var output: Output = .yaml
    @Flag(help: "Print the converted documents without validating them.") var ignoreValidation = false

    func run() async throws {
        let text = try Self.read(filename)
        let documents: [ManifestDocument]
        do {
            documents = try ManifestParser.parse(text, source: filename)
        } catch {
            throw CtlFailure.badInput(error.description)
        }
        var converted: [ManifestValue] = []
        var resources: [AnyResource] = []
        var problems: [String] = []
        for document in documents {
            for (label, item) in Self.items(of: ManifestValue(document.root), document: document.index) {
                let place = "\(filename): \(label)" + Self.describe(item)
                do {
                    let value = try Self.convert(item)
                    if ignoreValidation {
                        converted.append(value)
                    } else {
                        var resource = try value.resource(source: place)
                        resource.metadata.resourceVersion = nil
                        resource.metadata.uid = nil
                        resource.metadata.creationTimestamp = nil
                        resources.append(resource)
                    }
                } catch let error as V1ConversionError {
                    problems.append("\(place): \(error)")
                } catch let failure as CtlFailure {
                    problems.append(failure.message)
                }
            }
        }
        if !problems.isEmpty {
            let hint = ignoreValidation ? "" : " (--ignore-validation prints the conversion without validating it)"
            throw CtlFailure.badInput(
                problems.joined(separator: "\n") + "\n\(problems.count) problem(s) found; nothing was converted" + hint)
        }
        if converted.isEmpty && resources.isEmpty { throw CtlFailure.badInput("\(filename): no resources found") }
        Console.out(render(resources: resources, converted: converted))
    }

    private func render(resources: [AnyResource], converted: [ManifestValue]) -> String {
        let json = output == .json
        if ignoreValidation {
            let value = converted.count == 1 ? converted[0] : Self.list(converted)
            return json ? ResourceCodec.json(value) : ResourceCodec.yaml(value)
        }
        if resources.count == 1 { return json ? ResourceCodec.json(resources[0]) : ResourceCodec.yaml(resources[0]) }
        let list = ResourceList(items: resources)
        return json ? ResourceCodec.json(list) : ResourceCodec.yaml(list)
    }

    /// One document as v3: converted when it is a Calico v1 document, else as it is (the decoder reads
    /// crd.projectcalico.org/v1 and v3 documents and names anything else it cannot take).
    static func convert(_ item: ManifestValue) throws(V1ConversionError) -> ManifestValue {
        if V1Conversion.isV1Calico(item) { return try V1Conversion.convert(item) }
        if item["apiVersion"]?.text == "v1", let kind = item["kind"]?.text, kind != "Namespace" {
            throw V1ConversionError(
                "kind", "\"\(kind)\" is not a Calico v1 kind (\(V1Conversion.kinds.joined(separator: ", ")))")
        }
        return item
    }

    /// The resources of a document: itself, the items of a `kind: List`, or the entries of a top-level list (as
    /// calicoctl 1.x wrote several resources).
    static func items(of value: ManifestValue, document: Int) -> [(String, ManifestValue)] {
        if case .list(let entries) = value {
            return entries.enumerated().map { ("document \(document) item \($0.offset + 1)", $0.element) }
        }
        if let kind = value["kind"]?.text, kind == "List" || kind.hasSuffix("List"),
            case .list(let entries)? = value["items"]
        {
            return entries.enumerated().map { ("document \(document) items[\($0.offset)]", $0.element) }
        }
        return [("document \(document)", value)]
    }

    private static func describe(_ item: ManifestValue) -> String {
        var parts: [String] = []
        if let kind = item["kind"]?.text { parts.append("kind \(kind)") }
        if let name = item["metadata"]?["name"]?.text ?? item["metadata"]?["cidr"]?.text {
            parts.append("name \(name)")
        }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }

    private static func list(_ items: [ManifestValue]) -> ManifestValue {
        .mapping([("apiVersion", .string(APIVersion.v3)), ("kind", .string("List")), ("items", .list(items))])
    }

    static func read(_ path: String) throws(CtlFailure) -> String {
        let data: Data?
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CtlFailure.badInput("\(path): no such file")
            }
            if isDirectory.boolValue { throw CtlFailure.badInput("\(path): is a directory; convert takes one file") }
            data = FileManager.default.contents(atPath: path)
        }
        guard let data else { throw CtlFailure.badInput("\(path): cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CtlFailure.badInput("\(path): is not UTF-8 text")
        }
        return text
    }
}
