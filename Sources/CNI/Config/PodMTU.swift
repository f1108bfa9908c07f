/// The workload veth's MTU, in Calico's order: the config's `mtu`, else the pod-MTU file tabbyd writes
/// (`mtu_file`, default `/var/lib/calico/mtu`), else 1500 (the kernel's veth default, which Calico's plugin gets
/// when it has neither).
public enum PodMTU {
    public static let fallback = 1500
    /// IPv4's minimum (RFC 791) and the largest a veth takes.
    public static let range = 68...65535

    public static func resolve(_ config: NetworkConfig, readFile: (String) throws(CNIError) -> String?)
        throws(CNIError) -> Int
    {
        if let mtu = config.mtu { return mtu }
        guard let text = try readFile(config.mtuFile) else {
            if config.requireMTUFile {
                throw CNIError(
                    .ioFailure, "the MTU file is missing",
                    details: "\(config.mtuFile) does not exist, the config sets no mtu and require_mtu_file is true")
            }
            return fallback
        }
        let trimmed = text.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        guard let mtu = Int(trimmed), range.contains(mtu) else {
            throw CNIError(
                .invalidNetworkConfig, "invalid pod MTU file",
                details: "\(config.mtuFile) holds \"\(trimmed)\", not an MTU in \(range.lowerBound)-\(range.upperBound)"
            )
        }
        return mtu
    }

    static func check(_ mtu: Int, field: JSONField) throws(CNIError) {
        guard range.contains(mtu) else {
            throw field.invalid("\(mtu) is not an MTU in \(range.lowerBound)-\(range.upperBound)")
        }
    }
}
