import NetworkAddress
import Calculation
import CalicoAPI
import Datastore
import Testing

@testable import Agent

/// The calculation graph: each delta reaches only the calculations that read its kind, and a change that
/// cannot affect a calculation's output costs it nothing.
@Suite("Calculation pipeline")
struct CalculationPipelineTests {
    private let environment = NodeEnvironment(
        interfaces: ["eth0", "caliweba", "calidba"], hostMTU: 1500, underlayInterface: "eth0")

    private func loaded() throws -> CalculationPipeline {
        var pipeline = CalculationPipeline(node: AgentCluster.local)
        for resource in try AgentCluster.resources() { _ = pipeline.ingest(.added(resource)) }
        _ = pipeline.desiredDataplane(environment: environment, settings: FelixSettings())
        _ = pipeline.policyProgram()
        return pipeline
    }

    private func update(_ pipeline: inout CalculationPipeline, _ yaml: String) throws -> CalculationPipeline.Impact {
        pipeline.ingest(.modified(try AgentCluster.resource(yaml)))
    }

    @Test func aRemoteLabelNoSelectorReadsCostsNothing() throws {
        var pipeline = try loaded()
        let routes = pipeline.routes.calculations
        let policy = pipeline.policy.statistics
        let impact = try update(
            &pipeline, AgentCluster.endpoint("webb", node: "node-b", ip: "198.51.100.18", labels: "app: web, x: y"))
        #expect(impact.isEmpty)
        #expect(!pipeline.routes.isDirty && !pipeline.policy.isDirty)
        _ = pipeline.desiredDataplane(environment: environment, settings: FelixSettings())
        _ = pipeline.policyProgram()
        #expect(pipeline.routes.calculations == routes)
        #expect(pipeline.policy.statistics.fullCalculations == policy.fullCalculations)
        #expect(pipeline.policy.statistics.setRefreshes == policy.setRefreshes)
        #expect(pipeline.unusedDeltas == 1)
    }

    @Test func aRemoteLabelASelectorReadsRefreshesOnlyItsSet() throws {
        var pipeline = try loaded()
        let before = pipeline.policyProgram()
        let routes = pipeline.routes.calculations
        let full = pipeline.policy.statistics.fullCalculations
        let impact = try update(
            &pipeline, AgentCluster.endpoint("webb", node: "node-b", ip: "198.51.100.18", labels: "app: other"))
        #expect(impact == CalculationPipeline.Impact(policy: true))
        let after = pipeline.policyProgram()
        #expect(pipeline.policy.statistics.fullCalculations == full)
        #expect(pipeline.policy.statistics.setRefreshes == 1)
        #expect(pipeline.routes.calculations == routes)
        // Only the web set lost a member; everything else is as it was.
        #expect(after.chains == before.chains && after.workloadEndpoints == before.workloadEndpoints)
        let changed = after.addressSets.filter { before.addressSets[$0.key] != $0.value }
        #expect(changed.count == 1)
        #expect(changed.first?.value.map(\.description).sorted() == ["198.51.100.2/32"])
        // The same result as a calculation from scratch.
        var fresh = CalculationPipeline(node: AgentCluster.local)
        for resource in try AgentCluster.resources() { _ = fresh.ingest(.added(resource)) }
        _ = fresh.ingest(
            .modified(
                try AgentCluster.resource(
                    AgentCluster.endpoint("webb", node: "node-b", ip: "198.51.100.18", labels: "app: other"))))
        #expect(fresh.policyProgram() == after)
    }

    @Test func aLocalEndpointChangeRecomputesBoth() throws {
        var pipeline = try loaded()
        let routes = pipeline.routes.calculations
        let full = pipeline.policy.statistics.fullCalculations
        let impact = try update(
            &pipeline, AgentCluster.endpoint("weba", node: "node-a", ip: "198.51.100.4", labels: "app: web"))
        #expect(impact.routes && impact.policy)
        let desired = pipeline.desiredDataplane(environment: environment, settings: FelixSettings())
        _ = pipeline.policyProgram()
        #expect(pipeline.routes.calculations == routes + 1)
        #expect(pipeline.policy.statistics.fullCalculations == full + 1)
        #expect(desired.routes[try CIDR(parsing: "198.51.100.4/32")]?.kind == .localWorkload)
        #expect(desired.routes[try CIDR(parsing: "198.51.100.2/32")] == nil)
    }

    @Test func aPolicyChangeReachesPolicyOnly() throws {
        var pipeline = try loaded()
        let impact = try update(
            &pipeline,
            """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: web-to-db}
            spec: {selector: app == 'db', types: [Ingress], ingress: [{action: Deny}]}
            """)
        #expect(impact == CalculationPipeline.Impact(policy: true))
    }

    @Test func aBlockChangeReachesRoutesAndBIRDsConfigurationOnly() throws {
        var pipeline = try loaded()
        let impact = try update(&pipeline, AgentCluster.block("198.51.100.32/28", node: "node-b"))
        // Blocks are BGP inputs too (a node announces its own), not policy, settings or tunnels.
        #expect(impact == CalculationPipeline.Impact(routes: true, bgp: true))
        let desired = pipeline.desiredDataplane(environment: environment, settings: FelixSettings())
        #expect(desired.routes[try CIDR(parsing: "198.51.100.32/28")]?.kind == .vxlanTunnel)
    }
}
