import CNI
import CalicoAPI
import Datastore
import Foundation
import NetworkAddress

/// A new directory under /tmp named for this test process, removed when `body` returns or throws.
func withPluginDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = "/tmp/tabby-t-cni-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// A plugin config for `tabby` (or `tabby-ipam`) on the file datastore at `datastore`.
func pluginConfig(
    version: String = "1.0.0", type: String = "tabby", ipam: String = #"{"type":"tabby-ipam"}"#,
    datastore: String = "/nonexistent/tabby-datastore", extra: String = ""
) -> [UInt8] {
    var text = #"{"cniVersion":"\#(version)","name":"k8s-pod-network","type":"\#(type)","nodename":"node-1","#
    text += #""datastore_path":"\#(datastore)","mtu":1450,"ipam":\#(ipam)"#
    if !extra.isEmpty { text += "," + extra }
    return Array((text + "}").utf8)
}

func pluginEnvironment(
    _ command: String, containerID: String = "c0ffee01", netns: String = "/run/netns/tabby-none",
    path: String = "/nonexistent", arguments: String = ""
) -> [String: String] {
    [
        "CNI_COMMAND": command, "CNI_CONTAINERID": containerID, "CNI_NETNS": netns, "CNI_IFNAME": "eth0",
        "CNI_PATH": path, "CNI_ARGS": arguments,
    ]
}

/// A host with no files, named `host-1`.
let bareHost = PluginHost(readFile: { _ in nil }, hostName: { "host-1" })

extension PluginOutput {
    /// The printed JSON (nil when nothing or no JSON was printed).
    var json: JSONValue? { try? JSONValue.parse(Array(stdout.utf8), what: "stdout") }
    var errorCode: Int? {
        if case .number(let code)? = json?["code"] { return Int(code) }
        return nil
    }
    var errorDetails: String {
        if case .string(let text)? = json?["details"] { return text }
        return ""
    }
}

/// A datastore directory with IP pools in it (IPv4 `192.0.2.0/24`, IPv6 `2001:db8:1::/112` unless told).
func makePluginDatastore(_ directory: String, pools: [IPPool]) async throws {
    let datastore = try FileDatastore(directory: directory)
    for pool in pools { _ = try await datastore.create(AnyResource(pool)) }
}

func pluginPool(_ name: String, _ cidr: String, disabled: Bool = false) -> IPPool {
    var spec = IPPoolSpec(cidr: CIDR(cidr)!)
    if disabled { spec.disabled = true }
    return IPPool(name: name, spec: spec)
}
