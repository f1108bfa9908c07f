import CalicoAPI
import NetworkAddress

/// One BGP session as the renderer will write it: the public `BGPSession` plus the options of its
/// `protocol bgp` block.
struct PlannedSession {
    var session: BGPSession
    var localASNumber: UInt32
    /// The session's source address (`sourceAddress: UseNodeIP`); nil lets the kernel choose.
    var localAddress: IPAddress?
    var localPort: UInt16?
    var password: String?
    /// Set when this node reflects the peer's routes: the route reflector's cluster id.
    var reflectorClusterID: String?
    var restartTimeSeconds: Int?
    var keepOriginalNextHop = false
    var ttlSecurityHops: UInt8?
    var allowedLocalASNumbers: Int32?
    var strictBind = false
    var filters: [BGPFilter] = []
    var description: String

    var isInternal: Bool { localASNumber == session.peerASNumber }
}

/// Works out this node's BGP sessions from the mesh setting, the BGPPeers and the Nodes, with the problems of
/// the resources it had to leave out.
struct BGPSessionPlanner {
    let inputs: BGPInputs
    let settings: BGPEffectiveSettings
    let local: Node
    var problems: [BGPProblem] = []

    init(inputs: BGPInputs, settings: BGPEffectiveSettings, local: Node) {
        self.inputs = inputs
        self.settings = settings
        self.local = local
    }

    private var localASNumber: UInt32 { settings.asNumber(of: local) }
    private var clusterID: String? { local.spec.bgp?.routeReflectorClusterID.flatMap { $0.isEmpty ? nil : $0 } }

    func localAddress(_ family: IPFamily) -> IPAddress? {
        (family == .v4 ? local.spec.bgp?.ipv4Address : local.spec.bgp?.ipv6Address)?.address
    }

    /// The sessions, sorted by protocol name; explicit BGPPeers win over the mesh for the same peer.
    mutating func plan() -> [PlannedSession] {
        var byPeer: [String: PlannedSession] = [:]
        func add(_ planned: PlannedSession) {
            let key = "\(planned.session.peerAddress)|\(planned.session.port ?? BGPEffectiveSettings.defaultPort)"
            if let existing = byPeer[key], rank(existing.session.type) >= rank(planned.session.type) { return }
            byPeer[key] = planned
        }
        for peer in inputs.peers.sorted(by: { $0.metadata.name < $1.metadata.name }) {
            for planned in sessions(of: peer) { add(planned) }
        }
        if settings.meshEnabled {
            for node in inputs.nodes where node.metadata.name != local.metadata.name {
                for planned in meshSessions(to: node) { add(planned) }
            }
        }
        return byPeer.values.sorted { $0.session.protocolName < $1.session.protocolName }
    }

    private func rank(_ type: BGPSession.PeerType) -> Int {
        switch type {
        case .nodeToNodeMesh: 0
        case .global: 1
        case .nodeSpecific: 2
        }
    }

    private mutating func meshSessions(to node: Node) -> [PlannedSession] {
        var result: [PlannedSession] = []
        for family in [IPFamily.v4, .v6] {
            guard let own = localAddress(family), let peerAddress = address(of: node, family), peerAddress != own else {
                continue
            }
            let port = settings.listenPort(of: node.metadata.name)
            var planned = session(
                type: .nodeToNodeMesh, address: peerAddress, port: port, peerAS: settings.asNumber(of: node),
                resource: nil, description: "node-to-node mesh: node \(node.metadata.name)")
            if let password = settings.nodeMeshPassword?.secretKeyRef {
                guard let secret = inputs.secrets[password] else {
                    problems.append(
                        BGPProblem(
                            resource: "BGPConfiguration \"default\"", field: "spec.nodeMeshPassword.secretKeyRef",
                            reason: "the secret \(password.name) key \(password.key) could not be read"
                                + (inputs.unreadableSecrets[password].map { " (\($0))" } ?? "") + "; the mesh is left out"))
                    return []
                }
                guard BIRDSyntax.representable(secret) else {
                    problems.append(
                        BGPProblem(
                            resource: "BGPConfiguration \"default\"", field: "spec.nodeMeshPassword.secretKeyRef",
                            reason: "the password in secret \(password.name) key \(password.key) holds a double quote "
                                + "or a line break, which BIRD's configuration cannot; the mesh is left out"))
                    return []
                }
                planned.password = secret
            }
            if let restart = settings.nodeMeshMaxRestartTime {
                if let seconds = GoDuration.seconds(restart).map({ Int($0.rounded()) }), seconds >= 0 {
                    planned.restartTimeSeconds = seconds
                } else {
                    problems.append(
                        BGPProblem(
                            resource: "BGPConfiguration \"default\"", field: "spec.nodeMeshMaxRestartTime",
                            reason: "\"\(restart)\" is not a duration (such as 120s); BIRD's default is used"))
                }
            }
            reflect(&planned, toward: node)
            result.append(planned)
        }
        return result
    }

    private func address(of node: Node, _ family: IPFamily) -> IPAddress? {
        (family == .v4 ? node.spec.bgp?.ipv4Address : node.spec.bgp?.ipv6Address)?.address
    }

    /// A route reflector (a node with `routeReflectorClusterID`) treats iBGP peers outside its cluster as clients.
    private func reflect(_ planned: inout PlannedSession, toward node: Node?) {
        guard let clusterID, planned.isInternal else { return }
        let peerCluster = node?.spec.bgp?.routeReflectorClusterID.flatMap { $0.isEmpty ? nil : $0 }
        if peerCluster != clusterID { planned.reflectorClusterID = clusterID }
    }

    private func session(
        type: BGPSession.PeerType, address: IPAddress, port: UInt16?, peerAS: UInt32, resource: String?,
        description: String
    ) -> PlannedSession {
        let shownPort = port == BGPEffectiveSettings.defaultPort ? nil : port
        let name = type.protocolPrefix + BIRDSyntax.namePart(address) + (shownPort.map { "_port_\($0)" } ?? "")
        var planned = PlannedSession(
            session: BGPSession(
                protocolName: name, peerAddress: address, port: shownPort, peerASNumber: peerAS, type: type,
                resource: resource),
            localASNumber: localASNumber, localAddress: localAddress(address.family), description: description)
        let listen = settings.listenPort(of: local.metadata.name)
        if listen != BGPEffectiveSettings.defaultPort { planned.localPort = listen }
        planned.strictBind = settings.bindMode == "NodeIP"
        return planned
    }

    private mutating func sessions(of peer: BGPPeer) -> [PlannedSession] {
        let resource = "BGPPeer \"\(peer.metadata.name)\""
        let spec = peer.spec
        func problem(_ field: String, _ reason: String) {
            problems.append(BGPProblem(resource: resource, field: field, reason: reason))
        }
        // Which nodes open it.
        let type: BGPSession.PeerType
        if let node = spec.node, !node.isEmpty {
            guard node == local.metadata.name else { return [] }
            type = .nodeSpecific
        } else {
            if let text = spec.nodeSelector, !text.isEmpty {
                let selector: Selector
                do { selector = try Selector(parsing: text) } catch {
                    problem("spec.nodeSelector", "\(error); the peer is left out")
                    return []
                }
                guard selector.matches(local.metadata.labels ?? [:]) else { return [] }
            }
            type = .global
        }
        // Which peers.
        var targets: [(address: IPAddress, port: UInt16?, asNumber: UInt32, node: Node?)] = []
        let hasPeerIP = !(spec.peerIP ?? "").isEmpty
        let hasPeerSelector = !(spec.peerSelector ?? "").isEmpty
        if hasPeerIP && hasPeerSelector {
            problem("spec.peerSelector", "peerIP and peerSelector cannot both be set; the peer is left out")
            return []
        }
        if hasPeerIP, let text = spec.peerIP {
            guard let address = BGPPeerAddress(text) else {
                problem("spec.peerIP", "\"\(text)\" is not an IP address (optionally with a port); the peer is left out")
                return []
            }
            guard let asNumber = spec.asNumber, asNumber != 0 else {
                problem("spec.asNumber", "a peer given by peerIP needs its AS number (1 to 4294967295); the peer is left out")
                return []
            }
            let node = inputs.nodes.first { candidate in
                address.address == candidate.spec.bgp?.ipv4Address?.address
                    || address.address == candidate.spec.bgp?.ipv6Address?.address
            }
            targets.append((address.address, address.port ?? BGPEffectiveSettings.defaultPort, asNumber, node))
        } else if hasPeerSelector, let text = spec.peerSelector {
            let selector: Selector
            do { selector = try Selector(parsing: text) } catch {
                problem("spec.peerSelector", "\(error); the peer is left out")
                return []
            }
            for node in inputs.nodes where node.metadata.name != local.metadata.name {
                guard selector.matches(node.metadata.labels ?? [:]) else { continue }
                // A selected node is peered in each family this node has an address of too.
                for family in [IPFamily.v4, .v6] where localAddress(family) != nil {
                    guard let address = address(of: node, family) else { continue }
                    targets.append((address, settings.listenPort(of: node.metadata.name), settings.asNumber(of: node), node))
                }
            }
        } else {
            problem("spec", "one of peerIP or peerSelector is required; the peer is left out")
            return []
        }
        var password: String?
        if let reference = spec.password?.secretKeyRef {
            guard let secret = inputs.secrets[reference] else {
                problem(
                    "spec.password.secretKeyRef",
                    "the secret \(reference.name) key \(reference.key) could not be read"
                        + (inputs.unreadableSecrets[reference].map { " (\($0))" } ?? "") + "; the peer is left out")
                return []
            }
            guard BIRDSyntax.representable(secret) else {
                problem(
                    "spec.password.secretKeyRef",
                    "the password in secret \(reference.name) key \(reference.key) holds a double quote or a line "
                        + "break, which BIRD's configuration cannot; the peer is left out")
                return []
            }
            password = secret
        }
        var restart: Int?
        if let text = spec.maxRestartTime {
            restart = GoDuration.seconds(text).flatMap { $0 >= 0 ? Int($0.rounded()) : nil }
            if restart == nil { problem("spec.maxRestartTime", "\"\(text)\" is not a duration (such as 120s); BIRD's default is used") }
        }
        var filters: [BGPFilter] = []
        for (index, name) in (spec.filters ?? []).enumerated() {
            if let filter = inputs.filters.first(where: { $0.metadata.name == name }) {
                filters.append(filter)
            } else {
                problem("spec.filters[\(index)]", "no BGPFilter \"\(name)\"; the peer's sessions run without it")
            }
        }
        var result: [PlannedSession] = []
        for target in targets {
            guard target.address != localAddress(target.address.family) else { continue }
            guard localAddress(target.address.family) != nil || spec.sourceAddress == "None" else {
                problem(
                    "spec.peerIP",
                    "this node (\(local.metadata.name)) has no \(target.address.family == .v4 ? "IPv4" : "IPv6") BGP address for a session to \(target.address)")
                continue
            }
            var planned = session(
                type: type, address: target.address, port: target.port, peerAS: target.asNumber, resource: resource,
                description: "BGPPeer \(peer.metadata.name)")
            if spec.sourceAddress == "None" { planned.localAddress = nil }
            planned.password = password
            planned.restartTimeSeconds = restart
            planned.keepOriginalNextHop = spec.keepOriginalNextHop ?? false
            if let hops = spec.ttlSecurity, hops > 0 { planned.ttlSecurityHops = hops }
            if let allowed = spec.numAllowedLocalASNumbers, allowed > 0 { planned.allowedLocalASNumbers = allowed }
            planned.filters = filters
            reflect(&planned, toward: target.node)
            result.append(planned)
        }
        return result
    }
}
