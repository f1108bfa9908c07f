import BGP
import CalicoAPI
import Datastore
import Foundation
import Glibc
import IPAM
import Netlink
import NetworkAddress

/// `agent-bench --bgp`: BGP through BIRD with 200 nodes' blocks (BGPCluster), three tabbyd with
/// `--networking-backend bird` in namespaces and a route server BIRD announcing the other 197 nodes' blocks.
///
/// - Latency: a new block affine to node-0 written into the datastore (BlockAffinity, then IPAMBlock) until its
///   route is in the kernels of node-1 and node-2 (netlink notifications; the later of the two). By BGP (a block
///   of `bgp-pool`: node-0's tabbyd renders, BIRD reloads and announces, the route server reflects, node-1's and
///   node-2's BIRD program it), against the same route programmed by the peers' tabbyd directly (a block of
///   `direct-pool`, VXLAN CrossSubnet on one subnet), against one `ip route add` process; interleaved.
/// - Restart: node-1's BIRD killed (SIGKILL) until tabbyd started it again, its session is Established and it has
///   imported every route again; the kernel's `proto bird` routes are counted meanwhile (BIRD's `persist`).
///   Against loading the same routes with one `ip -batch` into a fresh namespace.
/// - Render and reload: BIRDRenderer on this cluster (route server) and with the mesh on (199 sessions), in this
///   process; node-0's check-write-configure time per changed configuration, from its log; and changes that leave
///   BIRD's configuration as it is (Node label edits, GlobalNetworkSets) counted in renders and reloads.
struct BGPBench {
    let bench: Bench
    let quick: Bool

    func run() async throws {
        guard Processes.onPath("bird") else {
            print("agent-bench --bgp: bird is not installed (apt-get install bird2; make deps does)")
            return
        }
        let cluster = try BGPCluster()
        renderCost(cluster)

        let datastore = bench.scratch + "/bgp-datastore"
        let store = try FileDatastore(directory: datastore)
        for resource in cluster.resources { _ = try await store.create(resource) }
        let topology = try BGPTopology(
            prefix: "tabby-bench-\(bench.pid)-bgp", scratch: bench.scratch, cluster: cluster, cleanup: bench.cleanup)
        defer { topology.stop() }
        let birds = (0..<BGPCluster.liveNodes).map { NodeBIRD(scratch: bench.scratch, node: $0) }
        let arrivals = try topology.nodes.dropFirst().map { try RouteArrivals(namespace: $0) }
        var agents: [Tabbyd] = []
        defer { agents.forEach { $0.stop() } }
        for index in 0..<BGPCluster.liveNodes {
            agents.append(
                try Tabbyd(
                    binary: bench.tabbyd, namespace: topology.nodes[index], datastoreArguments: ["--datastore", datastore],
                    scratch: bench.scratch, tag: "bgp-n\(index)", extraArguments: birds[index].arguments,
                    node: BGPCluster.nodeName(index), address: BGPCluster.nodeAddress(index) + "/24",
                    cleanup: bench.cleanup))
        }
        let expected = BGPCluster.nodeCount - 1
        let converged = ContinuousClock.now
        try waitUntil("node-1 and node-2 have every other node's block from BIRD", timeout: .seconds(60)) {
            topology.nodes.dropFirst().allSatisfy { birdRoutes(in: $0) >= expected }
        }
        print(
            "  BGP: 3 tabbyd + BIRD, route server with 197 nodes' blocks: every peer had all \(expected) blocks "
                + "\(ms(milliseconds(ContinuousClock.now - converged))) after the last tabbyd was ready")

        try await latency(store: store, cluster: cluster, agents: agents, arrivals: arrivals, topology: topology)
        try await unchangedConfiguration(store: store, cluster: cluster, agent: agents[0])
        reloadCost(agents[0])
        try restart(bird: birds[1], namespace: topology.nodes[1], expected: expected, cluster: cluster)
    }

    // MARK: Render cost, in this process

    private func renderCost(_ cluster: BGPCluster) {
        let runs = quick ? 100 : 300
        for (label, mesh) in [("route server, 1 session", false), ("mesh on, 199 sessions", true)] {
            let inputs = cluster.renderInputs(node: 0, mesh: mesh)
            var times: [Double] = []
            var size = 0
            for _ in 0..<runs {
                let started = ContinuousClock.now
                let rendered = BIRDRenderer.render(inputs)
                times.append(milliseconds(ContinuousClock.now - started))
                size = rendered.text.utf8.count
            }
            print(
                "  render (\(label), \(size / 1024) KiB): median \(ms(median(times))), p99 \(ms(p99(times))) "
                    + "over \(runs) renders (goal: under 5 ms)")
        }
    }

    // MARK: Block to route

    private func latency(
        store: FileDatastore, cluster: BGPCluster, agents: [Tabbyd], arrivals: [RouteArrivals], topology: BGPTopology
    ) async throws {
        let writes = bench.writes
        var byBGP: [Double] = []
        var byTabbyd: [Double] = []
        var byIP: [Double] = []
        let reference = topology.nodes[1]
        waitForQuiet()
        for number in 0..<writes {
            for (pool, samples) in [(cluster.bgpPool, 0), (cluster.directPool, 1)] {
                let block = try await freeBlock(in: pool, from: pool == cluster.bgpPool ? 300 + number : 100 + number, store: store)
                let start = ContinuousClock.now
                for resource in BGPCluster.blockResources(block, node: BGPCluster.nodeName(0)) {
                    _ = try await store.create(resource)
                }
                var latest = start
                for (peer, arrival) in arrivals.enumerated() {
                    guard let arrived = arrival.wait(for: "\(block)", timeout: .seconds(10)) else {
                        throw BenchError(
                            "no route to \(block) on node-\(peer + 1) within 10 s; node-0's log:\n" + agents[0].logTail())
                    }
                    latest = max(latest, arrived)
                }
                if samples == 0 { byBGP.append(milliseconds(latest - start)) } else { byTabbyd.append(milliseconds(latest - start)) }
                usleep(50_000)
            }
            let scriptBlock = try BGPCluster.block(in: try CIDR(parsing: "10.160.0.0/16"), at: number)
            let ipStart = ContinuousClock.now
            try Processes.run("ip", "-n", reference, "route", "add", "\(scriptBlock)", "via", "192.0.2.1", "dev", "eth0")
            guard let ipArrived = arrivals[0].wait(for: "\(scriptBlock)", timeout: .seconds(5)) else {
                throw BenchError("ip route add \(scriptBlock): no notification")
            }
            byIP.append(milliseconds(ipArrived - ipStart))
        }
        print("  a new block of node-0 in the datastore to its route in both peers' kernels, \(writes) writes each:")
        print("    by BGP (tabbyd renders, BIRD announces, route server reflects, BIRD programs): median "
              + "\(ms(median(byBGP))), p99 \(ms(p99(byBGP))) (goal: p99 under 1 s)")
        print("    by the peers' tabbyd directly (CrossSubnet, same subnet):                       median "
              + "\(ms(median(byTabbyd))), p99 \(ms(p99(byTabbyd)))")
        print("    one ip route add process (no datastore, one kernel):                              median "
              + "\(ms(median(byIP))), p99 \(ms(p99(byIP)))")
        print("    BGP / tabbyd directly: \(ratio(median(byBGP) / median(byTabbyd))) (median), "
              + "\(ratio(p99(byBGP) / p99(byTabbyd))) (p99); BGP / ip route add: \(ratio(median(byBGP) / median(byIP)))")
    }

    /// A block of `pool` no resource uses yet, from index `start` on (the agents' IPAM claims blocks for their
    /// VXLAN tunnel addresses in `direct-pool`).
    private func freeBlock(in pool: CIDR, from start: Int, store: FileDatastore) async throws -> CIDR {
        var index = start
        while true {
            let block = try BGPCluster.block(in: pool, at: index)
            let key = ResourceKey(kind: .ipamBlock, name: IPAMNames.block(block))
            if (try? await store.get(key)) == nil { return block }
            index += 1
        }
    }

    // MARK: Changes that leave BIRD's configuration alone

    private func unchangedConfiguration(store: FileDatastore, cluster: BGPCluster, agent: Tabbyd) async throws {
        let renders = agent.client.metric("tabby_bgp_render_time_seconds_count") ?? .nan
        let reloads = agent.client.metric("tabby_bird_reconfigurations_total") ?? .nan
        let changes = quick ? 10 : 30
        for number in 0..<changes {
            // A label no selector reads: BGP input, so tabbyd renders, but the text is the same.
            let key = ResourceKey(kind: .node, name: BGPCluster.nodeName(100 + number))
            guard var node = try await store.get(key).as(Node.self) else { throw BenchError("no \(key)") }
            node.metadata.labels = ["bench-edit": "\(number)"]
            _ = try await store.update(AnyResource(node))
            // Not a BGP input at all: not rendered.
            var set = GlobalNetworkSet(name: "bench-set-\(number)")
            set.spec.nets = [IPNetwork(try CIDR(parsing: "198.51.100.\(number)/32"))]
            _ = try await store.create(AnyResource(set))
            usleep(20_000)
        }
        usleep(1_000_000)
        let rendersAfter = agent.client.metric("tabby_bgp_render_time_seconds_count") ?? .nan
        let reloadsAfter = agent.client.metric("tabby_bird_reconfigurations_total") ?? .nan
        print(
            "  \(changes) Node label edits and \(changes) GlobalNetworkSets on node-0: "
                + "\(Int(rendersAfter - renders)) renders, \(Int(reloadsAfter - reloads)) BIRD reloads (goal: 0 reloads)")
    }

    private func reloadCost(_ agent: Tabbyd) {
        let text = (try? String(contentsOfFile: agent.logPath, encoding: .utf8)) ?? ""
        let seconds = text.split(separator: "\n").filter { $0.contains("BIRD reconfigured") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("seconds=") }.flatMap { Double($0.dropFirst(8)) }
        }
        let values = seconds.map { $0 * 1000 }
        print(
            "  node-0: check (bird -p), write and configure per changed configuration: median \(ms(median(values))), "
                + "p99 \(ms(p99(values))) over \(values.count) reloads")
    }

    // MARK: BIRD killed

    private func restart(bird: NodeBIRD, namespace: String, expected: Int, cluster: BGPCluster) throws {
        let runs = quick ? 2 : 3
        var started: [Double] = []
        var established: [Double] = []
        var imported: [Double] = []
        var lowestKernel = Int.max
        var beforeKill = 0
        for run in 0..<runs {
            try waitUntil("node-1's BIRD has every route before the kill", timeout: .seconds(30)) {
                bird.established() && (bird.importedRoutes() ?? 0) >= expected
            }
            // Each kill a crash of its own, not a crash loop: BIRD ran more than 10 s (the supervisor backs off
            // from 1 s towards 16 s only while BIRD keeps dying sooner).
            usleep(run == 0 ? 500_000 : 11_000_000)
            guard let pid = bird.pid else { throw BenchError("no pid in \(bird.pidFile)") }
            beforeKill = birdRoutes(in: namespace)
            let killed = ContinuousClock.now
            kill(pid, SIGKILL)
            var times: [ContinuousClock.Instant?] = [nil, nil, nil]
            let deadline = killed + .seconds(60)
            while times[2] == nil {
                guard ContinuousClock.now < deadline else { throw BenchError("node-1's BIRD did not come back in 60 s") }
                lowestKernel = min(lowestKernel, birdRoutes(in: namespace))
                if times[0] == nil, let now = bird.pid, now != pid, kill(now, 0) == 0, BIRDControlClient(socketPath: bird.socket).answers() {
                    times[0] = ContinuousClock.now
                }
                if times[0] != nil, times[1] == nil, bird.established() { times[1] = ContinuousClock.now }
                if times[1] != nil, (bird.importedRoutes() ?? 0) >= expected { times[2] = ContinuousClock.now }
                usleep(10_000)
            }
            started.append(milliseconds(times[0]! - killed))
            established.append(milliseconds(times[1]! - killed))
            imported.append(milliseconds(times[2]! - killed))
        }
        // The same routes loaded by one ip -batch into a fresh namespace.
        let fresh = "tabby-bench-\(bench.pid)-bgp-ip"
        try Processes.run("ip", "netns", "add", fresh)
        bench.cleanup.created(namespace: fresh)
        defer {
            try? Processes.run("ip", "netns", "delete", fresh)
            bench.cleanup.deleted(namespace: fresh)
        }
        try BGPTopology.batch(
            ["link set lo up", "link add eth0 type veth peer name eth0p", "address add 192.0.2.2/24 dev eth0", "link set eth0p up", "link set eth0 up"],
            namespace: fresh, scratch: bench.scratch)
        var lines: [String] = []
        for index in 0..<BGPCluster.nodeCount where index != 1 {
            lines.append("route add \(cluster.blocks[index]) via \(BGPCluster.nodeAddress(index)) dev eth0 proto bird metric 32")
        }
        let path = bench.scratch + "/bgp-routes.batch"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        let ipStart = ContinuousClock.now
        try Processes.run("ip", "-n", fresh, "-batch", path)
        let ipBatch = milliseconds(ContinuousClock.now - ipStart)
        print("  node-1's BIRD killed (SIGKILL), \(runs) times; from the kill:")
        print(
            "    tabbyd started BIRD again: median \(ms(median(started))), max \(ms(started.max() ?? .nan)) "
                + "(the supervisor's 1 s delay included)")
        print("    session to the route server Established: median \(ms(median(established))), max \(ms(established.max() ?? .nan))")
        print("    all \(expected) routes imported again: median \(ms(median(imported))), max \(ms(imported.max() ?? .nan))")
        print(
            "    fewest proto bird routes in node-1's kernel meanwhile: \(lowestKernel), \(beforeKill) before the kill "
                + "(bird -R: the kernel protocol keeps them through the restart)")
        print("    the same \(lines.count) routes by one ip -batch into a fresh namespace: \(ms(ipBatch))")
    }
}

/// The `proto bird` IPv4 routes in a namespace's main table.
func birdRoutes(in namespace: String) -> Int {
    guard let socket = try? RouteSocket(in: NetworkNamespace(named: namespace)),
        let routes = try? socket.routes(family: .v4, table: .main)
    else { return 0 }
    return routes.filter { $0.protocol == RouteProtocol(12) }.count
}

func waitUntil(_ what: String, timeout: Duration, _ condition: () -> Bool) throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw BenchError("timed out after \(timeout): \(what)") }
        usleep(20_000)
    }
}
