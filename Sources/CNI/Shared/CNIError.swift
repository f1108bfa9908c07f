/// A CNI error result (CNI spec 1.0.0/1.1.0, "Error"): printed as JSON on stdout, with the plugin exiting
/// non-zero. `msg` is one line saying what failed; `details` says which field or resource, and why.
public struct CNIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Code
    public var msg: String
    public var details: String

    public init(_ code: Code, _ msg: String, details: String = "") {
        self.code = code
        self.msg = msg
        self.details = details
    }

    /// The spec's well-known codes (0-99 are reserved by the spec; Tabby's own start at 100).
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// The config's `cniVersion` (or the runtime's) is not one this plugin speaks.
        public static let incompatibleVersion = Code(rawValue: 1)
        /// A field of the network config is not supported.
        public static let unsupportedField = Code(rawValue: 2)
        /// The container is unknown or does not exist (e.g. `CNI_NETNS` is not a namespace).
        public static let unknownContainer = Code(rawValue: 3)
        /// A `CNI_*` environment variable is missing or invalid.
        public static let invalidEnvironment = Code(rawValue: 4)
        /// Reading or writing something (the datastore, a file, the kernel) failed.
        public static let ioFailure = Code(rawValue: 5)
        /// The config or `prevResult` could not be decoded.
        public static let decodingFailure = Code(rawValue: 6)
        /// The network config is invalid.
        public static let invalidNetworkConfig = Code(rawValue: 7)
        /// Transient: the runtime should retry later.
        public static let tryAgainLater = Code(rawValue: 11)
        /// STATUS: the plugin cannot serve ADDs now.
        public static let pluginNotAvailable = Code(rawValue: 50)
        /// STATUS: the plugin can serve ADDs, with limited connectivity.
        public static let limitedConnectivity = Code(rawValue: 51)
        /// IPAM refused: no address, an address in use, outside every pool, and the like (Tabby's own).
        public static let addressUnavailable = Code(rawValue: 100)
        /// Programming the kernel failed (Tabby's own).
        public static let dataplaneFailure = Code(rawValue: 101)
    }

    public var description: String { details.isEmpty ? msg : "\(msg): \(details)" }
}
