import CalicoAPI

/// Reads the command line: `--option VALUE` or `--option=VALUE`; boolean options also alone (`--health-enabled`).
enum ArgumentReader {
    static let configOption = "--config"
    static let labelOption = "--node-label"
    static let felixOption = "--felix"

    /// The settings the arguments make, and the configuration file they name.
    static func read(_ arguments: [String]) throws(ConfigurationError) -> (SettingsLayer, config: Setting<String>?) {
        var layer = SettingsLayer()
        var config: Setting<String>?
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw ConfigurationError(
                    source: .argument(argument), field: "",
                    reason: "unexpected argument (options are written --name VALUE; tabbyd --help lists them)")
            }
            var name = argument
            var inline: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            let source = ConfigurationSource.argument(name)

            if let field = ScalarField.all.first(where: { $0.options.contains(name) }) {
                if case .boolean = field.kind, inline == nil {
                    // A bare boolean option means true; a following true/false word is its value.
                    if index < arguments.count, ScalarField.boolean(arguments[index]) != nil {
                        inline = arguments[index]
                        index += 1
                    } else {
                        inline = "true"
                    }
                }
                let value = try optionValue(inline, arguments, &index, option: name)
                try field.set(value, in: &layer, source: source)
                continue
            }
            guard [configOption, labelOption, felixOption].contains(name) else {
                throw ConfigurationError(
                    source: source, field: "", reason: "unknown option (tabbyd --help lists the options)")
            }
            let value = try optionValue(inline, arguments, &index, option: name)
            switch name {
            case configOption:
                config = Setting(value: value, source: source)
            case labelOption:
                let (key, labelValue) = try pair(value, source: source, field: "nodeLabels", example: "rack=r1")
                layer.nodeLabels[key] = Setting(value: labelValue, source: source)
            case felixOption:
                let (parameter, text) = try pair(value, source: source, field: "felix", example: "vxlanMTU=1400")
                try FelixOverrides.set(parameter, text: text, in: &layer, source: source)
            default:
                break
            }
        }
        return (layer, config)
    }

    /// The option's value: written after `=`, else the next argument.
    private static func optionValue(_ inline: String?, _ arguments: [String], _ index: inout Int, option: String)
        throws(ConfigurationError) -> String
    {
        if let inline { return inline }
        guard index < arguments.count, !arguments[index].hasPrefix("--") else {
            throw ConfigurationError(source: .argument(option), field: "", reason: "needs a value")
        }
        defer { index += 1 }
        return arguments[index]
    }

    /// `KEY=VALUE` split at the first `=`.
    static func pair(_ text: String, source: ConfigurationSource, field: String, example: String)
        throws(ConfigurationError) -> (String, String)
    {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw ConfigurationError(
                source: source, field: field, reason: "expected KEY=VALUE (like \(example)), got \"\(text)\"")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }
}

/// Reads `TABBYD_*` environment variables. Any other `TABBYD_` variable is an error, so that a misspelt one
/// is not silently ignored.
enum EnvironmentReader {
    static let configVariable = "TABBYD_CONFIG"
    static let labelsVariable = "TABBYD_NODE_LABELS"
    static let felixPrefix = "TABBYD_FELIX_"

    static func read(_ environment: [String: String]) throws(ConfigurationError)
        -> (SettingsLayer, config: Setting<String>?)
    {
        var layer = SettingsLayer()
        var config: Setting<String>?
        // Sorted, so that of several bad variables the same one is reported every time.
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("TABBYD_") {
            let source = ConfigurationSource.environment(name)
            if let field = ScalarField.all.first(where: { $0.environment == name }) {
                try field.set(value, in: &layer, source: source)
            } else if name == configVariable {
                config = Setting(value: value, source: source)
            } else if name == labelsVariable {
                for item in value.split(separator: ",") where !String(item).trimmingSpaces().isEmpty {
                    let (key, labelValue) = try ArgumentReader.pair(
                        String(item).trimmingSpaces(), source: source, field: "nodeLabels", example: "rack=r1,zone=a")
                    layer.nodeLabels[key] = Setting(value: labelValue, source: source)
                }
            } else if name.hasPrefix(felixPrefix), name.count > felixPrefix.count {
                try FelixOverrides.set(
                    String(name.dropFirst(felixPrefix.count)), text: value, in: &layer, source: source)
            } else {
                throw ConfigurationError(source: source, field: "", reason: "unknown setting")
            }
        }
        try readCalicoNames(environment, into: &layer)
        return (layer, config)
    }
}

extension EnvironmentReader {
    /// calico-node's variables (`IP`, `IP_AUTODETECTION_METHOD`, `CALICO_IPV4POOL_CIDR`, `NO_DEFAULT_POOLS`,
    /// ...) set the same settings as their `TABBYD_` names; an empty one counts as unset. Both set to different values is an error, since
    /// either reading could be the intended one.
    static func readCalicoNames(_ environment: [String: String], into layer: inout SettingsLayer)
        throws(ConfigurationError)
    {
        for field in ScalarField.all {
            // calico-node reads an empty variable as unset.
            guard let name = field.calicoEnvironment, let value = environment[name], !value.trimmingSpaces().isEmpty
            else { continue }
            if let own = environment[field.environment] {
                if own != value {
                    throw ConfigurationError(
                        source: .environment(name), field: field.key,
                        reason: field.isSecret
                            ? "\(field.environment) is set to another value; set one"
                            : "\(field.environment) is set to another value (\"\(own)\" and \"\(value)\"); set one")
                }
                continue
            }
            try field.set(value, in: &layer, source: .environment(name))
        }
    }
}

/// Reads the YAML configuration file: a mapping whose keys are the field names of ``AgentConfiguration``
/// (`nodeName`, `healthPort`, ...), `nodeLabels` (a mapping) and `felix` (a mapping of FelixConfiguration
/// parameters). Values are decoded strictly (a quoted `"9099"` is not a port); unknown keys are errors.
enum FileReader {
    static func read(_ text: String, path: String) throws(ConfigurationError) -> SettingsLayer {
        let documents: [ManifestDocument]
        do {
            documents = try ManifestParser.parse(text, source: path)
        } catch {
            throw ConfigurationError(source: .file(path, line: error.location?.line), field: "", reason: error.reason)
        }
        guard let document = documents.first else { return SettingsLayer() }
        guard documents.count == 1 else {
            throw ConfigurationError(
                source: .file(path, line: documents[1].root.location?.line), field: "",
                reason: "the file holds one YAML document; found \(documents.count)")
        }
        guard case .mapping(let entries) = document.root.value else {
            throw ConfigurationError(
                source: .file(path, line: document.root.location?.line), field: "",
                reason: "expected a mapping of settings (like `nodeName: node-1`)")
        }
        var layer = SettingsLayer()
        for entry in entries {
            let keyLine = entry.keyLocation?.line
            if let field = ScalarField.all.first(where: { $0.key == entry.key }) {
                try field.set(entry.value, in: &layer, file: path, keyLine: keyLine)
            } else if entry.key == "nodeLabels" {
                try readLabels(entry.value, path: path, keyLine: keyLine, into: &layer)
            } else if entry.key == "felix" {
                try readFelix(entry.value, path: path, keyLine: keyLine, into: &layer)
            } else {
                var reason = "unknown field \"\(entry.key)\""
                if let near = knownKeys.first(where: { $0.lowercased() == entry.key.lowercased() }) {
                    reason += " (did you mean \(near)?)"
                }
                throw ConfigurationError(source: .file(path, line: keyLine), field: entry.key, reason: reason)
            }
        }
        return layer
    }

    static var knownKeys: [String] { ScalarField.all.map(\.key) + ["nodeLabels", "felix"] }

    private static func readLabels(_ node: ManifestNode, path: String, keyLine: Int?, into layer: inout SettingsLayer)
        throws(ConfigurationError)
    {
        if node.isNull { return }
        guard case .mapping(let entries) = node.value else {
            throw ConfigurationError(
                source: .file(path, line: node.location?.line ?? keyLine), field: "nodeLabels",
                reason: "expected a mapping of label names to values")
        }
        for entry in entries {
            let source = ConfigurationSource.file(path, line: entry.keyLocation?.line ?? keyLine)
            do {
                let value = try ManifestDecoder.decode(String.self, from: entry.value)
                layer.nodeLabels[entry.key] = Setting(value: value, source: source)
            } catch {
                throw ConfigurationError(source: source, field: "nodeLabels.\(entry.key)", reason: error.reason)
            }
        }
    }

    private static func readFelix(_ node: ManifestNode, path: String, keyLine: Int?, into layer: inout SettingsLayer)
        throws(ConfigurationError)
    {
        if node.isNull { return }
        guard case .mapping(let entries) = node.value else {
            throw ConfigurationError(
                source: .file(path, line: node.location?.line ?? keyLine), field: "felix",
                reason: "expected a mapping of FelixConfiguration parameters to values")
        }
        for entry in entries {
            let source = ConfigurationSource.file(path, line: entry.keyLocation?.line ?? keyLine)
            try FelixOverrides.set(entry.key, node: entry.value, in: &layer, source: source)
        }
    }
}
