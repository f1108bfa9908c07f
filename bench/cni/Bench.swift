import Foundation
import Glibc

/// One container of the benchmark: a fresh namespace and the identity a runtime would give it.
struct Container {
    var set: Int
    var namespace: String
    var containerID: String
}

/// Runs the CNI commands of both plugin sets, interleaved, and keeps their samples.
final class Bench {
    let sets: [PluginSet]
    let namespaces: Namespaces
    let work: String
    let gate: QuietGate
    private var serial = 0
    private var configPaths: [String] = []
    /// samples[case][set]
    private(set) var samples: [String: [Samples]] = [:]
    private(set) var caseOrder: [String] = []

    init(sets: [PluginSet], namespaces: Namespaces, work: String, gate: QuietGate) throws {
        self.sets = sets
        self.namespaces = namespaces
        self.work = work
        self.gate = gate
        for directory in ["out", "log"] {
            try FileManager.default.createDirectory(atPath: "\(work)/\(directory)", withIntermediateDirectories: true)
        }
        for set in sets {
            let path = "\(work)/\(set.label).conf"
            try write(set.config, to: path)
            configPaths.append(path)
        }
        try write(#"{"cniVersion":"1.0.0"}"#, to: "\(work)/version.conf")
    }

    private func record(_ name: String, set: Int, _ outcome: Outcome) {
        if samples[name] == nil {
            samples[name] = Array(repeating: Samples(), count: sets.count)
            caseOrder.append(name)
        }
        samples[name]?[set].add(outcome)
    }

    /// Fresh namespaces for `count` containers of every set, created (untimed) before any of them is used.
    func makeContainers(count: Int) throws -> [[Container]] {
        try sets.indices.map { set in
            try (0..<count).map { _ in
                serial += 1
                let name = "\(namespaces.prefix)-\(sets[set].label)\(serial)"
                try namespaces.create(name)
                // 64 random hex digits, like a runtime's container ID. Calico names a `cni` workload's host-side
                // veth after the ID's first 11 characters, so they must differ between containers.
                let id = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16).leftPadded(16) }
                    .joined()
                return Container(set: set, namespace: name, containerID: id)
            }
        }
    }

    func remove(_ containers: [[Container]]) {
        for container in containers.joined() { namespaces.delete(container.namespace) }
    }

    private func invocation(_ command: String, _ container: Container) -> Invocation {
        let set = sets[container.set]
        return Invocation(
            path: set.plugin,
            environment: [
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "CNI_COMMAND=\(command)",
                "CNI_CONTAINERID=\(container.containerID)",
                "CNI_NETNS=\(namespaces.path(container.namespace))", "CNI_IFNAME=eth0", "CNI_PATH=\(set.cniPath)",
            ],
            stdinPath: configPaths[container.set], stdoutPath: outputPath(command, container),
            stderrPath: "\(work)/log/\(set.label).stderr")
    }

    private func outputPath(_ command: String, _ container: Container) -> String {
        "\(work)/out/\(container.namespace).\(command).json"
    }

    /// Throws with the plugin's own error result when it failed; returns its result's addresses for an ADD.
    @discardableResult
    private func check(_ command: String, _ container: Container, _ outcome: Outcome) throws -> [String] {
        let set = sets[container.set]
        let output = (try? String(contentsOfFile: outputPath(command, container), encoding: .utf8)) ?? ""
        guard outcome.succeeded else {
            let log = (try? String(contentsOfFile: "\(work)/log/\(set.label).stderr", encoding: .utf8)) ?? ""
            throw BenchError(
                "\(set.label) \(command) \(container.namespace) failed (wait status \(outcome.status)): "
                    + "\(output.prefix(600)) \(log.suffix(600))")
        }
        guard command == "ADD" else { return [] }
        let addresses = resultAddresses(output)
        guard !addresses.isEmpty, addresses.allSatisfy({ $0.hasPrefix(set.addressPrefix) }) else {
            throw BenchError("\(set.label) ADD \(container.namespace): no \(set.addressPrefix)x address in \(output)")
        }
        return addresses
    }

    /// Order of the sets for the `round`-th measurement: alternating, so drift and noise hit both alike.
    private func order(_ round: Int) -> [Int] {
        round % 2 == 0 ? Array(sets.indices) : Array(sets.indices.reversed())
    }

    /// `count` containers per set: ADD one at a time (the sets interleaved), then DEL one at a time.
    func sequential(count: Int) throws {
        let containers = try makeContainers(count: count)
        defer { remove(containers) }
        var addresses = Array(repeating: Set<String>(), count: sets.count)
        for index in 0..<count {
            for set in order(index) {
                gate.wait()
                let container = containers[set][index]
                let outcome = try Spawner.run(invocation("ADD", container))
                for address in try check("ADD", container, outcome) {
                    guard addresses[set].insert(address).inserted else {
                        throw BenchError("\(sets[set].label): \(address) handed out twice")
                    }
                }
                record("ADD, one at a time", set: set, outcome)
            }
        }
        try checkWiring(containers, addresses: addresses)
        for index in 0..<count {
            for set in order(index) {
                gate.wait()
                let container = containers[set][index]
                let outcome = try Spawner.run(invocation("DEL", container))
                try check("DEL", container, outcome)
                record("DEL, one at a time", set: set, outcome)
            }
        }
        try checkNothingLeft()
    }

    /// Rounds of `width` containers per set started at once (ADD, then DEL), until `count` samples per set.
    func parallel(count: Int, width: Int) throws {
        let rounds = (count + width - 1) / width
        for round in 0..<rounds {
            let containers = try makeContainers(count: width)
            defer { remove(containers) }
            for command in ["ADD", "DEL"] {
                if command == "DEL" { try checkWiring(containers, addresses: nil) }
                for set in order(round) {
                    gate.wait()
                    let invocations = containers[set].map { invocation(command, $0) }
                    let outcomes = try Spawner.runTogether(invocations)
                    var addresses = Set<String>()
                    for (container, outcome) in zip(containers[set], outcomes) {
                        for address in try check(command, container, outcome) {
                            guard addresses.insert(address).inserted else {
                                throw BenchError("\(sets[set].label): \(address) handed out twice in one round")
                            }
                        }
                        record("\(command), \(width) in parallel", set: set, outcome)
                    }
                }
            }
            try checkNothingLeft()
        }
    }

    /// Start-up cost alone: `VERSION` of each plugin, `runs` times, interleaved.
    func version(runs: Int) throws {
        for run in 0..<runs {
            for set in order(run) {
                let name = sets[set].label
                for (which, path) in [("network plugin", sets[set].plugin), ("IPAM plugin", sets[set].ipamPlugin)] {
                    gate.wait()
                    let output = "\(work)/out/version-\(name).json"
                    let outcome = try Spawner.run(
                        Invocation(
                            path: path, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "CNI_COMMAND=VERSION"],
                            stdinPath: "\(work)/version.conf", stdoutPath: output,
                            stderrPath: "\(work)/log/\(name).stderr"))
                    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
                    guard outcome.succeeded, text.contains("supportedVersions") else {
                        throw BenchError("\(path) VERSION failed (wait status \(outcome.status)): \(text.prefix(300))")
                    }
                    record("VERSION (\(which))", set: set, outcome)
                }
            }
        }
    }

    /// After the ADDs: the node holds one host-side link per container, and (when the addresses are given) each
    /// set's first container has its address on eth0.
    private func checkWiring(_ containers: [[Container]], addresses: [Set<String>]?) throws {
        let links = try namespaces.nodeLinks(scratch: "\(work)/out/links.txt")
        let expected = containers.joined().count
        guard links.count == expected else {
            throw BenchError("the node has \(links.count) links after \(expected) ADDs")
        }
        guard let addresses else { return }
        for (set, list) in containers.enumerated() {
            guard let first = list.first else { continue }
            let scratch = "\(work)/out/addresses.txt"
            try Spawner.tool("ip", "-n", first.namespace, "-o", "addr", "show", "dev", "eth0", outputPath: scratch)
            let text = (try? String(contentsOfFile: scratch, encoding: .utf8)) ?? ""
            guard addresses[set].contains(where: { text.contains(" \($0)/") }) else {
                throw BenchError("\(sets[set].label): \(first.namespace) has none of its addresses on eth0: \(text)")
            }
        }
    }

    /// After every DEL: no allocation of either set is left, and the node has no container's host-side link.
    func checkNothingLeft() throws {
        for set in sets {
            let left = set.allocationFiles()
            guard left.isEmpty else {
                throw BenchError("\(set.label): \(left.count) allocations left after DEL, e.g. \(left[0])")
            }
        }
        let links = try namespaces.nodeLinks(scratch: "\(work)/out/links.txt")
        guard links.isEmpty else {
            throw BenchError("the node still has \(links.count) links after DEL: \(links[0])")
        }
    }

    /// name -> samples, in the order the cases ran.
    var cases: [(name: String, samples: [Samples])] {
        caseOrder.compactMap { name in samples[name].map { (name, $0) } }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
