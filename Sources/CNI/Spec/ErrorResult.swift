extension CNIError {
    /// The spec's Error result: `{"cniVersion", "code", "msg", "details"}` (`details` left out when empty, as
    /// libcni does). `cniVersion` is the config's, or the newest Tabby speaks when the config named none.
    public func json(cniVersion: String?) -> JSONValue {
        var object: [String: JSONValue] = [
            "cniVersion": .string(cniVersion ?? SpecVersion.latest.description),
            "code": .number(Double(code.rawValue)),
            "msg": .string(msg),
        ]
        if !details.isEmpty { object["details"] = .string(details) }
        return .object(object)
    }
}

/// The answer to VERSION: the version in use for this output and every version the plugin supports.
public enum VersionResult {
    /// `requested` is the input's `cniVersion` when it gave one Tabby knows, else the newest.
    public static func json(requested: SpecVersion?) -> JSONValue {
        .object([
            "cniVersion": .string((requested ?? .latest).description),
            "supportedVersions": .array(SpecVersion.supported.map { .string($0.description) }),
        ])
    }
}
