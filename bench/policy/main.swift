// policy-bench: the cost of the policy calculation at the scale (1,000 policies, 10,000 endpoints over
// 100 nodes, so 100 per node): loading the state from cold, computing one node's program, and one label
// change (state update plus the node's program again). There is no standard tool to compare with; the
// numbers are medians of several runs, printed with the work done (selector evaluations, sets changed).
import CalicoAPI
import NetworkAddress
import Policy

#if canImport(Glibc)
    import Glibc
#endif

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let nodes = 100
let endpointsPerNode = 100
let policyCount = 1000
let apps = 200
let namespaces = 20

func endpoint(_ index: Int, app: Int) -> AnyResource {
    var endpoint = WorkloadEndpoint(name: "ep-\(index)", namespace: "ns-\(index % namespaces)")
    endpoint.metadata.labels = ["app": "app-\(app)", "tier": "t\(index % 5)", "zone": "z\(index % 3)"]
    endpoint.spec.node = "node-\(index % nodes)"
    endpoint.spec.interfaceName = "cali\(index)"
    let address = 0x0A00_0000 + UInt32(index) + 1
    endpoint.spec.ipNetworks = [CIDR(host: .v4(IPv4Address(address)))]
    endpoint.spec.profiles = ["kns.ns-\(index % namespaces)"]
    endpoint.spec.ports = [EndpointPort(name: "http", protocol: .tcp, port: 8080)]
    return AnyResource(endpoint)
}

func policy(_ index: Int) -> AnyResource {
    var from = Rule(action: .allow)
    from.protocol = .tcp
    from.source = EntityRule()
    from.source?.selector = "app == 'app-\((index + 1) % apps)' && tier != 't\(index % 5)'"
    from.destination = EntityRule()
    from.destination?.ports = [.number(UInt16(1000 + index % 100)), .named("http")]
    var deny = Rule(action: .deny)
    deny.source = EntityRule()
    deny.source?.nets = [IPNetwork("192.0.2.0/24")!]
    if index % 2 == 0 {
        var spec = NetworkPolicySpec()
        spec.selector = "app == 'app-\(index % apps)'"
        spec.order = Double(index % 10)
        spec.ingress = [deny, from]
        return AnyResource(NetworkPolicy(name: "np-\(index)", namespace: "ns-\(index % namespaces)", spec: spec))
    }
    var spec = GlobalNetworkPolicySpec()
    // One GNP in ten selects a fifth of all endpoints (by tier), so every node has a fair share of policies.
    spec.selector =
        index % 10 == 1 ? "tier == 't\(index / 10 % 5)'" : "app == 'app-\(index % apps)' && zone == 'z\(index % 3)'"
    spec.ingress = [deny, from]
    spec.egress = [Rule(action: .allow)]
    return AnyResource(GlobalNetworkPolicy(name: "gnp-\(index)", spec: spec))
}

let endpoints = (0..<(nodes * endpointsPerNode)).map { endpoint($0, app: $0 % apps) }
let policies = (0..<policyCount).map(policy)
let runs = 5

var coldTimes: [Double] = []
var programTimes: [Double] = []
var changeTimes: [Double] = []
var changeProgramTimes: [Double] = []
var state = PolicyInputs(following: "node-7")
var changed = 0
var evaluatedSets = 0
var program = PolicyProgram(node: "")
for run in 0..<runs {
    let start = now()
    state = PolicyInputs(following: "node-7")
    for resource in policies { state.upsert(resource) }
    for resource in endpoints { state.upsert(resource) }
    coldTimes.append(now() - start)

    let programStart = now()
    program = state.program(node: "node-7")
    programTimes.append(now() - programStart)

    // One label change on a local endpoint: app-7 -> app-8 moves it between the sets of both apps.
    var relabelled = endpoint(7, app: run % 2 == 0 ? 8 : 7)
    relabelled.metadata.labels?["app"] = "app-\(8 + run)"
    let changeStart = now()
    state.upsert(relabelled)
    changeTimes.append(now() - changeStart)
    changed = state.changedSets.count
    let again = now()
    let after = state.program(node: "node-7")
    changeProgramTimes.append(now() - again)
    evaluatedSets = after.addressSets.count
}

func ms(_ seconds: Double) -> String { String(format: "%.3f ms", seconds * 1000) }
print(
    "policy-bench: \(policyCount) policies, \(endpoints.count) endpoints on \(nodes) nodes (\(endpointsPerNode) local)")
print("  cold load (all upserts, index built):   \(ms(median(coldTimes)))")
print("  program for one node:                    \(ms(median(programTimes)))")
print(
    "    local endpoints \(program.workloadEndpoints.count), chains \(program.chains.count), address sets "
        + "\(program.addressSets.count), named-port sets \(program.namedPortSets.count), set members "
        + "\(program.addressSets.values.reduce(0) { $0 + $1.count })")
print("  one label change (state update):         \(ms(median(changeTimes)))  sets changed: \(changed)")
print("  program after the change:                \(ms(median(changeProgramTimes)))  (address sets \(evaluatedSets))")
