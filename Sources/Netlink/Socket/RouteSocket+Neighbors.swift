import CMnl
import NetworkAddress

extension RouteSocket {
    /// Neighbour entries of one family or both, of one interface or all.
    public func neighbors(family: IPFamily? = nil, interfaceIndex: Int32? = nil) throws(NetlinkError)
        -> [Neighbor]
    {
        let operation = "neighbour list \(family?.kernelName ?? "all")"
        return try dump(type: MessageType.getNeighbor, operation: operation) { message in
            message.neighborHeader(family: family?.kernelFamily ?? 0, index: 0, state: [], flags: [])
            if let index = interfaceIndex {
                message.put(NeighborAttribute.interfaceIndex, u32: UInt32(bitPattern: index))
            }
        } decode: { message in
            guard message.type == MessageType.newNeighbor else { return nil }
            return Neighbor(neighborPayload: message.payload)
        }
    }

    /// Adds a neighbour entry; `EEXIST` when the address has one on that interface.
    public func addNeighbor(_ neighbor: Neighbor) throws(NetlinkError) { try perform(.addNeighbor(neighbor)) }

    /// Adds or replaces a neighbour entry (`ip neigh replace`).
    public func replaceNeighbor(_ neighbor: Neighbor) throws(NetlinkError) { try perform(.replaceNeighbor(neighbor)) }

    /// Deletes a neighbour entry; `ENOENT` when there is none.
    public func deleteNeighbor(_ neighbor: Neighbor) throws(NetlinkError) { try perform(.deleteNeighbor(neighbor)) }

    /// Forwarding-database entries (`bridge fdb show`), of one device or all.
    public func fdbEntries(interfaceIndex: Int32? = nil) throws(NetlinkError) -> [FDBEntry] {
        let operation = "fdb list" + (interfaceIndex.map { " brport if\($0)" } ?? "")
        return try dump(type: MessageType.getNeighbor, operation: operation) { message in
            message.neighborHeader(family: bridgeFamily, index: interfaceIndex ?? 0, state: [], flags: [])
        } decode: { message in
            guard message.type == MessageType.newNeighbor, let entry = FDBEntry(neighborPayload: message.payload)
            else { return nil }
            if let interfaceIndex, entry.interfaceIndex != interfaceIndex { return nil }
            return entry
        }
    }

    /// Adds an FDB entry; `EEXIST` when the MAC has one on that device.
    public func addFDB(_ entry: FDBEntry) throws(NetlinkError) { try perform(.addFDB(entry)) }

    /// Adds or replaces an FDB entry (`bridge fdb replace`).
    public func replaceFDB(_ entry: FDBEntry) throws(NetlinkError) { try perform(.replaceFDB(entry)) }

    /// Adds another destination for a MAC (`bridge fdb append`).
    public func appendFDB(_ entry: FDBEntry) throws(NetlinkError) { try perform(.appendFDB(entry)) }

    /// Deletes an FDB entry; `ENOENT` when there is none.
    public func deleteFDB(_ entry: FDBEntry) throws(NetlinkError) { try perform(.deleteFDB(entry)) }
}
