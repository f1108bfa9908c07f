import Calculation

extension DataplaneReconciler {
    /// What the reconciler owns and how patient it is; from FelixConfiguration in the agent.
    public struct Configuration: Sendable, Hashable {
        /// Name prefixes of workload interfaces (`interfacePrefix`, "cali" by default).
        public var workloadInterfacePrefixes: [String]
        /// FelixConfiguration `deviceRouteProtocol` (3 = boot by default). Any other value is exclusively
        /// Tabby's, like 80: routes with it are Tabby's wherever they point.
        public var deviceRouteProtocol: UInt8
        /// FelixConfiguration `removeExternalRoutes` (true by default): routes of any protocol on a workload
        /// interface are Tabby's. When false, only those with protocol boot, 80 or `deviceRouteProtocol`.
        public var removeExternalRoutes: Bool
        /// How long routes of a workload interface that are not desired are kept after the interface was first
        /// seen: the CNI plugin adds the route before the WorkloadEndpoint reaches the agent.
        public var workloadRouteGracePeriod: Duration
        /// Tabby's own devices: every route through them is Tabby's.
        public var deviceNames: [String]
        /// A periodic resync reads back the sysctls of one in this many workload interfaces (by a hash of the
        /// name), so each interface's are compared with the kernel at least every this many resyncs; interfaces
        /// that are new or recreated are read at once, and the global sysctls on every resync.
        public var sysctlReadBackRounds: Int

        public init(
            workloadInterfacePrefixes: [String] = ["cali"], deviceRouteProtocol: UInt8 = 3,
            removeExternalRoutes: Bool = true, workloadRouteGracePeriod: Duration = .seconds(10),
            deviceNames: [String] = [VXLANDevice.name, VXLANDevice.nameV6, IPIPDevice.name],
            sysctlReadBackRounds: Int = 8
        ) {
            self.workloadInterfacePrefixes = workloadInterfacePrefixes
            self.deviceRouteProtocol = deviceRouteProtocol
            self.removeExternalRoutes = removeExternalRoutes
            self.workloadRouteGracePeriod = workloadRouteGracePeriod
            self.deviceNames = deviceNames
            self.sysctlReadBackRounds = sysctlReadBackRounds
        }
    }
}
