import NetworkAddress

/// `CNI_ARGS`: `KEY=VALUE` pairs separated by `;` (`IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web`).
///
/// The keys Tabby reads are Calico's: the Kubernetes pod (`K8S_POD_NAMESPACE`, `K8S_POD_NAME`,
/// `K8S_POD_INFRA_CONTAINER_ID`) and `IP`, the addresses asked for (comma separated, IPv4 and IPv6). Like
/// Calico's plugin, which always sets `IgnoreUnknown`, Tabby ignores keys it does not know (`K8S_POD_UID`, a
/// runtime's own keys) whatever `IgnoreUnknown` says; a pair without `=` or with an empty key is an error.
public struct CNIArguments: Sendable, Equatable {
    /// Every pair, later pairs winning over earlier ones with the same key.
    public var pairs: [String: String]
    public var ignoreUnknown: Bool
    public var podNamespace: String?
    public var podName: String?
    public var podInfraContainerID: String?
    /// `IP=`: the addresses asked for, in the order given.
    public var requestedAddresses: [IPAddress]

    public struct ParseError: Error, Sendable, Equatable {
        public var reason: String
    }

    public init(parsing text: String) throws(ParseError) {
        var pairs: [String: String] = [:]
        for item in text.split(separator: ";", omittingEmptySubsequences: true) {
            guard let equals = item.firstIndex(of: "=") else {
                throw ParseError(reason: "pair \"\(item)\" has no \"=\" (the form is KEY=VALUE;KEY=VALUE)")
            }
            let key = String(item[..<equals])
            guard !key.isEmpty else { throw ParseError(reason: "pair \"\(item)\" has an empty key") }
            pairs[key] = String(item[item.index(after: equals)...])
        }
        self.pairs = pairs
        switch pairs["IgnoreUnknown"]?.lowercased() {
        case nil, "0", "false": ignoreUnknown = false
        case "1", "true": ignoreUnknown = true
        case let other?: throw ParseError(reason: "IgnoreUnknown=\(other) is not 1, 0, true or false")
        }
        podNamespace = pairs["K8S_POD_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 }
        podName = pairs["K8S_POD_NAME"].flatMap { $0.isEmpty ? nil : $0 }
        podInfraContainerID = pairs["K8S_POD_INFRA_CONTAINER_ID"].flatMap { $0.isEmpty ? nil : $0 }
        var addresses: [IPAddress] = []
        for entry in (pairs["IP"] ?? "").split(separator: ",", omittingEmptySubsequences: true) {
            let text = entry.trimmingSpaces
            guard let address = IPAddress(text) else {
                throw ParseError(reason: "IP=\(pairs["IP"] ?? ""): \"\(text)\" is not an IPv4 or IPv6 address")
            }
            addresses.append(address)
        }
        requestedAddresses = addresses
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
