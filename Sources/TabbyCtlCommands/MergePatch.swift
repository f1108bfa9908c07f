/// A JSON merge patch (RFC 7386): a mapping in the patch merges into the target key by key, `null` removes a
/// key, anything else (a scalar, a list) replaces the target's value whole.
enum MergePatch {
    static func apply(_ patch: ManifestValue, to target: ManifestValue) -> ManifestValue {
        guard case .mapping(let entries) = patch else { return patch }
        var result = target.isMapping ? target : .mapping([])
        for (key, value) in entries {
            if value == .null {
                result[key] = nil
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return result
    }
}
