/// GC (1.1.0): releases the addresses (and deletes the endpoints on this node) of every attachment of this
/// network whose container is not in `cni.dev/valid-attachments`. The veths of such containers went with
/// their namespaces. A delegated IPAM plugin gets the GC too.
enum GarbageCollection {
    static func run(_ request: PluginRequest, delegate: DelegatedPlugin?) async throws(CNIError) {
        guard let attachments = request.config.validAttachments else {
            throw CNIError(
                .invalidNetworkConfig, "invalid network config",
                details: "GC needs cni.dev/valid-attachments (the attachments to keep)")
        }
        if let delegate {
            _ = try await delegate.run(.garbageCollect, environment: request.environment, stdin: request.stdin)
        }
        let store = WorkloadStore(datastore: try DatastoreOpening.open(request.config.datastore))
        let released = try await store.garbageCollect(
            network: request.config.name, node: request.node, validContainerIDs: Set(attachments.map(\.containerID)))
        if !released.isEmpty {
            request.log.info("GC \(request.config.name): released \(released.joined(separator: ", "))")
        }
    }
}
