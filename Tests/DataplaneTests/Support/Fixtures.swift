import NetworkAddress
import Calculation
import CalicoAPI
import Dataplane
import Netlink
import NetworkAddress

// Short constructors for test data; they trap on malformed text, which is a bug in the test itself.

func ip(_ text: String) -> IPAddress { IPAddress(text)! }
func cidr(_ text: String) -> CIDR { CIDR(text)! }
func mac(_ text: String) -> MACAddress { MACAddress(text)! }

/// A clock that moves only when told, for the grace period.
final class ManualClock {
    var now = ContinuousClock.now
    func advance(by duration: Duration) { now = now.advanced(by: duration) }
}

let vtepMAC = mac("66:aa:bb:cc:dd:01")
let remoteVTEPMAC = mac("66:aa:bb:cc:dd:02")

/// One node's desired dataplane: a local workload on cali1, an affine block, a remote block over VXLAN,
/// a same-subnet block via eth0, the VTEP neighbour and FDB entry, and sysctls.
func sampleDesired(vni: UInt32 = 4096, vxlanMTU: Int = 1450) -> DesiredDataplane {
    var desired = DesiredDataplane()
    desired.vxlan = VXLANDevice(
        vni: vni, port: 4789, mac: vtepMAC, address: ip("198.51.100.0"), mtu: vxlanMTU, parentInterface: "eth0",
        localAddress: ip("192.0.2.1"))
    desired.routes = [
        cidr("198.51.100.5/32"): DesiredRoute(
            destination: cidr("198.51.100.5/32"), target: .interface("cali1"), kind: .localWorkload,
            routeProtocol: 3),
        cidr("198.51.100.0/26"): DesiredRoute(
            destination: cidr("198.51.100.0/26"), target: .blackhole, kind: .blackhole, routeProtocol: 80),
        cidr("198.51.100.64/26"): DesiredRoute(
            destination: cidr("198.51.100.64/26"), target: .gateway(ip("198.51.100.64"), interface: "vxlan.calico"),
            kind: .vxlanTunnel, routeProtocol: 3, mtu: vxlanMTU),
        cidr("198.51.100.128/26"): DesiredRoute(
            destination: cidr("198.51.100.128/26"), target: .gateway(ip("192.0.2.3"), interface: "eth0"),
            kind: .vxlanSameSubnet, routeProtocol: 80),
    ]
    desired.neighbors = [
        DesiredNeighbor(interface: "vxlan.calico", address: ip("198.51.100.64"), mac: remoteVTEPMAC),
        DesiredNeighbor(interface: "cali1", address: ip("198.51.100.5"), mac: mac("0a:58:c6:33:64:05")),
    ]
    desired.fdb = [DesiredFDBEntry(interface: "vxlan.calico", mac: remoteVTEPMAC, destination: ip("192.0.2.2"))]
    desired.sysctls = [
        "net/ipv4/ip_forward": "1",
        "net/ipv4/conf/cali1/proxy_arp": "1",
        "net/ipv4/conf/cali1/rp_filter": "1",
    ]
    return desired
}

/// A fake node: `eth0` (underlay, 192.0.2.1/24) and the workload interface `cali1`, a manual clock, and a
/// reconciler over them.
struct FakeNode {
    let kernel = FakeKernel()
    let clock = ManualClock()
    let eth0: Link
    let cali1: Link
    let reconciler: DataplaneReconciler

    init(configuration: DataplaneReconciler.Configuration = .init(), prepare: (FakeKernel) throws -> Void = { _ in })
        throws
    {
        eth0 = kernel.addLink(name: "eth0", kind: .other(nil))
        cali1 = kernel.addLink(name: "cali1", macAddress: mac("ee:ee:ee:ee:ee:ee"))
        try kernel.external(.addAddress(InterfaceAddress(interfaceIndex: eth0.index, prefix: cidr("192.0.2.1/24"))))
        try kernel.external(
            .addRoute(
                Route(
                    destination: cidr("192.0.2.0/24"), outputInterface: eth0.index, scope: .link, protocol: .kernel))
        )
        try prepare(kernel)
        _ = kernel.takeEvents()
        let clock = self.clock
        reconciler = DataplaneReconciler(kernel: kernel, configuration: configuration, clock: { clock.now })
    }

    /// Hands every pending notification to the reconciler; returns whether any concerned Tabby's state.
    @discardableResult
    func deliverEvents() -> Bool {
        var relevant = false
        for event in kernel.takeEvents() where reconciler.kernelChanged(event) { relevant = true }
        return relevant
    }

    func vxlan() -> Link? { kernel.link(named: "vxlan.calico") }

    func mainRoute(_ destination: String) -> Route? {
        kernel.routes().first { $0.destination == cidr(destination) }
    }
}

extension FakeKernel.Write {
    /// The netlink operation, if this write is one.
    var operation: NetlinkOperation? {
        if case .netlink(let operation) = self { return operation }
        return nil
    }

    var isRouteReplace: Bool {
        if case .replaceRoute = operation { return true }
        return false
    }

    var isRouteDelete: Bool {
        if case .deleteRoute = operation { return true }
        return false
    }

    var deletedRoute: Route? {
        if case .deleteRoute(let route) = operation { return route }
        return nil
    }

    var replacedRoute: Route? {
        if case .replaceRoute(let route) = operation { return route }
        return nil
    }
}

/// Something a test expected to find is not there.
struct Missing: Error, CustomStringConvertible {
    var what: String
    init(_ what: String) { self.what = what }
    var description: String { "missing: \(what)" }
}
