import CalicoAPI
import NetworkAddress

/// What the kernel of one node should hold, as computed from the cluster's resources. Plain values: the
/// Dataplane module compares them with what the kernel has and applies only the difference.
///
/// Only Tabby-owned state appears here (DESIGN.md rule 4): routes with Tabby's protocol or on Tabby's devices,
/// the `vxlan.calico`, `vxlan-v6.calico` and `tunl0` devices, permanent neighbours and FDB entries on `cali*` and
/// the VXLAN devices, and sysctls of forwarding and of workload interfaces.
public struct DesiredDataplane: Sendable, Equatable {
    /// Main-table routes, by destination.
    public var routes: [CIDR: DesiredRoute] = [:]
    /// The VXLAN device, or nil when no VXLAN pool needs it (an existing one is then removed).
    public var vxlan: VXLANDevice?
    /// The IPv6 VXLAN device `vxlan-v6.calico`, or nil when no IPv6 VXLAN pool needs it (or `ipv6Support` is off).
    public var vxlanV6: VXLANDevice?
    /// The IPIP device's configuration, or nil when no IPIP pool needs it (tunl0 is then stripped of its
    /// address; the device itself belongs to the ipip module and is left).
    public var ipip: IPIPDevice?
    /// Permanent neighbour entries: workload MACs on their `cali*` interfaces and remote VTEPs on
    /// `vxlan.calico` and `vxlan-v6.calico`.
    public var neighbors: Set<DesiredNeighbor> = []
    /// Bridge FDB entries on the VXLAN devices: remote VTEP MAC -> remote node address.
    public var fdb: Set<DesiredFDBEntry> = []
    /// Sysctl values by path below /proc/sys (`net/ipv4/ip_forward`, `net/ipv4/conf/cali1234/proxy_arp`).
    public var sysctls: [String: String] = [:]
    /// The MTU for workload interfaces, written to a file for the CNI plugin.
    public var podMTU: Int?
    /// Things the calculation could not program, for the status socket (e.g. an unreachable block).
    public var problems: [DataplaneProblem] = []

    public init() {}
}

/// One main-table route.
public struct DesiredRoute: Sendable, Hashable {
    public enum Target: Sendable, Hashable {
        /// `dev <interface> scope link`: a local workload's address.
        case interface(String)
        /// `blackhole`: a block affine to this node.
        case blackhole
        /// `via <gateway> dev <interface> onlink`: another node's block or borrowed address.
        case gateway(IPAddress, interface: String)
    }

    /// Why the route exists; decides ownership and conflicts (lower wins), as Felix's route classes do.
    public enum Kind: Int, Sendable, Hashable, Comparable {
        case localWorkload = 0
        case vxlanSameSubnet = 1
        case vxlanTunnel = 2
        case ipipSameSubnet = 3
        case ipipTunnel = 4
        case noEncapsulation = 5
        case blackhole = 6

        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var destination: CIDR
    public var target: Target
    public var kind: Kind
    /// The route protocol: Felix's 80 for blackhole, same-subnet and IPIP routes; `deviceRouteProtocol`
    /// (3, boot) for workload and VXLAN routes unless configured otherwise.
    public var routeProtocol: UInt8
    /// The route's MTU metric (tunnel routes), or nil.
    public var mtu: Int?

    public init(destination: CIDR, target: Target, kind: Kind, routeProtocol: UInt8, mtu: Int? = nil) {
        self.destination = destination
        self.target = target
        self.kind = kind
        self.routeProtocol = routeProtocol
        self.mtu = mtu
    }
}

/// A VXLAN device: `vxlan.calico` (IPv4 overlay and underlay) or `vxlan-v6.calico` (IPv6), as the family of its
/// tunnel address says.
public struct VXLANDevice: Sendable, Hashable {
    /// The IPv4 device.
    public static let name = "vxlan.calico"
    /// The IPv6 device.
    public static let nameV6 = "vxlan-v6.calico"

    /// The device of a family.
    public static func name(for family: IPFamily) -> String { family == .v4 ? name : nameV6 }

    public var vni: UInt32
    public var port: UInt16
    public var mac: MACAddress
    /// The node's VXLAN tunnel address of the device's family, assigned as /32 (/128).
    public var address: IPAddress
    public var mtu: Int
    /// The underlay interface (the one holding the node IP) and the node IP, as the VXLAN source.
    public var parentInterface: String?
    public var localAddress: IPAddress?

    public init(
        vni: UInt32, port: UInt16, mac: MACAddress, address: IPAddress, mtu: Int, parentInterface: String?,
        localAddress: IPAddress?
    ) {
        self.vni = vni
        self.port = port
        self.mac = mac
        self.address = address
        self.mtu = mtu
        self.parentInterface = parentInterface
        self.localAddress = localAddress
    }

    /// The device's name: `vxlan.calico` for an IPv4 tunnel address, `vxlan-v6.calico` for an IPv6 one.
    public var interfaceName: String { Self.name(for: address.family) }
}

/// The `tunl0` device's configuration.
public struct IPIPDevice: Sendable, Hashable {
    public static let name = "tunl0"

    /// The node's IPIP tunnel address, assigned as /32; nil leaves tunl0 without an address.
    public var address: IPAddress?
    public var mtu: Int

    public init(address: IPAddress?, mtu: Int) {
        self.address = address
        self.mtu = mtu
    }
}

/// A permanent neighbour entry.
public struct DesiredNeighbor: Sendable, Hashable {
    public var interface: String
    public var address: IPAddress
    public var mac: MACAddress

    public init(interface: String, address: IPAddress, mac: MACAddress) {
        self.interface = interface
        self.address = address
        self.mac = mac
    }
}

/// A bridge FDB entry (`<mac> dst <destination> self permanent`) on an interface.
public struct DesiredFDBEntry: Sendable, Hashable {
    public var interface: String
    public var mac: MACAddress
    public var destination: IPAddress

    public init(interface: String, mac: MACAddress, destination: IPAddress) {
        self.interface = interface
        self.mac = mac
        self.destination = destination
    }
}

/// Something the calculation could not program, with the resource it concerns.
public struct DataplaneProblem: Sendable, Hashable, CustomStringConvertible {
    public var resource: String
    public var reason: String

    public init(resource: String, reason: String) {
        self.resource = resource
        self.reason = reason
    }

    public var description: String { "\(resource): \(reason)" }
}

/// What the calculation needs to know about this node's kernel (observed, not configured).
public struct NodeEnvironment: Sendable, Equatable {
    /// Interfaces that exist now, by name.
    public var interfaces: Set<String>
    /// The smallest MTU of the up interfaces matching `mtuIfacePattern` (Felix's host MTU; 1460 when none).
    public var hostMTU: Int
    /// The interface holding the node's IP (VXLAN parent, CrossSubnet next hop device).
    public var underlayInterface: String?
    /// The interface holding the node's IPv6 address (`bgp.ipv6Address`): the parent of `vxlan-v6.calico` and
    /// the device of IPv6 same-subnet routes.
    public var underlayInterfaceV6: String?

    public init(interfaces: Set<String>, hostMTU: Int, underlayInterface: String?, underlayInterfaceV6: String? = nil) {
        self.interfaces = interfaces
        self.hostMTU = hostMTU
        self.underlayInterface = underlayInterface
        self.underlayInterfaceV6 = underlayInterfaceV6
    }

    /// The underlay interface of a family.
    public func underlayInterface(_ family: IPFamily) -> String? {
        family == .v4 ? underlayInterface : underlayInterfaceV6
    }
}
