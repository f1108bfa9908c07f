import CNI
import CalicoAPI
import Datastore
import Foundation
import IPAM
import NetworkAddress
import Testing

/// Whether this process may create network namespaces (root and `ip netns add`); probed once.
let pluginCanCreateNamespaces: Bool = {
    guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip"),
        FileManager.default.isExecutableFile(atPath: "/usr/bin/nsenter")
    else { return false }
    let name = "tabby-t-cni-\(getpid())-probe"
    let added = Process.launchedAndWaited("/usr/sbin/ip", ["netns", "add", name])
    _ = Process.launchedAndWaited("/usr/sbin/ip", ["netns", "delete", name])
    return added
}()

extension Process {
    /// Only for the one-off probe above, before any test runs.
    fileprivate static func launchedAndWaited(_ path: String, _ arguments: [String]) -> Bool {
        guard let process = try? Process.run(URL(fileURLWithPath: path), arguments: arguments) else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

/// A "node" namespace the plugin runs in (the host side of each veth lands there) and container namespaces,
/// all of the test's own and deleted at the end; a file datastore in a temporary directory with a dual-stack
/// pool pair and the node's Node resource.
final class PluginCluster: Sendable {
    let node: String
    let directory: String
    let datastore: String
    let binaries: String
    let tag: String

    static let nodeName = "node-1"

    private init(directory: String) throws {
        tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        node = "tabby-t-cni-node-\(tag)"
        self.directory = directory
        datastore = directory + "/datastore"
        binaries = try buildProductsDirectory()
    }

    static func with<T>(
        pools: [IPPool] = [pluginPool("v4", "192.0.2.0/24"), pluginPool("v6", "2001:db8:7::/120")],
        _ body: (PluginCluster) async throws -> T
    ) async throws -> T {
        try await withPluginDirectory { directory in
            let cluster = try PluginCluster(directory: directory)
            try await makePluginDatastore(cluster.datastore, pools: pools)
            let store = try FileDatastore(directory: cluster.datastore)
            _ = try await store.create(AnyResource(Node(name: nodeName)))
            let outcome: Result<T, any Error>
            do {
                try await cluster.ip("netns", "add", cluster.node)
                // The node's uplink, as a real node has one, so the host veth's index differs from the container's
                // (Netlink's Link decoding drops an IFLA_LINK equal to the link's own index).
                try await cluster.ip(
                    "-n", cluster.node, "link", "add", "uplink0", "type", "veth", "peer", "name", "uplink1")
                outcome = .success(try await body(cluster))
            } catch {
                outcome = .failure(error)
            }
            await cluster.deleteNamespaces()
            return try outcome.get()
        }
    }

    /// A new container namespace; its path for `CNI_NETNS`.
    func container(_ name: String) async throws -> String {
        let namespace = "tabby-t-cni-\(name)-\(tag)"
        try await ip("netns", "add", namespace)
        try await ip("-n", namespace, "link", "set", "lo", "up")
        return "/run/netns/\(namespace)"
    }

    @discardableResult
    func ip(_ arguments: String...) async throws -> String {
        let result = try await PluginProcess.run("/usr/sbin/ip", arguments)
        guard result.status == 0 else {
            throw CNIError(.ioFailure, "ip \(arguments.joined(separator: " "))", details: result.output)
        }
        return result.output
    }

    func config(version: String = "1.0.0", ipv6: Bool = true) -> [UInt8] {
        pluginConfig(
            version: version, ipam: #"{"type":"tabby-ipam","assign_ipv6":"\#(ipv6)"}"#, datastore: datastore)
    }

    /// Runs `tabby` (or `tabby-ipam`) inside the node namespace, as podman runs it under `nsenter`.
    func run(
        _ command: String, containerID: String, netns: String, plugin: String = "tabby", arguments: String = "",
        stdin: [UInt8]? = nil
    ) async throws -> PluginProcess {
        let environment = [
            "CNI_COMMAND": command, "CNI_CONTAINERID": containerID, "CNI_NETNS": netns, "CNI_IFNAME": "eth0",
            "CNI_PATH": binaries, "CNI_ARGS": arguments, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        return try await PluginProcess.run(
            "/usr/bin/nsenter", ["--net=/run/netns/\(node)", binaries + "/" + plugin], environment: environment,
            stdin: stdin ?? config())
    }

    /// Deletes the node and container namespaces of this cluster, by their exact names (the veths go with them).
    func deleteNamespaces() async {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/run/netns") else { return }
        for name in names where name.hasPrefix("tabby-t-cni-") && name.hasSuffix("-" + tag) {
            _ = try? await PluginProcess.run("/usr/sbin/ip", ["netns", "delete", name])
        }
    }

    /// The `cali*` links in the node namespace.
    func hostVeths() async throws -> [String] {
        let output = try await ip("-n", node, "-o", "link", "show")
        return output.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { return nil }
            let name = fields[1].split(separator: "@").first.map(String.init) ?? ""
            return name.hasPrefix("cali") ? name : nil
        }
    }

    func endpoints() async throws -> [WorkloadEndpoint] {
        let store = try FileDatastore(directory: datastore)
        return try await store.list(.workloadEndpoint, namespace: nil).resources.compactMap {
            $0.as(WorkloadEndpoint.self)
        }
    }

    func allocations() async throws -> [Allocation] {
        try await IPAMClient(datastore: try FileDatastore(directory: datastore)).allocations()
    }
}

extension PluginProcess {
    /// The printed JSON: all of the output (a pretty-printed result), else its last line (after log lines).
    var json: JSONValue? {
        if let whole = try? JSONValue.parse(Array(output.utf8), what: "stdout") { return whole }
        let lastLine = output.split(separator: "\n").last.map(String.init) ?? ""
        return try? JSONValue.parse(Array(lastLine.utf8), what: "stdout")
    }

    var addresses: [String] {
        guard case .array(let ips)? = json?["ips"] else { return [] }
        return ips.compactMap { if case .string(let text)? = $0["address"] { text } else { nil } }
    }

    var code: Int? {
        if case .number(let code)? = json?["code"] { return Int(code) }
        return nil
    }
}

/// SHA-1 of `text` in lower-case hex, by `sha1sum` (the test does not reuse the code it checks).
func sha1Hex(_ text: String) async throws -> String {
    let result = try await PluginProcess.run("/usr/bin/sha1sum", stdin: Array(text.utf8))
    return result.output.split(separator: " ").first.map(String.init) ?? ""
}
