import CalicoAPI
import Dataplane
import Datastore
import NetworkAddress

extension NodeAgent {
    /// The settings that decide the Node's addresses; a reload that changes one registers the Node again.
    static let nodeAddressFields = ["nodeIP", "nodeIPv6", "ipAutodetectionMethod", "ip6AutodetectionMethod"]

    /// The node's IPv4 address (required) and its IPv6 address (when `nodeIPv6` is not `none`), determined as
    /// calico-node determines `IP` and `IP6`. When autodetection finds nothing, the address `existing` (the
    /// Node's) already has is kept with a warning, as calico-node keeps it.
    func resolveNodeAddresses(existing: NodeSpec.BGP? = nil) throws(AgentError) -> (ipv4: CIDR, ipv6: CIDR?) {
        let ipv4 = try resolveNodeAddress(
            configuration.nodeIP, method: configuration.ipAutodetectionMethod, family: .v4,
            kept: existing?.ipv4Address)
        guard let ipv4 else { throw AgentError("the node needs an IPv4 address (nodeIP)") }
        let ipv6 = try resolveNodeAddress(
            configuration.nodeIPv6, method: configuration.ip6AutodetectionMethod, family: .v6,
            kept: existing?.ipv6Address)
        return (ipv4, ipv6)
    }

    /// The Node's BGP addresses as the datastore has them; nil when there is no Node yet (or it cannot be read).
    /// Throws only when the datastore is out of reach (``NodeAgent/isUnreachable(_:)``), so that the start-up
    /// waits for it.
    func registeredAddresses(in store: any Datastore) async throws(DatastoreError) -> NodeSpec.BGP? {
        let key = ResourceKey(kind: .node, name: configuration.nodeName)
        do {
            return try await store.get(key).as(Node.self)?.spec.bgp
        } catch {
            if Self.isUnreachable(error) { throw error }
            return nil
        }
    }

    private func resolveNodeAddress(
        _ setting: NodeAddressSetting, method: AutodetectionMethod, family: IPFamily, kept: CIDR?
    ) throws(AgentError) -> CIDR? {
        switch setting {
        case .none: return nil
        case .network(let cidr): return cidr
        case .address, .autodetect: break
        }
        let option = family == .v4 ? "--node-ip (IP)" : "--node-ip6 (IP6)"
        let how = setting == .autodetect ? "by \(method)" : "\(setting)"
        guard let routeKernel else { throw AgentError("no kernel to read the node's interfaces from") }
        do throws(NodeAddressError) {
            let interfaces: [HostInterface]
            do {
                interfaces = try HostInterface.list(from: routeKernel, family: family)
            } catch {
                throw NodeAddressError("cannot list the interfaces: \(error)")
            }
            let resolved = try NodeAddressDetection.resolve(
                setting, method: method, family: family, interfaces: interfaces,
                routes: routeKernel as? any RouteSourceLookup)
            if let resolved {
                log.info(
                    "node address", ["family": "IPv\(family.rawValue)", "address": resolved.description, "how": how])
            }
            return resolved?.address
        } catch {
            if setting == .autodetect, let kept, kept.family == family {
                log.warning(
                    "autodetection found no node address; keeping the Node's",
                    ["family": "IPv\(family.rawValue)", "address": kept.description, "error": error.reason])
                return kept
            }
            throw AgentError(
                "cannot determine the node's IPv\(family.rawValue) address \(how): \(error.reason); set it with "
                    + "\(option) or choose another autodetection method")
        }
    }

    /// A reload changed the labels or the address settings: determine the addresses again and update the Node.
    /// A failure is logged and the running addresses stay.
    func registerNodeAgain(in store: any Datastore) async {
        var ipv6: CIDR?
        do {
            let addresses = try resolveNodeAddresses(existing: await (try? registeredAddresses(in: store)) ?? nil)
            nodeAddress = addresses.ipv4
            ipv6 = addresses.ipv6
        } catch {
            log.error("reload: keeping the running node address", ["error": error.description])
        }
        guard let address = nodeAddress else { return }
        do {
            _ = try await NodeRegistration.ensure(
                node: configuration.nodeName, address: address, ipv6Address: ipv6, labels: configuration.nodeLabels,
                in: store)
        } catch {
            log.error("reload: cannot update the Node", ["error": "\(error)"])
        }
    }
}
