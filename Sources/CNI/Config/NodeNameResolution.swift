/// Which Calico node this is, in Calico's order: the config's `nodename`, else the first line of
/// `nodename_file` (`/var/lib/calico/nodename` when not given), else the host name.
public enum NodeNameResolution {
    /// `readFile` returns nil when the file does not exist; `hostName` is the kernel's host name.
    public static func resolve(
        _ config: NetworkConfig, readFile: (String) throws(CNIError) -> String?, hostName: () -> String?
    ) throws(CNIError) -> String {
        if let name = config.nodeName { return name }
        let path = config.nodeNameFile ?? NetworkConfig.defaultNodeNameFile
        if let text = try readFile(path) {
            let name = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingSpaces } ?? ""
            guard !name.isEmpty else {
                throw CNIError(
                    .invalidNetworkConfig, "invalid network config", details: "nodename_file \(path) is empty")
            }
            return name
        }
        if !config.nodeNameFileOptional {
            throw CNIError(
                .invalidNetworkConfig, "invalid network config",
                details: "nodename_file \(path) does not exist and nodename_file_optional is false")
        }
        guard let host = hostName(), !host.isEmpty else {
            throw CNIError(
                .ioFailure, "cannot name this node",
                details: "no nodename in the config, no \(path), and the host name cannot be read")
        }
        return host
    }
}
