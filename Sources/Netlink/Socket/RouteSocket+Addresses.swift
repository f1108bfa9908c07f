import CMnl
import NetworkAddress

extension RouteSocket {
    /// Interface addresses (`ip addr`), of one family or both, of one interface or all.
    public func addresses(family: IPFamily? = nil, interfaceIndex: Int32? = nil) throws(NetlinkError)
        -> [InterfaceAddress]
    {
        let operation = "address list \(family?.kernelName ?? "all")"
        return try dump(type: MessageType.getAddress, operation: operation) { message in
            var header = ifaddrmsg()
            header.ifa_family = family?.kernelFamily ?? 0
            header.ifa_index = UInt32(bitPattern: interfaceIndex ?? 0)
            message.putFamilyHeader(header)
        } decode: { message in
            guard message.type == MessageType.newAddress else { return nil }
            let address = InterfaceAddress(addressPayload: message.payload)
            // Older kernels ignore the index filter; keep the answer right either way.
            if let interfaceIndex, address?.interfaceIndex != interfaceIndex { return nil }
            return address
        }
    }

    /// Adds an address; `EEXIST` when the interface has it already.
    public func addAddress(_ address: InterfaceAddress) throws(NetlinkError) { try perform(.addAddress(address)) }

    /// Deletes an address; `EADDRNOTAVAIL` when the interface does not have it.
    public func deleteAddress(_ address: InterfaceAddress) throws(NetlinkError) {
        try perform(.deleteAddress(address))
    }
}
