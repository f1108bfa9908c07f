import CalicoAPI
import NetworkAddress

/// Turns the pool entries of a config or an annotation (names or CIDRs, as Calico takes them) into pool names.
enum PoolResolution {
    /// The pools named by `entries`, for addresses of `family`. A CIDR becomes the name of the pool with that
    /// CIDR (a CIDR no pool has is passed on as it is, and IPAM says the pool does not exist); a name must be a
    /// pool's. An entry of the other family is refused, as Calico refuses it.
    static func names(_ entries: [String], family: IPFamily, pools: [IPPool], source: String) throws(CNIError)
        -> [String]
    {
        var names: [String] = []
        for entry in entries {
            let network: CIDR
            var name = entry
            if let cidr = CIDR(entry) {
                network = cidr.masked
                if let pool = pools.first(where: { $0.spec.cidr?.masked == network }) { name = pool.metadata.name }
            } else if let pool = pools.first(where: { $0.metadata.name == entry }), let cidr = pool.spec.cidr {
                network = cidr.masked
            } else {
                throw CNIError(
                    .addressUnavailable, "error parsing pool \"\(entry)\": invalid CIDR address: \(entry)",
                    details: "\(source) names \"\(entry)\", which is neither the name of an IP pool nor a CIDR")
            }
            guard network.family == family else {
                throw CNIError(
                    .addressUnavailable, "\"\(network.address)\" isn't a IPv\(family.rawValue) address",
                    details: "\(source) lists \"\(entry)\" (\(network)) among the IPv\(family.rawValue) pools")
            }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }
}
