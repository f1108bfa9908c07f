/// Counts of the Tabby-owned state in the kernel, as the reconciler sees it, for the status socket.
public struct DataplaneSummary: Sendable, Hashable {
    /// Tabby-owned main-table routes.
    public var routes: Int
    /// Tabby's devices that exist (`vxlan.calico`, `tunl0`).
    public var devices: [String]
    /// Permanent neighbour entries on workload interfaces and Tabby's devices.
    public var neighbors: Int
    /// FDB entries on the VXLAN device.
    public var fdbEntries: Int

    public init(routes: Int, devices: [String], neighbors: Int, fdbEntries: Int) {
        self.routes = routes
        self.devices = devices
        self.neighbors = neighbors
        self.fdbEntries = fdbEntries
    }
}
