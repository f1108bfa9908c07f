import CalicoAPI
import NetworkAddress

/// A piece of kernel state the reconciler writes, named as an operator would look for it: what a write or a
/// failure concerns.
public enum DataplaneObject: Hashable, Sendable, CustomStringConvertible {
    /// A main-table route, by destination.
    case route(CIDR)
    /// A device (`vxlan.calico`, `tunl0`).
    case device(String)
    /// An address on a device.
    case address(interface: String, CIDR)
    /// A neighbour entry on an interface.
    case neighbor(interface: String, IPAddress)
    /// A forwarding-database entry on a device.
    case fdb(interface: String, mac: MACAddress, destination: IPAddress?)
    /// A sysctl, by its path below /proc/sys.
    case sysctl(String)
    /// The kernel as a whole: a dump, or a batch whose outcome is unknown.
    case kernel

    public var description: String {
        switch self {
        case .route(let destination): "route \(destination)"
        case .device(let name): "device \(name)"
        case .address(let interface, let cidr): "address \(cidr) dev \(interface)"
        case .neighbor(let interface, let address): "neighbour \(address) dev \(interface)"
        case .fdb(let interface, let mac, let destination):
            "fdb \(mac) dev \(interface)" + (destination.map { " dst \($0)" } ?? "")
        case .sysctl(let path): "sysctl \(path)"
        case .kernel: "kernel"
        }
    }
}
