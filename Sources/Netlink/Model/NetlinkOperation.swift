/// One change to send to the kernel. A batch of them goes out many messages per `sendmsg`
/// (`RouteSocket.apply`), and each error is matched back to the operation that caused it.
public enum NetlinkOperation: Hashable, Sendable {
    case createLink(NewLink)
    case changeLink(index: Int32, LinkChange)
    /// Moves a link into the network namespace open at `namespaceFD`.
    case moveLink(index: Int32, namespaceFD: Int32)
    case deleteLink(index: Int32)

    case addAddress(InterfaceAddress)
    case deleteAddress(InterfaceAddress)

    /// Adds a route; fails with `EEXIST` when one with the same key exists.
    case addRoute(Route)
    /// Adds or replaces a route (`NLM_F_CREATE|NLM_F_REPLACE`): re-applying a route is not an error.
    case replaceRoute(Route)
    /// Deletes the route that matches: destination, table, type, and protocol, gateway, device and metric
    /// where given (any scope).
    case deleteRoute(Route)

    case addNeighbor(Neighbor)
    case replaceNeighbor(Neighbor)
    case deleteNeighbor(Neighbor)

    case addFDB(FDBEntry)
    case replaceFDB(FDBEntry)
    /// Adds one more destination for the same MAC (`bridge fdb append`), as used for flooding entries.
    case appendFDB(FDBEntry)
    case deleteFDB(FDBEntry)

    /// "route replace 10.0.1.0/26 via 192.0.2.2 dev vxlan.calico", naming interfaces through `interfaceName`:
    /// the one text of an operation, for errors, logs and write reports.
    public func describe(interfaceName: (Int32) -> String) -> String {
        switch self {
        case .createLink(let link): "link add \(link.name) type \(link.kind.name)"
        case .changeLink(let index, let change): "link set dev \(interfaceName(index)) \(change.description)"
        case .moveLink(let index, let fd): "link set dev \(interfaceName(index)) netns fd \(fd)"
        case .deleteLink(let index): "link delete dev \(interfaceName(index))"
        case .addAddress(let address): "address add \(address.describe(interfaceName: interfaceName))"
        case .deleteAddress(let address): "address delete \(address.describe(interfaceName: interfaceName))"
        case .addRoute(let route): "route add \(route.describe(interfaceName: interfaceName))"
        case .replaceRoute(let route): "route replace \(route.describe(interfaceName: interfaceName))"
        case .deleteRoute(let route): "route delete \(route.describe(interfaceName: interfaceName))"
        case .addNeighbor(let neighbor): "neighbour add \(neighbor.describe(interfaceName: interfaceName))"
        case .replaceNeighbor(let neighbor): "neighbour replace \(neighbor.describe(interfaceName: interfaceName))"
        case .deleteNeighbor(let neighbor): "neighbour delete \(neighbor.describe(interfaceName: interfaceName))"
        case .addFDB(let entry): "fdb add \(entry.describe(interfaceName: interfaceName))"
        case .replaceFDB(let entry): "fdb replace \(entry.describe(interfaceName: interfaceName))"
        case .appendFDB(let entry): "fdb append \(entry.describe(interfaceName: interfaceName))"
        case .deleteFDB(let entry): "fdb delete \(entry.describe(interfaceName: interfaceName))"
        }
    }

    /// The interface indexes the description mentions, so names can be looked up for an error.
    var interfaceIndexes: [Int32] {
        switch self {
        case .createLink: []
        case .changeLink(let index, _), .moveLink(let index, _), .deleteLink(let index): [index]
        case .addAddress(let a), .deleteAddress(let a): [a.interfaceIndex]
        case .addRoute(let r), .replaceRoute(let r), .deleteRoute(let r): r.outputInterface.map { [$0] } ?? []
        case .addNeighbor(let n), .replaceNeighbor(let n), .deleteNeighbor(let n): [n.interfaceIndex]
        case .addFDB(let e), .replaceFDB(let e), .appendFDB(let e), .deleteFDB(let e): [e.interfaceIndex]
        }
    }
}
