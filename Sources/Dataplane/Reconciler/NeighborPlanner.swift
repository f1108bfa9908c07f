import Calculation
import CalicoAPI
import Netlink
import NetworkAddress

/// Computes the plan for permanent neighbour entries (workload MACs on `cali*`, remote VTEPs on
/// `vxlan.calico` and `vxlan-v6.calico`) and the VXLAN devices' FDB entries. Stale permanent neighbours and stale
/// FDB entries are removed from the VXLAN devices only: entries on other interfaces may be someone else's.
struct NeighborPlanner {
    let view: KernelView
    /// The indexes of the VXLAN devices that stay; one that is missing or about to be removed is not here (its
    /// entries go with it).
    let vxlanIndexes: Set<Int32>

    func planNeighbors(_ desired: Set<DesiredNeighbor>, into plan: inout DataplanePlan) {
        var desiredKeys = Set<NeighborKey>(minimumCapacity: desired.count)
        var programming: [(DataplaneObject, Neighbor)] = []
        for neighbor in desired {
            let object = DataplaneObject.neighbor(interface: neighbor.interface, neighbor.address)
            guard let index = view.index(of: neighbor.interface) else {
                plan.failures.append(
                    DataplaneFailure(object: object, reason: "interface \(neighbor.interface) does not exist"))
                continue
            }
            let key = NeighborKey(interfaceIndex: index, address: neighbor.address)
            desiredKeys.insert(key)
            if let existing = view.neighbors[key], existing.state.contains(.permanent),
                existing.linkLayerAddress == neighbor.mac
            {
                continue
            }
            let entry = Neighbor(
                interfaceIndex: index, address: key.address, linkLayerAddress: neighbor.mac, state: .permanent)
            programming.append((object, entry))
        }
        for (object, entry) in programming.sorted(by: {
            ($0.1.interfaceIndex, $0.1.address) < ($1.1.interfaceIndex, $1.1.address)
        }) {
            plan.add(
                .neighborProgramming, .replaceNeighbor(entry),
                DataplaneWrite(
                    action: .replace, object: object, detail: entry.describe(interfaceName: view.displayName)))
        }

        guard !vxlanIndexes.isEmpty else { return }
        let stale = view.neighbors.filter { key, neighbor in
            vxlanIndexes.contains(key.interfaceIndex) && neighbor.state.contains(.permanent)
                && !desiredKeys.contains(key)
        }
        for (key, neighbor) in stale.sorted(by: {
            ($0.key.interfaceIndex, $0.key.address) < ($1.key.interfaceIndex, $1.key.address)
        }) {
            plan.add(
                .neighborRemoval, .deleteNeighbor(neighbor),
                DataplaneWrite(
                    action: .delete,
                    object: .neighbor(interface: view.displayName(key.interfaceIndex), key.address)))
        }
    }

    func planFDB(_ desired: Set<DesiredFDBEntry>, into plan: inout DataplanePlan) {
        var desiredKeys = Set<FDBKey>(minimumCapacity: desired.count)
        var programming: [(DataplaneObject, FDBEntry)] = []
        for entry in desired {
            let object = DataplaneObject.fdb(interface: entry.interface, mac: entry.mac, destination: entry.destination)
            guard let index = view.index(of: entry.interface) else {
                plan.failures.append(
                    DataplaneFailure(object: object, reason: "interface \(entry.interface) does not exist"))
                continue
            }
            let kernelEntry = FDBEntry(interfaceIndex: index, macAddress: entry.mac, destination: entry.destination)
            let key = FDBKey(kernelEntry)
            desiredKeys.insert(key)
            if view.fdb[key] != nil { continue }
            programming.append((object, kernelEntry))
        }
        for (object, entry) in programming.sorted(by: {
            ($0.1.interfaceIndex, $0.1.macAddress.value) < ($1.1.interfaceIndex, $1.1.macAddress.value)
        }) {
            plan.add(
                .neighborProgramming, .replaceFDB(entry),
                DataplaneWrite(
                    action: .replace, object: object, detail: entry.describe(interfaceName: view.displayName)))
        }

        guard !vxlanIndexes.isEmpty else { return }
        let stale = view.fdb.filter { key, _ in
            vxlanIndexes.contains(key.interfaceIndex) && !desiredKeys.contains(key)
        }
        for (key, entry) in stale.sorted(by: {
            ($0.key.interfaceIndex, $0.key.mac.value) < ($1.key.interfaceIndex, $1.key.mac.value)
        }) {
            plan.add(
                .neighborRemoval, .deleteFDB(entry),
                DataplaneWrite(
                    action: .delete,
                    object: .fdb(
                        interface: view.displayName(key.interfaceIndex), mac: entry.macAddress,
                        destination: entry.destination)))
        }
    }
}
