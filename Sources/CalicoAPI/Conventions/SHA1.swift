import NetworkAddress

/// SHA-1 (FIPS 180-4), for the identifiers Calico derives from it: VXLAN tunnel MACs and workload interface
/// names. Not for security.
public enum SHA1 {
    public static func digest(_ text: String) -> [UInt8] { digest(Array(text.utf8)) }

    public static func digest(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var padded = message
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        let bitLength = UInt64(message.count) &* 8
        for shift in stride(from: 56, through: 0, by: -8) { padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: padded.count, by: 64) {
            for i in 0..<16 {
                let base = chunk + i * 4
                w[i] = UInt32(padded[base]) << 24 | UInt32(padded[base + 1]) << 16 | UInt32(padded[base + 2]) << 8
                    | UInt32(padded[base + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32)
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
                }
                let temp = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, temp)
            }
            h[0] = h[0] &+ a
            h[1] = h[1] &+ b
            h[2] = h[2] &+ c
            h[3] = h[3] &+ d
            h[4] = h[4] &+ e
        }
        return h.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - $0 * 8)) } }
    }

    public static func hex(_ text: String) -> String {
        digest(text).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// Names and numbers Felix derives, which Tabby derives the same way so both agree on a mixed cluster.
public enum FelixConventions {
    /// The VXLAN device's MAC when the Node does not set one: 0x66 then the first five bytes of SHA-1 of the
    /// node name (a locally administered unicast address).
    public static func vxlanMAC(node: String) -> MACAddress {
        MACAddress(SHA1.digest(node).prefix(5).reduce(UInt64(0x66)) { $0 << 8 | UInt64($1) })
    }

    /// The IPv6 VXLAN device's MAC (`vxlan-v6.calico`) when the Node does not set one: the same derivation over
    /// the node name followed by "-v6".
    public static func vxlanMACV6(node: String) -> MACAddress { vxlanMAC(node: node + "-v6") }

    /// The host-side interface name of a Kubernetes pod's veth: the prefix then the first 11 hex characters of
    /// SHA-1 of `<namespace>.<pod>` (`cali1a2b3c4d5e6`).
    public static func workloadInterfaceName(namespace: String, pod: String, prefix: String = "cali") -> String {
        prefix + SHA1.hex("\(namespace).\(pod)").prefix(11)
    }
}
