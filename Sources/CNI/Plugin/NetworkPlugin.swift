import CalicoAPI
import Datastore
import NetworkAddress

/// `tabby`: Calico's network plugin. ADD wires a workload (addresses, veth, WorkloadEndpoint), DEL undoes it,
/// CHECK verifies it; STATUS and GC are shared with `tabby-ipam` (``PoolStatus``, ``GarbageCollection``).
struct NetworkPlugin: Sendable {
    var request: PluginRequest
    var host: PluginHost

    func run() async throws(CNIError) -> CNIResult? {
        switch request.environment.command {
        case .add: return try await add()
        case .delete: try await delete()
        case .check: try await check()
        case .status: try await PoolStatus.check(request, delegate: try delegate())
        case .garbageCollect: try await GarbageCollection.run(request, delegate: try delegate())
        case .version: break
        }
        return nil
    }

    // MARK: ADD

    /// Config and namespace first (nothing taken yet), then addresses, the veth, the endpoint; whatever fails
    /// after something was taken gives it back before the error is printed.
    func add() async throws(CNIError) -> CNIResult {
        let identity = request.identity
        // As Calico's plugin, refuse a workload whose endpoint cannot be named before taking anything.
        if let problem = WorkloadNames.endpointNameProblem(for: identity) {
            throw CNIError(.invalidEnvironment, "error constructing WorkloadEndpoint name", details: problem)
        }
        try NamespaceProbe.check(request.environment.networkNamespace)
        let mtu = try PodMTU.resolve(request.config, readFile: host.readFile)
        let datastore = try DatastoreOpening.open(request.config.datastore)
        let store = WorkloadStore(datastore: datastore)
        let source = try addressSource(store: store, datastore: datastore)
        let pod = try await store.pod(for: identity)

        let addresses = try await source.assign(request, pod: pod)
        request.log.debug("\(request.subject): addresses \(addresses.map(\.description).joined(separator: ", "))")
        let spec = WorkloadInterfaceSpec(
            hostInterface: WorkloadNames.hostInterfaceName(for: identity),
            containerInterface: identity.interfaceName, containerNamespace: identity.networkNamespace, mtu: mtu,
            addresses: addresses, allowIPForwarding: request.config.allowIPForwarding)
        let wired: WiredInterface
        do {
            wired = try WorkloadWiring(hostNamespacePath: host.hostNamespacePath).attach(spec)
        } catch {
            await giveBack(source, reason: error)
            throw error
        }
        do {
            _ = try await store.writeEndpoint(
                for: identity, pod: pod, hostInterface: wired.hostInterface, containerMAC: wired.containerMAC,
                addresses: addresses)
        } catch {
            detachQuietly(spec)
            await giveBack(source, reason: error)
            throw error
        }
        request.log.info(
            "\(request.subject): \(wired.hostInterface) <-> \(identity.interfaceName) with "
                + addresses.map(\.description).joined(separator: ", "))
        return ResultAssembly.networkResult(
            previous: request.config.prevResult,
            wired: ResultAssembly.Wired(
                hostInterface: wired.hostInterface, hostMAC: wired.hostMAC,
                containerInterface: wired.containerInterface, containerMAC: wired.containerMAC,
                sandbox: identity.networkNamespace, mtu: mtu),
            addresses: addresses, dns: request.config.dns)
    }

    private func giveBack(_ source: AddressSource, reason: CNIError) async {
        do {
            try await source.release(request)
        } catch {
            request.log.error("\(request.subject): releasing the addresses after \"\(reason)\" failed: \(error)")
        }
    }

    private func detachQuietly(_ spec: WorkloadInterfaceSpec) {
        do {
            try WorkloadWiring(hostNamespacePath: host.hostNamespacePath).detach(
                hostInterface: spec.hostInterface, containerNamespace: spec.containerNamespace,
                containerInterface: spec.containerInterface)
        } catch {
            request.log.error("\(request.subject): removing \(spec.hostInterface) failed: \(error)")
        }
    }

    // MARK: DEL

    /// Idempotent: what is already gone (namespace, veth, endpoint, addresses) is skipped. Every step runs even
    /// when an earlier one fails, and the first failure is reported, so a retried DEL finishes the job.
    func delete() async throws(CNIError) {
        let identity = request.identity
        let datastore = try DatastoreOpening.open(request.config.datastore)
        let store = WorkloadStore(datastore: datastore)
        var firstError: CNIError?
        do {
            try WorkloadWiring(hostNamespacePath: host.hostNamespacePath).detach(
                hostInterface: WorkloadNames.hostInterfaceName(for: identity),
                containerNamespace: identity.networkNamespace, containerInterface: identity.interfaceName)
        } catch {
            firstError = firstError ?? error
        }
        do { try await store.deleteEndpoint(for: identity) } catch { firstError = firstError ?? error }
        do {
            try await addressSource(store: store, datastore: datastore).release(request)
        } catch {
            firstError = firstError ?? error
        }
        if let firstError { throw firstError }
        request.log.info("\(request.subject): removed")
    }

    // MARK: CHECK

    /// The veth, addresses, routes and sysctls as ADD left them (``WorkloadWiring/check(_:)``), the endpoint
    /// stored with the same container, interface and addresses, and `prevResult` agreeing with all of it.
    func check() async throws(CNIError) {
        let identity = request.identity
        guard let previous = request.config.prevResult else {
            throw CNIError(.invalidNetworkConfig, "invalid network config", details: "CHECK needs prevResult")
        }
        try NamespaceProbe.check(identity.networkNamespace)
        let hostInterface = WorkloadNames.hostInterfaceName(for: identity)
        let expected = try PreviousAttachment(
            previous, hostInterface: hostInterface, containerInterface: identity.interfaceName,
            sandbox: identity.networkNamespace)
        let mtu = try PodMTU.resolve(request.config, readFile: host.readFile)
        let datastore = try DatastoreOpening.open(request.config.datastore)
        let store = WorkloadStore(datastore: datastore)
        let source = try addressSource(store: store, datastore: datastore)

        guard let endpoint = try await store.endpoint(for: identity) else {
            throw CNIError(
                .checkFailed, "the workload has no WorkloadEndpoint",
                details: "no WorkloadEndpoint \(WorkloadNames.endpointName(for: identity)) for container "
                    + identity.containerID)
        }
        try expected.agrees(with: endpoint, containerID: identity.containerID)
        let wired = try WorkloadWiring(hostNamespacePath: host.hostNamespacePath).check(
            WorkloadInterfaceSpec(
                hostInterface: hostInterface, containerInterface: identity.interfaceName,
                containerNamespace: identity.networkNamespace, mtu: mtu, addresses: expected.addresses,
                allowIPForwarding: request.config.allowIPForwarding))
        try expected.agrees(with: wired)
        try await source.check(request, addresses: expected.addresses)
    }

    // MARK: Pieces

    /// The IPAM plugin `tabby` delegates to; nil for `tabby-ipam`, which runs in process.
    private func delegate() throws(CNIError) -> DelegatedPlugin? {
        let ipam = request.config.ipam
        if ipam.isTabbyIPAM { return nil }
        return try DelegatedPlugin(type: ipam.type, environment: request.environment)
    }

    private func addressSource(store: WorkloadStore, datastore: any Datastore) throws(CNIError) -> AddressSource {
        guard let plugin = try delegate() else { return .tabby(store, datastore) }
        return .delegated(plugin)
    }
}
