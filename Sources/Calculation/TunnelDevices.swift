import CalicoAPI
import ResourceCache

extension DataplaneBuilder {
    /// `vxlan.calico` when VXLAN is in use and this node has its VXLAN tunnel address; `tunl0` when IPIP is in
    /// use (its address may still be unknown: the device then has none).
    mutating func addTunnelDevices() {
        if vxlanEnabled {
            if let local, let address = local.vxlanTunnelAddress {
                result.vxlan = VXLANDevice(
                    vni: settings.vxlanVNI, port: settings.vxlanPort, mac: local.vxlanMAC, address: address,
                    mtu: settings.effectiveVXLANMTU(hostMTU: environment.hostMTU),
                    parentInterface: environment.underlayInterface, localAddress: local.ipv4?.address)
            } else {
                problem(
                    nodeResource,
                    "VXLAN is in use but this node has no IPv4 VXLAN tunnel address (spec.ipv4VXLANTunnelAddr) yet; "
                        + "\(VXLANDevice.name) and routes through it wait for it")
            }
        }
        if ipipEnabled {
            result.ipip = IPIPDevice(
                address: local?.ipipTunnelAddress, mtu: settings.effectiveIPIPMTU(hostMTU: environment.hostMTU))
        }
    }

    /// Per remote VTEP, a permanent neighbour (tunnel address -> VTEP MAC) and an FDB entry (VTEP MAC -> node
    /// IP) on `vxlan.calico`: with them, `via <tunnel address> dev vxlan.calico onlink` reaches the remote node
    /// without ARP or flooding.
    mutating func addRemoteVTEPs() {
        guard result.vxlan != nil else { return }
        for (name, record) in cache.nodes where name != nodeName {
            guard let vtep = record.vtep else { continue }
            result.neighbors.insert(
                DesiredNeighbor(interface: VXLANDevice.name, address: vtep.tunnelAddress, mac: vtep.mac))
            result.fdb.insert(
                DesiredFDBEntry(interface: VXLANDevice.name, mac: vtep.mac, destination: vtep.nodeAddress))
        }
    }
}
