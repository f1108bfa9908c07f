import CalicoAPI
import NetworkAddress
import ResourceCache

extension DataplaneBuilder {
    /// A blackhole for each block affine to this node, a route to each other node's block, and a /32 (/128)
    /// to each address borrowed from a block by a node other than this one.
    mutating func addBlockRoutes() {
        for record in cache.blocks.values {
            if record.cidr.family == .v6 && !settings.ipv6Support { continue }
            let pool = cache.pool(containing: record.cidr)
            if let owner = record.affineNode {
                if owner == nodeName {
                    addBlackhole(record.cidr)
                } else {
                    addRoute(to: record.cidr, onNode: owner, pool: pool, subject: RouteSubject(block: record))
                }
            }
            // An address borrowed by this node is covered by its workload's route.
            for borrowed in record.borrowed where borrowed.node != nodeName {
                addRoute(
                    to: CIDR(host: borrowed.address), onNode: borrowed.node, pool: pool,
                    subject: RouteSubject(block: record, borrowed: borrowed))
            }
        }
    }

    /// Unused addresses of this node's blocks are dropped here rather than sent back out of the default route.
    /// None for a /32 (/128) block: it would hide the workload route the CNI plugin adds for that address.
    private mutating func addBlackhole(_ cidr: CIDR) {
        guard cidr.prefixLength < cidr.address.bitWidth else { return }
        add(
            DesiredRoute(
                destination: cidr, target: .blackhole, kind: .blackhole, routeProtocol: settings.clusterRouteProtocol))
    }

    /// The route to `destination` on another node, as the pool's encapsulation and the two nodes' subnets say.
    private mutating func addRoute(
        to destination: CIDR, onNode remoteName: String, pool: PoolRecord?, subject: RouteSubject
    ) {
        // Without encapsulation and with BIRD as the networking backend, BIRD learns the route by BGP and programs
        // it; tabbyd leaves it (and BIRD's route) alone.
        if settings.unencapsulatedRoutesByBIRD && (pool?.resource.spec.isUnencapsulated ?? true) { return }
        guard let remote = cache.nodes[remoteName] else {
            problem(subject.resource, "\(subject.text) waits for node \(remoteName), which has no Node resource")
            return
        }
        let family = destination.family
        guard let remoteAddress = remote.address(family) else {
            let field = family == .v4 ? "spec.bgp.ipv4Address" : "spec.bgp.ipv6Address"
            problem(subject.resource, "\(subject.text) waits for node \(remoteName)'s \(family) address (\(field))")
            return
        }
        let sameSubnet = local?.subnet(family)?.contains(remoteAddress) ?? false
        let vxlanMode = pool?.vxlanMode ?? .never
        let ipipMode = family == .v4 ? pool?.ipipMode ?? .never : .never
        if vxlanMode != .never {
            // IPv6 VXLAN follows the pools alone (here: this very pool), as in Felix.
            guard family == .v6 || vxlanEnabled else {
                poolProblem(pool, "uses VXLAN but vxlanEnabled is false; its blocks on other nodes are not routed")
                return
            }
            if vxlanMode == .crossSubnet && sameSubnet {
                addUnderlayRoute(destination, via: remoteAddress, kind: .vxlanSameSubnet)
            } else {
                addVXLANRoute(destination, remote: remote, subject: subject)
            }
        } else if ipipMode != .never {
            guard ipipEnabled else {
                poolProblem(pool, "uses IPIP but ipipEnabled is false; its blocks on other nodes are not routed")
                return
            }
            if ipipMode == .crossSubnet && sameSubnet {
                addUnderlayRoute(destination, via: remoteAddress, kind: .ipipSameSubnet)
            } else {
                add(
                    DesiredRoute(
                        destination: destination, target: .gateway(remoteAddress, interface: IPIPDevice.name),
                        kind: .ipipTunnel, routeProtocol: settings.clusterRouteProtocol,
                        mtu: settings.effectiveIPIPMTU(hostMTU: environment.hostMTU)))
            }
        } else if sameSubnet {
            addUnderlayRoute(destination, via: remoteAddress, kind: .noEncapsulation)
        } else {
            problem(subject.resource, "\(subject.text) is unreachable: no encapsulation and not in this node's subnet")
        }
    }

    /// `via <remote VXLAN tunnel address> dev vxlan.calico onlink` (IPv6: `dev vxlan-v6.calico`), once the
    /// remote VTEP of the destination's family is known.
    private mutating func addVXLANRoute(_ destination: CIDR, remote: NodeRecord, subject: RouteSubject) {
        let family = destination.family
        // Without the device the route cannot exist; the device's own problem says why.
        guard let device = family == .v4 ? result.vxlan : result.vxlanV6 else { return }
        guard let vtep = remote.vtep(family) else {
            let fields =
                family == .v4
                ? "spec.ipv4VXLANTunnelAddr and spec.bgp.ipv4Address"
                : "spec.ipv6VXLANTunnelAddr and spec.bgp.ipv6Address"
            problem(
                subject.resource, "\(subject.text) waits for node \(remote.name)'s VXLAN tunnel endpoint (\(fields))")
            return
        }
        add(
            DesiredRoute(
                destination: destination, target: .gateway(vtep.tunnelAddress, interface: device.interfaceName),
                kind: .vxlanTunnel, routeProtocol: settings.deviceRouteProtocol, mtu: device.mtu))
    }

    /// `via <remote node IP> dev <underlay> onlink`: the remote node shares this node's subnet.
    private mutating func addUnderlayRoute(_ destination: CIDR, via gateway: IPAddress, kind: DesiredRoute.Kind) {
        guard let underlay = environment.underlayInterface(destination.family) else {
            let address = destination.family == .v4 ? "node IP" : "node's IPv6 address"
            problem(
                nodeResource,
                "routes to nodes in this node's subnet wait for the interface holding the \(address) to be found")
            return
        }
        add(
            DesiredRoute(
                destination: destination, target: .gateway(gateway, interface: underlay), kind: kind,
                routeProtocol: settings.clusterRouteProtocol))
    }

    private mutating func poolProblem(_ pool: PoolRecord?, _ reason: String) {
        guard let pool else { return }
        problem(pool.key.description, reason)
    }
}

/// What a route is for, for problem messages; the text is only built when a problem is reported.
struct RouteSubject {
    let block: BlockRecord
    var borrowed: BorrowedAddress?

    /// The block resource the route comes from.
    var resource: String { block.key.description }

    var text: String {
        guard let borrowed else { return "block \(block.cidr) of node \(block.affineNode ?? "?")" }
        return "address \(borrowed.address) of node \(borrowed.node) (borrowed from block \(block.cidr))"
    }
}
