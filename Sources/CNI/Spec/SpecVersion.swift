/// A version of the CNI specification (`cniVersion`), as semantic version numbers.
///
/// Tabby speaks 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0. The version shapes the result: before 1.0.0 each entry of
/// `ips` carries `version` ("4" or "6"); CHECK exists from 0.4.0; STATUS and GC, and the interfaces' and routes'
/// extra fields (`mtu`, `socketPath`, `pciID`; `mtu`, `advmss`, `priority`, `table`, `scope`), from 1.1.0.
public struct SpecVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// `MAJOR.MINOR.PATCH` with decimal numbers; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 9, part.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(part)
            else { return nil }
            numbers.append(number)
        }
        self.init(numbers[0], numbers[1], numbers[2])
    }

    public static let v0_3_0 = SpecVersion(0, 3, 0)
    public static let v0_3_1 = SpecVersion(0, 3, 1)
    public static let v0_4_0 = SpecVersion(0, 4, 0)
    public static let v1_0_0 = SpecVersion(1, 0, 0)
    public static let v1_1_0 = SpecVersion(1, 1, 0)

    /// Every version Tabby's plugins accept, oldest first (what VERSION reports).
    public static let supported: [SpecVersion] = [.v0_3_0, .v0_3_1, .v0_4_0, .v1_0_0, .v1_1_0]
    /// The newest: VERSION's answer when the input names none.
    public static let latest = SpecVersion.v1_1_0

    public var isSupported: Bool { Self.supported.contains(self) }
    /// Results list `version` in each `ips` entry (removed in 1.0.0).
    public var resultsCarryIPVersion: Bool { self < .v1_0_0 }
    /// CHECK is defined (from 0.4.0).
    public var allowsCheck: Bool { self >= .v0_4_0 }
    /// STATUS, GC and the extra result fields are defined (from 1.1.0).
    public var hasVersion11Features: Bool { self >= .v1_1_0 }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (lhs: SpecVersion, rhs: SpecVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    /// The config's `cniVersion`, which must be one Tabby speaks: code 1 otherwise, naming what was asked.
    public static func negotiate(_ text: String) throws(CNIError) -> SpecVersion {
        guard let version = SpecVersion(text) else {
            throw CNIError(
                .incompatibleVersion, "incompatible CNI versions",
                details: "cniVersion \"\(text)\" is not a version; the plugin supports \(supportedList)")
        }
        guard version.isSupported else {
            throw CNIError(
                .incompatibleVersion, "incompatible CNI versions",
                details: "config is \"\(text)\", plugin supports \(supportedList)")
        }
        return version
    }

    static var supportedList: String { "[" + supported.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
}
