import Calculation
import CalicoAPI
import Netlink
import NetworkAddress

/// Computes the in-place part of the devices' plan: MTU, up state and addresses of `vxlan.calico`,
/// `vxlan-v6.calico` and `tunl0`, and the removal of a VXLAN device when no pool needs it. Creating and recreating devices happens before
/// planning (it gives the indexes the rest of the plan needs).
struct DevicePlanner {
    let view: KernelView

    /// A VXLAN device: configured when kept, removed when not desired, untouched when its desired form could not
    /// be built or created (reported already). Its only addresses are the tunnel address and IPv6 link-local ones.
    func planVXLAN(_ intent: VXLANIntent, name: String, into plan: inout DataplanePlan) {
        guard let link = view.link(named: name) else { return }
        let spec: VXLANSpec
        switch intent {
        case .leaveAlone: return
        case .remove:
            plan.add(
                .deviceRemoval, .deleteLink(index: link.index),
                DataplaneWrite(action: .delete, object: .device(link.name), detail: "no pool needs it"))
            return
        case .keep(let kept, _): spec = kept
        }
        planLinkState(link, mtu: spec.mtu, into: &plan)
        planAddresses(
            link, desired: spec.address, removable: { !$0.prefix.isIPv6LinkLocal }, into: &plan)
    }

    /// `tunl0`: MTU, up and its address when desired; stripped of its IPv4 addresses when not. The device itself
    /// belongs to the ipip module and is never removed.
    func planIPIP(_ device: IPIPDevice?, into plan: inout DataplanePlan) {
        guard let link = view.link(named: IPIPDevice.name), case .ipip = link.kind else { return }
        let isIPv4: (InterfaceAddress) -> Bool = { $0.prefix.family == .v4 }
        guard let device else {
            planAddresses(link, desired: nil, removable: isIPv4, into: &plan)
            return
        }
        if let mtu = device.kernelMTU { planLinkState(link, mtu: mtu, into: &plan) }
        let address = device.address.map { CIDR(host: $0) }
        planAddresses(link, desired: address, removable: isIPv4, into: &plan)
    }

    private func planLinkState(_ link: Link, mtu: UInt32, into plan: inout DataplanePlan) {
        let change = LinkChange(isUp: link.isUp ? nil : true, mtu: link.mtu == mtu ? nil : mtu)
        guard change.isUp != nil || change.mtu != nil else { return }
        plan.add(
            .deviceChange, .changeLink(index: link.index, change),
            DataplaneWrite(action: .change, object: .device(link.name), detail: change.description))
    }

    /// Adds `desired` when missing and removes every other address that `removable` selects.
    private func planAddresses(
        _ link: Link, desired: CIDR?, removable: (InterfaceAddress) -> Bool, into plan: inout DataplanePlan
    ) {
        let existing = view.addresses(of: link.index)
        for address in existing.sorted(by: { $0.prefix.address < $1.prefix.address })
        where address.prefix != desired && removable(address) {
            plan.add(
                .addressRemoval, .deleteAddress(address),
                DataplaneWrite(action: .delete, object: .address(interface: link.name, address.prefix)))
        }
        guard let desired, !existing.contains(where: { $0.prefix == desired }) else { return }
        plan.add(
            .addressAddition, .addAddress(InterfaceAddress(interfaceIndex: link.index, prefix: desired)),
            DataplaneWrite(action: .add, object: .address(interface: link.name, desired)))
    }
}
