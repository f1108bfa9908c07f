import Calculation
import CalicoAPI
import Netlink
import NetworkAddress

/// A VXLAN device (`vxlan.calico`, `vxlan-v6.calico`) as the kernel should have it.
struct VXLANSpec: Sendable, Hashable {
    var attributes: VXLANAttributes
    var macAddress: MACAddress
    var mtu: UInt32
    /// The device's only address (/32 or /128).
    var address: CIDR

    /// The kernel form of a desired device; a failure when its parent interface is missing.
    static func make(_ device: VXLANDevice, view: KernelView) -> Result<VXLANSpec, DataplaneFailure> {
        let object = DataplaneObject.device(device.interfaceName)
        var parentIndex: Int32?
        if let parent = device.parentInterface {
            guard let index = view.index(of: parent) else {
                return .failure(
                    DataplaneFailure(object: object, reason: "parent interface \(parent) does not exist"))
            }
            parentIndex = index
        }
        guard device.mtu > 0, device.mtu <= Int(UInt32.max) else {
            return .failure(DataplaneFailure(object: object, reason: "MTU \(device.mtu) is out of range"))
        }
        let attributes = VXLANAttributes(
            vni: device.vni, port: device.port, parentIndex: parentIndex,
            local: device.localAddress, learning: false)
        return .success(
            VXLANSpec(
                attributes: attributes, macAddress: device.mac, mtu: UInt32(device.mtu),
                address: CIDR(host: device.address)))
    }

    /// Whether an existing link is this device apart from what can be changed in place (MTU, up state,
    /// addresses). Anything else (VNI, port, parent, source address, learning, MAC, or not a VXLAN device at
    /// all) means delete and recreate.
    func isMatched(by link: Link) -> Bool {
        guard case .vxlan(let existing) = link.kind else { return false }
        return existing == attributes && link.macAddress == macAddress
    }

    /// Why an existing link does not match, for the write's detail.
    func mismatch(with link: Link) -> String {
        guard case .vxlan(let existing) = link.kind else { return "\(link.name) is a \(link.kind) device" }
        var parts: [String] = []
        if existing.vni != attributes.vni { parts.append("VNI \(existing.vni) -> \(attributes.vni)") }
        if existing.port != attributes.port { parts.append("port \(existing.port) -> \(attributes.port)") }
        if existing.parentIndex != attributes.parentIndex { parts.append("parent changed") }
        if existing.local != attributes.local {
            parts.append("local \(existing.local?.description ?? "any") -> \(attributes.local?.description ?? "any")")
        }
        if existing.learning != attributes.learning { parts.append("learning changed") }
        if link.macAddress != macAddress {
            parts.append("MAC \(link.macAddress?.description ?? "none") -> \(macAddress)")
        }
        return parts.joined(separator: ", ")
    }
}

extension IPIPDevice {
    /// The MTU in the kernel's type; nil when out of range.
    var kernelMTU: UInt32? { mtu > 0 && mtu <= Int(UInt32.max) ? UInt32(mtu) : nil }
}
