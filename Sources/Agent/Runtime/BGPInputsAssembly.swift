import BGP
import CalicoAPI
import Glibc
import NetworkAddress
import ResourceCache

/// Builds the BIRD renderer's inputs from the resource cache: sorted, so that equal clusters give equal inputs
/// (an unchanged input skips the render, an unchanged text skips BIRD).
struct BGPInputsAssembly {
    let node: String
    let settings: BGPSettings

    func inputs(from cache: ResourceCache) -> BGPInputs {
        let configurations = cache.resources(of: .bgpConfiguration).compactMap { $0.as(BGPConfiguration.self) }
        let peers = cache.resources(of: .bgpPeer).compactMap { $0.as(BGPPeer.self) }
        let filters = cache.resources(of: .bgpFilter).compactMap { $0.as(BGPFilter.self) }
        var localBlocks: [CIDR] = []
        var borrowed: [CIDR] = []
        for record in cache.blocks.values {
            if record.affineNode == node { localBlocks.append(record.cidr) }
            for address in record.borrowed where address.node == node && record.affineNode != node {
                borrowed.append(CIDR(host: address.address))
            }
        }
        var references = Set<BGPPassword.SecretKeyRef>()
        for peer in peers { if let reference = peer.spec.password?.secretKeyRef { references.insert(reference) } }
        for configuration in configurations {
            if let reference = configuration.spec.nodeMeshPassword?.secretKeyRef { references.insert(reference) }
        }
        var secrets: [BGPPassword.SecretKeyRef: String] = [:]
        for reference in references { secrets[reference] = readSecret(reference) }
        return BGPInputs(
            nodeName: node, nodes: cache.nodes.keys.sorted().map { cache.nodes[$0]!.resource },
            configurations: configurations, peers: peers, filters: filters,
            pools: cache.pools.keys.sorted().map { cache.pools[$0]!.resource }, localBlocks: localBlocks.sorted { $0.description < $1.description },
            borrowedAddresses: borrowed.sorted { $0.description < $1.description }, secrets: secrets, routerID: settings.routerID)
    }

    /// `<secretsDirectory>/<name>/<key>`, as a mounted Kubernetes Secret lays it out; one trailing newline is
    /// dropped (an editor's). Nil when it cannot be read or a name would leave the directory.
    func readSecret(_ reference: BGPPassword.SecretKeyRef) -> String? {
        for part in [reference.name, reference.key] where part.isEmpty || part.contains("/") || part.hasPrefix(".") {
            return nil
        }
        let path = settings.secretsDirectory + "/" + reference.name + "/" + reference.key
        guard var text = try? AgentConfiguration.readFile(path) else { return nil }
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
