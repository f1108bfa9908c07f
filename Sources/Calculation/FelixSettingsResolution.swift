import CalicoAPI
import ResourceCache

extension FelixSettings {
    /// The source name of local overrides in problems.
    public static let localSource = "local configuration"

    /// The settings in effect on `node`: built-in defaults, then FelixConfiguration `default`, then
    /// `node.<node>`, then `overrides` (parameter name -> value, from the agent's config file). A value that is
    /// not valid is reported and skipped, leaving the value from the layer below in effect; it never fails.
    public static func resolve(
        cache: ResourceCache, node: String, overrides: [String: String] = [:]
    ) -> (FelixSettings, [FelixSettingsProblem]) {
        resolve(
            global: cache.felixConfiguration(named: "default"),
            perNode: cache.felixConfiguration(named: "node.\(node)"),
            overrides: overrides)
    }

    /// `resolve(cache:node:overrides:)` with the two FelixConfiguration resources given directly.
    public static func resolve(
        global: FelixConfiguration?, perNode: FelixConfiguration?, overrides: [String: String] = [:]
    ) -> (FelixSettings, [FelixSettingsProblem]) {
        var settings = FelixSettings()
        var problems: [FelixSettingsProblem] = []
        for configuration in [global, perNode].compactMap({ $0 }) {
            let source = configuration.key.description
            for (name, text) in configuration.spec.settingsParameters {
                settings.apply(name, text, source: source, into: &problems)
            }
        }
        // Sorted, so that problems come out in the same order every time.
        for name in overrides.keys.sorted() {
            settings.apply(name, overrides[name]!, source: localSource, into: &problems)
        }
        return (settings, problems)
    }

    private mutating func apply(
        _ name: String, _ text: String, source: String, into problems: inout [FelixSettingsProblem]
    ) {
        do {
            try apply(parameter: name, text: text)
        } catch {
            problems.append(FelixSettingsProblem(source: source, parameter: name, value: text, reason: error.reason))
        }
    }
}
