/// Kubernetes label syntax, which Calico applies to the labels of its resources.
///
/// A key is an optional prefix and a name, `example.com/app`: the prefix is a DNS subdomain (lowercase
/// letters, digits, `-` and `.`, at most 253 characters), the name 1-63 characters of letters, digits, `-`,
/// `_` and `.`, starting and ending with a letter or digit. A value is empty or follows the rule for names.
public enum LabelSyntax {
    public static let maxNameLength = 63
    public static let maxPrefixLength = 253

    /// nil when `key` is a valid label key, otherwise why it is not.
    public static func validateKey(_ key: String) -> String? {
        let bytes = Array(key.utf8)
        let slashes = bytes.indices.filter { bytes[$0] == UInt8(ascii: "/") }
        guard slashes.count <= 1 else {
            return "a label key has at most one \"/\", between a DNS subdomain prefix and a name (example.com/app)"
        }
        var name = bytes[...]
        if let slash = slashes.first {
            let prefix = bytes[..<slash]
            name = bytes[(slash + 1)...]
            if prefix.isEmpty { return "prefix must not be empty when the key contains \"/\"" }
            if prefix.count > maxPrefixLength { return "prefix must be \(maxPrefixLength) characters or less" }
            if !isDNSSubdomain(prefix) {
                return "prefix must be a DNS subdomain: lowercase letters, digits, \"-\" and \".\", "
                    + "each dot-separated part starting and ending with a letter or digit"
            }
        }
        if name.isEmpty { return "name part must not be empty" }
        return nameProblem(name, what: "name part")
    }

    /// nil when `value` is a valid label value (empty is valid), otherwise why it is not.
    public static func validateValue(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        if bytes.isEmpty { return nil }
        return nameProblem(bytes[...], what: "value")
    }

    private static func nameProblem(_ name: ArraySlice<UInt8>, what: String) -> String? {
        if name.count > maxNameLength { return "\(what) must be \(maxNameLength) characters or less" }
        guard
            name.allSatisfy({
                isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
            })
        else {
            return "\(what) may contain only letters, digits, \"-\", \"_\" and \".\""
        }
        guard let first = name.first, let last = name.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return "\(what) must start and end with a letter or digit"
        }
        return nil
    }

    private static func isDNSSubdomain(_ text: ArraySlice<UInt8>) -> Bool {
        text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { part in
            guard let first = part.first, let last = part.last else { return false }
            let lowerAlphanumeric = { (byte: UInt8) in
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            }
            return lowerAlphanumeric(first) && lowerAlphanumeric(last)
                && part.allSatisfy { lowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
