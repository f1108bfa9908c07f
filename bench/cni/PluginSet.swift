import Foundation

/// One network plugin with its IPAM plugin, as a runtime would call it: the plugin's path, the CNI_PATH it finds
/// its IPAM plugin on, a network config, and where its state lives (to check that DEL left nothing behind).
struct PluginSet {
    /// "tabby" or "ptp": the label in the report and in container names.
    var label: String
    var plugin: String
    var ipamPlugin: String
    var cniPath: String
    var config: String
    /// Addresses this set hands out start with this (e.g. "203.0.113.").
    var addressPrefix: String
    /// Files that hold one allocation each; none may be left after every DEL.
    var allocationFiles: () -> [String]

    /// tabby + tabby-ipam over a file datastore of the bench's own, holding one IPv4 pool and the Node.
    static func tabby(binDirectory: String, datastore: String, node: String) throws -> PluginSet {
        try write(
            """
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata:
              name: cni-bench-ipv4
            spec:
              allowedUses:
              - Workload
              - Tunnel
              assignmentMode: Automatic
              blockSize: 26
              cidr: 203.0.113.0/24
              ipipMode: Never
              natOutgoing: false
              nodeSelector: all()
              vxlanMode: Never

            """, to: "\(datastore)/ippools/cni-bench-ipv4.yaml")
        try write(
            """
            apiVersion: projectcalico.org/v3
            kind: Node
            metadata:
              name: \(node)
            spec:
              bgp:
                ipv4Address: 192.0.2.10/24

            """, to: "\(datastore)/nodes/\(node).yaml")
        let config = """
            {"cniVersion":"1.0.0","name":"cni-bench","type":"tabby","nodename":"\(node)","mtu":1500,\
            "log_level":"warning","datastore_type":"file","datastore_path":"\(datastore)",\
            "ipam":{"type":"tabby-ipam"}}
            """
        return PluginSet(
            label: "tabby", plugin: "\(binDirectory)/tabby", ipamPlugin: "\(binDirectory)/tabby-ipam",
            cniPath: binDirectory, config: config, addressPrefix: "203.0.113.",
            allocationFiles: {
                yamlFiles(in: "\(datastore)/ipam/ipamhandles") + yamlFiles(in: "\(datastore)/workloadendpoints")
            })
    }

    /// containernetworking-plugins' ptp + host-local, with an equivalent config: one /24 of documentation space,
    /// host-local's data directory in the bench's own directory, a default route, the same MTU.
    static func ptp(referenceDirectory: String, dataDirectory: String) -> PluginSet {
        let config = """
            {"cniVersion":"1.0.0","name":"cni-bench-ptp","type":"ptp","mtu":1500,"ipMasq":false,\
            "ipam":{"type":"host-local","dataDir":"\(dataDirectory)","ranges":[[{"subnet":"198.51.100.0/24"}]],\
            "routes":[{"dst":"0.0.0.0/0"}]}}
            """
        return PluginSet(
            label: "ptp", plugin: "\(referenceDirectory)/ptp", ipamPlugin: "\(referenceDirectory)/host-local",
            cniPath: referenceDirectory, config: config, addressPrefix: "198.51.100.",
            allocationFiles: {
                // host-local keeps one file per address, named by it, beside `lock` and `last_reserved_ip.0`.
                let directory = "\(dataDirectory)/cni-bench-ptp"
                let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                return names.filter { $0.hasPrefix("198.51.100.") }.map { "\(directory)/\($0)" }
            })
    }
}

func write(_ text: String, to path: String) throws {
    let directory = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// `*.yaml` files under `directory`, recursively (namespaced kinds have one subdirectory per namespace).
func yamlFiles(in directory: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
    return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".yaml") }.map { "\(directory)/\($0)" }
}

/// The addresses (`"address":"a.b.c.d/n"`) in a CNI result, without their prefix length.
func resultAddresses(_ json: String) -> [String] {
    var found: [String] = []
    var rest = Substring(json)
    while let key = rest.range(of: "\"address\"") {
        rest = rest[key.upperBound...].drop { $0 == " " || $0 == ":" }
        guard rest.first == "\"" else { continue }
        rest = rest.dropFirst()
        guard let close = rest.firstIndex(of: "\"") else { break }
        found.append(String(rest[..<close].prefix { $0 != "/" }))
        rest = rest[close...].dropFirst()
    }
    return found
}
