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
        var unreadable: [BGPPassword.SecretKeyRef: String] = [:]
        for reference in references {
            switch readSecret(reference) {
            case .success(let secret): secrets[reference] = secret
            case .failure(let problem): unreadable[reference] = problem.reason
            }
        }
        return BGPInputs(
            nodeName: node, nodes: cache.nodes.keys.sorted().map { cache.nodes[$0]!.resource },
            configurations: configurations, peers: peers, filters: filters,
            pools: cache.pools.keys.sorted().map { cache.pools[$0]!.resource }, localBlocks: localBlocks.sorted { $0.description < $1.description },
            borrowedAddresses: borrowed.sorted { $0.description < $1.description }, secrets: secrets,
            unreadableSecrets: unreadable, routerID: settings.routerID)
    }

    struct SecretProblem: Error {
        var reason: String
    }

    /// `<secretsDirectory>/<name>/<key>`, as a mounted Kubernetes Secret lays it out; one trailing newline is
    /// dropped (an editor's). A failure says why: the path and the error, or a name that would leave the directory.
    func readSecret(_ reference: BGPPassword.SecretKeyRef) -> Result<String, SecretProblem> {
        for part in [reference.name, reference.key] where part.isEmpty || part.contains("/") || part.hasPrefix(".") {
            return .failure(SecretProblem(reason: "\"\(part)\" is not a file name under \(settings.secretsDirectory)"))
        }
        let path = settings.secretsDirectory + "/" + reference.name + "/" + reference.key
        do {
            guard var text = try AgentConfiguration.readFile(path) else {
                return .failure(SecretProblem(reason: "\(path) does not exist"))
            }
            if text.hasSuffix("\n") { text.removeLast() }
            return .success(text)
        } catch {
            return .failure(SecretProblem(reason: "\(error)"))
        }
    }
}
