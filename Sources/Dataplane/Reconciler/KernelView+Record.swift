import Netlink

extension KernelView {
    /// Updates the view with an operation the kernel accepted, as the kernel applied it.
    mutating func record(_ operation: NetlinkOperation) {
        switch operation {
        case .changeLink(let index, let change): applyLinkChange(index: index, change)
        case .deleteLink(let index): removeLink(index: index)
        case .addAddress(let address): upsertAddress(address)
        case .deleteAddress(let address): removeAddress(address)
        case .addRoute(let route), .replaceRoute(let route): upsertRoute(route)
        case .deleteRoute(let route): removeRoute(RouteKey(route))
        case .addNeighbor(let neighbor), .replaceNeighbor(let neighbor): upsertNeighbor(neighbor)
        case .deleteNeighbor(let neighbor): removeNeighbor(neighbor)
        case .addFDB(let entry), .replaceFDB(let entry), .appendFDB(let entry): upsertFDB(entry)
        case .deleteFDB(let entry): removeFDB(entry)
        case .createLink, .moveLink:
            // Not planned by the reconciler; a later dump or notification shows the result.
            break
        }
    }
}
