import Foundation

/// One etcd member's client URL as the client uses it: `http://host:port` or `https://host:port`, no path.
struct EtcdEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// `scheme://host:port`, the form error messages name.
    let url: String
    let usesTLS: Bool

    var description: String { url }

    /// Parses one of `ETCD_ENDPOINTS`: a URL, or a bare `host:port` (which means http). The default port is
    /// etcd's 2379.
    init(parsing text: String) throws(EtcdError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw .configuration("etcd_endpoints: an endpoint is empty") }
        let withScheme = trimmed.contains("://") ? trimmed : "http://" + trimmed
        guard let components = URLComponents(string: withScheme), let scheme = components.scheme?.lowercased()
        else {
            throw .configuration("etcd_endpoints \(trimmed): not a URL (expected http://host:port)")
        }
        guard scheme == "http" || scheme == "https" else {
            throw .configuration("etcd_endpoints \(trimmed): the scheme must be http or https, not \(scheme)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .configuration("etcd_endpoints \(trimmed): no host")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil,
            components.fragment == nil, components.user == nil
        else {
            throw .configuration("etcd_endpoints \(trimmed): an endpoint is scheme://host:port, without a path")
        }
        let port = components.port ?? 2379
        guard (1...65535).contains(port) else {
            throw .configuration("etcd_endpoints \(trimmed): port \(port) is out of range")
        }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        url = "\(scheme)://\(bracketed):\(port)"
        usesTLS = scheme == "https"
    }
}
