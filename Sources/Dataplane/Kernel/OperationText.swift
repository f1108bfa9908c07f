import Netlink

// `ip`-style texts of routes and operations with interfaces named, for write details and the fake kernel's
// errors (the Netlink module's own texts are internal to it).

extension Route {
    func text(naming name: (Int32) -> String) -> String {
        var text = type == .unicast ? destination.description : "\(type) \(destination)"
        if let gateway { text += " via \(gateway)" }
        if let outputInterface, type == .unicast { text += " dev \(name(outputInterface))" }
        if table != .main { text += " table \(table)" }
        text += " proto \(`protocol`)"
        if type == .unicast, gateway == nil, scope == .link { text += " scope link" }
        if let metric, metric != Route.defaultMetric(family) { text += " metric \(metric)" }
        if isOnLink { text += " onlink" }
        if let mtu { text += " mtu \(mtu)" }
        return text
    }
}

extension NetlinkOperation {
    /// "route replace 10.0.1.0/26 via 198.51.100.64 dev vxlan.calico proto boot onlink".
    func text(naming name: (Int32) -> String) -> String {
        switch self {
        case .createLink(let link): "link add \(link.name) type \(link.kind.typeName)"
        case .changeLink(let index, let change): "link set dev \(name(index)) \(change.text)"
        case .moveLink(let index, let fd): "link set dev \(name(index)) netns fd \(fd)"
        case .deleteLink(let index): "link delete dev \(name(index))"
        case .addAddress(let address): "address add \(address.prefix) dev \(name(address.interfaceIndex))"
        case .deleteAddress(let address): "address delete \(address.prefix) dev \(name(address.interfaceIndex))"
        case .addRoute(let route): "route add \(route.text(naming: name))"
        case .replaceRoute(let route): "route replace \(route.text(naming: name))"
        case .deleteRoute(let route): "route delete \(route.text(naming: name))"
        case .addNeighbor(let neighbor): "neighbour add \(neighbor.text(naming: name))"
        case .replaceNeighbor(let neighbor): "neighbour replace \(neighbor.text(naming: name))"
        case .deleteNeighbor(let neighbor): "neighbour delete \(neighbor.text(naming: name))"
        case .addFDB(let entry): "fdb add \(entry.text(naming: name))"
        case .replaceFDB(let entry): "fdb replace \(entry.text(naming: name))"
        case .appendFDB(let entry): "fdb append \(entry.text(naming: name))"
        case .deleteFDB(let entry): "fdb delete \(entry.text(naming: name))"
        }
    }
}

extension Neighbor {
    func text(naming name: (Int32) -> String) -> String {
        "\(address)" + (linkLayerAddress.map { " lladdr \($0)" } ?? "") + " dev \(name(interfaceIndex))"
    }
}

extension FDBEntry {
    func text(naming name: (Int32) -> String) -> String {
        "\(macAddress) dev \(name(interfaceIndex))" + (destination.map { " dst \($0)" } ?? "")
    }
}

extension LinkChange {
    var text: String {
        var parts: [String] = []
        if let name { parts.append("name \(name)") }
        if let isUp { parts.append(isUp ? "up" : "down") }
        if let mtu { parts.append("mtu \(mtu)") }
        if let macAddress { parts.append("address \(macAddress)") }
        return parts.joined(separator: " ")
    }
}

extension NewLink.Kind {
    var typeName: String {
        switch self {
        case .veth: "veth"
        case .vxlan: "vxlan"
        case .ipip: "ipip"
        }
    }
}
