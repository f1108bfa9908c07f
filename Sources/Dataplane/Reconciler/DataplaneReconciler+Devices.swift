import Calculation
import Glibc
import Netlink
import SystemError

/// What the plan does with `vxlan.calico` and with `vxlan-v6.calico`.
struct VXLANIntents {
    var v4: VXLANIntent
    var v6: VXLANIntent
}

/// What the plan does with one VXLAN device.
enum VXLANIntent {
    /// Not desired: removed (after the routes through it).
    case remove
    /// Present with the right identity (created or recreated if needed): configured in place.
    case keep(VXLANSpec, index: Int32)
    /// Its desired form could not be built or created: neither changed nor removed.
    case leaveAlone

    /// The device's index when it stays.
    var keptIndex: Int32? {
        if case .keep(_, let index) = self { return index }
        return nil
    }
}

extension DataplaneReconciler {
    /// Creates the VXLAN device `name` (`vxlan.calico` or `vxlan-v6.calico`) when missing and recreates it when
    /// its identity (VNI, port, parent, source address, MAC) differs, before planning: the plan needs its index.
    func prepareVXLAN(_ desired: VXLANDevice?, name: String, report: inout ApplyReport) -> VXLANIntent {
        guard let desired else { return .remove }
        let object = DataplaneObject.device(name)
        guard desired.interfaceName == name else {
            report.failures.append(
                DataplaneFailure(
                    object: object, reason: "its tunnel address \(desired.address) is of the other IP family"))
            return .leaveAlone
        }
        let spec: VXLANSpec
        switch VXLANSpec.make(desired, view: view) {
        case .success(let made): spec = made
        case .failure(let failure):
            report.failures.append(failure)
            return .leaveAlone
        }
        if let existing = view.link(named: name) {
            if spec.isMatched(by: existing) { return .keep(spec, index: existing.index) }
            let reason = spec.mismatch(with: existing)
            do {
                // ENODEV: someone removed it already, which is what was wanted.
                if let failure = try kernel.apply([.deleteLink(index: existing.index)]).first,
                    failure.error.errno != Errno(ENODEV)
                {
                    report.failures.append(DataplaneFailure(object: object, failure.error))
                    return .leaveAlone
                }
            } catch {
                requestResync()
                report.failures.append(DataplaneFailure(object: object, error))
                return .leaveAlone
            }
            view.removeLink(index: existing.index)
            report.writes.append(DataplaneWrite(action: .delete, object: object, detail: "to recreate: \(reason)"))
        }
        do {
            let link = try kernel.createVXLAN(
                name: name, attributes: spec.attributes, mtu: spec.mtu, macAddress: spec.macAddress)
            view.upsertLink(link, now: clock())
            report.writes.append(
                DataplaneWrite(action: .create, object: object, detail: "vxlan \(spec.attributes) mtu \(spec.mtu)"))
            return .keep(spec, index: link.index)
        } catch {
            // EEXIST: a device of that name appeared since the view was made; learn what it is.
            if error.errno == Errno(EEXIST) { requestResync() }
            report.failures.append(DataplaneFailure(object: object, error))
            return .leaveAlone
        }
    }

    /// Creates `tunl0` when IPIP is desired and it is missing (on a kernel without ipip this fails, is
    /// reported, and everything else goes on).
    func prepareIPIP(_ desired: IPIPDevice?, report: inout ApplyReport) {
        guard let desired else { return }
        let object = DataplaneObject.device(IPIPDevice.name)
        if let existing = view.link(named: IPIPDevice.name) {
            if case .ipip = existing.kind { return }
            report.failures.append(
                DataplaneFailure(
                    object: object, reason: "\(IPIPDevice.name) exists but is a \(existing.kind) device, not ipip"))
            return
        }
        guard let mtu = desired.kernelMTU else {
            report.failures.append(DataplaneFailure(object: object, reason: "MTU \(desired.mtu) is out of range"))
            return
        }
        do {
            let link = try kernel.ensureIPIPTunnel(name: IPIPDevice.name, mtu: mtu)
            view.upsertLink(link, now: clock())
            report.writes.append(DataplaneWrite(action: .create, object: object, detail: "ipip mtu \(mtu) up"))
        } catch {
            report.failures.append(DataplaneFailure(object: object, error))
        }
    }
}
