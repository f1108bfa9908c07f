import CalicoAPI
import NetworkAddress
import ResourceCache

extension DataplaneBuilder {
    /// `vxlan.calico` when VXLAN is in use and this node has its VXLAN tunnel address; `vxlan-v6.calico` when
    /// IPv6 VXLAN is in use and this node has its IPv6 VXLAN tunnel address and IPv6 address; `tunl0` when IPIP is
    /// in use (its address may still be unknown: the device then has none).
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
        if vxlanEnabledV6 { addVXLANDeviceV6() }
        if ipipEnabled {
            result.ipip = IPIPDevice(
                address: local?.ipipTunnelAddress, mtu: settings.effectiveIPIPMTU(hostMTU: environment.hostMTU))
        }
    }

    /// `vxlan-v6.calico`: the same VNI and port as `vxlan.calico` (Felix uses `vxlanVNI` for both), its own MAC,
    /// MTU `vxlanMTUV6` (host MTU - 70), underlay = the interface holding the node's IPv6 address, which is also
    /// the source address. An IPv6 underlay address is required: without one the kernel's VXLAN device would
    /// send over IPv4 and could not reach IPv6 VTEPs.
    private mutating func addVXLANDeviceV6() {
        guard let local, let address = local.vxlanTunnelAddressV6 else {
            problem(
                nodeResource,
                "IPv6 VXLAN is in use but this node has no IPv6 VXLAN tunnel address (spec.ipv6VXLANTunnelAddr) yet; "
                    + "\(VXLANDevice.nameV6) and routes through it wait for it")
            return
        }
        guard let nodeAddress = local.ipv6?.address else {
            problem(
                nodeResource,
                "IPv6 VXLAN is in use but this node has no IPv6 address (spec.bgp.ipv6Address); "
                    + "\(VXLANDevice.nameV6) and routes through it wait for it")
            return
        }
        result.vxlanV6 = VXLANDevice(
            vni: settings.vxlanVNI, port: settings.vxlanPort, mac: local.vxlanMACV6, address: address,
            mtu: settings.effectiveVXLANMTUV6(hostMTU: environment.hostMTU),
            parentInterface: environment.underlayInterfaceV6, localAddress: nodeAddress)
    }

    /// Per remote VTEP, a permanent neighbour (tunnel address -> VTEP MAC) and an FDB entry (VTEP MAC -> node
    /// IP) on the VXLAN device of the family: with them, `via <tunnel address> dev vxlan.calico onlink` (or
    /// `vxlan-v6.calico`) reaches the remote node without ARP, neighbour discovery or flooding.
    mutating func addRemoteVTEPs() {
        let families: [IPFamily] = [
            result.vxlan != nil ? .v4 : nil, result.vxlanV6 != nil ? .v6 : nil,
        ].compactMap { $0 }
        guard !families.isEmpty else { return }
        for (name, record) in cache.nodes where name != nodeName {
            for family in families {
                guard let vtep = record.vtep(family) else { continue }
                let device = VXLANDevice.name(for: family)
                result.neighbors.insert(DesiredNeighbor(interface: device, address: vtep.tunnelAddress, mac: vtep.mac))
                result.fdb.insert(DesiredFDBEntry(interface: device, mac: vtep.mac, destination: vtep.nodeAddress))
            }
        }
    }
}
