import CalicoAPI
import Foundation

/// FelixConfiguration parameters set locally (file `felix:`, `--felix NAME=VALUE`, `TABBYD_FELIX_NAME`).
///
/// Names are matched without regard to case, as Felix matches its environment variables
/// (`TABBYD_FELIX_VXLANMTU` is `vxlanMTU`); values are YAML (`1400`, `90s`, `true`,
/// `[{protocol: tcp, port: 22}]`) decoded strictly by the parameter's type and validated as the datastore's
/// FelixConfiguration is. A name FelixConfiguration does not have is an error, never silently ignored.
enum FelixOverrides {
    /// Every FelixConfiguration parameter Tabby reads, by the spec's field names.
    static let parameterNames: [String] = Mirror(reflecting: FelixConfigurationSpec()).children.compactMap(\.label)

    private static let namesByLowercase: [String: String] = Dictionary(
        uniqueKeysWithValues: parameterNames.map { ($0.lowercased(), $0) })

    /// The parameter's name as FelixConfiguration spells it, or nil when there is none such.
    static func canonicalName(_ name: String) -> String? { namesByLowercase[name.lowercased()] }

    /// Sets a parameter from text (an argument or environment variable), parsed as a YAML value.
    static func set(_ name: String, text: String, in layer: inout SettingsLayer, source: ConfigurationSource)
        throws(ConfigurationError)
    {
        let field = "felix.\(canonicalName(name) ?? name)"
        let documents: [ManifestDocument]
        do {
            documents = try ManifestParser.parse(text)
        } catch {
            throw ConfigurationError(source: source, field: field, reason: error.reason)
        }
        guard documents.count == 1, var node = documents.first?.root else {
            throw ConfigurationError(source: source, field: field, reason: "needs one value, got \"\(text)\"")
        }
        node = node.withoutLocations()
        try set(name, node: node, in: &layer, source: source)
    }

    /// Sets a parameter from a manifest value; checks the name and the value's type at once, so the error names
    /// the place the value was written.
    static func set(_ name: String, node: ManifestNode, in layer: inout SettingsLayer, source: ConfigurationSource)
        throws(ConfigurationError)
    {
        guard let canonical = canonicalName(name) else {
            throw ConfigurationError(
                source: source, field: "felix.\(name)", reason: "FelixConfiguration has no parameter \"\(name)\"")
        }
        let single = ManifestNode.mapping([(canonical, node)])
        do {
            _ = try ManifestDecoder.decode(FelixConfigurationSpec.self, from: single, path: "felix")
        } catch {
            throw ConfigurationError(source: source, field: error.path, reason: error.reason)
        }
        layer.felix[canonical] = Setting(value: node, source: source)
    }

    /// The parameters decoded into one spec and validated as a FelixConfiguration resource is; an invalid
    /// value is reported at the place it was written.
    static func decode(_ settings: [String: Setting<ManifestNode>]) throws(ConfigurationError)
        -> FelixConfigurationSpec
    {
        let mapping = ManifestNode.mapping(settings.keys.sorted().map { ($0, settings[$0]!.value) })
        let spec: FelixConfigurationSpec
        do {
            spec = try ManifestDecoder.decode(FelixConfigurationSpec.self, from: mapping)
        } catch {
            throw ConfigurationError(
                source: settings[parameter(of: error.path)]?.source, field: "felix.\(error.path)",
                reason: error.reason)
        }
        let validator = Validator()
        spec.validate(metadata: ObjectMeta(name: "default"), into: validator)
        if let problem = validator.errors.first {
            throw ConfigurationError(
                source: settings[parameter(of: problem.path)]?.source,
                field: problem.path.isEmpty ? "felix" : "felix.\(problem.path)", reason: problem.reason)
        }
        return spec
    }

    /// The parameter a field path starts with: `routeTableRanges` of `routeTableRanges[0].min`.
    private static func parameter(of path: String) -> String {
        String(path.prefix { $0 != "." && $0 != "[" })
    }

    /// A value as text: a scalar as written, a list or mapping in YAML flow style (`[{port: 22, protocol: tcp}]`).
    static func text(of node: ManifestNode) -> String {
        switch node.value {
        case .scalar(let text, let quoted):
            return quoted ? JSONText.string(text) : text
        case .sequence(let items):
            return "[" + items.map { flow($0) }.joined(separator: ", ") + "]"
        case .mapping(let entries):
            return "{" + entries.map { "\($0.key): \(flow($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    private static func flow(_ node: ManifestNode) -> String { text(of: node) }

    /// The specs merged field by field, each later one's set fields replacing earlier ones: for
    /// `[default, node.<name>, local overrides]` this is the FelixConfiguration the node runs with.
    static func layered(_ specs: [FelixConfigurationSpec]) -> FelixConfigurationSpec {
        var merged: [String: Any] = [:]
        let encoder = JSONEncoder()
        for spec in specs {
            // Unset (nil) fields are not encoded, so each layer contributes only what it sets.
            guard let data = try? encoder.encode(spec),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { continue }
            merged.merge(object) { _, new in new }
        }
        guard let data = try? JSONSerialization.data(withJSONObject: merged),
            let spec = try? JSONDecoder().decode(FelixConfigurationSpec.self, from: data)
        else { return specs.last ?? FelixConfigurationSpec() }
        return spec
    }
}

extension ManifestNode {
    /// A mapping of `pairs`, in order, without locations.
    static func mapping(_ pairs: [(String, ManifestNode)]) -> ManifestNode {
        // CalicoAPI keeps `Entry`'s initializer internal; a parsed entry, whose fields are public, is the template.
        let entries = pairs.map { key, value in
            var entry = EntryTemplate.entry
            entry.key = key
            entry.keyLocation = nil
            entry.value = value
            return entry
        }
        return ManifestNode(.mapping(entries))
    }

    /// The node with every location dropped: a value parsed from an argument has no line in any file.
    func withoutLocations() -> ManifestNode {
        switch value {
        case .scalar:
            return ManifestNode(value)
        case .sequence(let items):
            return ManifestNode(.sequence(items.map { $0.withoutLocations() }))
        case .mapping(let entries):
            var copies = entries
            for index in copies.indices {
                copies[index].keyLocation = nil
                copies[index].value = copies[index].value.withoutLocations()
            }
            return ManifestNode(.mapping(copies))
        }
    }
}

private enum EntryTemplate {
    static let entry: ManifestNode.Entry = {
        guard let document = try? ManifestParser.parse("template: ~").first,
            case .mapping(let entries) = document.root.value, let entry = entries.first
        else { fatalError("the YAML parser cannot read a one-entry mapping") }
        return entry
    }()
}
