import CalicoAPI
import Datastore
import NetworkAddress

/// Makes the agent's Node resource exist with the node's addresses and labels (compare-and-swap, retried).
/// Without an IPv6 address (`IP6` none) an IPv6 address already on the Node is kept, as calico-node keeps it.
enum NodeRegistration {
    static func ensure(
        node name: String, address: CIDR, ipv6Address: CIDR? = nil, labels: Labels, in store: any Datastore
    ) async throws(DatastoreError) -> Node {
        for _ in 0..<100 {
            do throws(DatastoreError) {
                guard var node = try await store.get(ResourceKey(kind: .node, name: name)).as(Node.self) else {
                    throw DatastoreError.notFound(ResourceKey(kind: .node, name: name))
                }
                let before = node
                var bgp = node.spec.bgp ?? NodeSpec.BGP()
                bgp.ipv4Address = address
                if let ipv6Address { bgp.ipv6Address = ipv6Address }
                node.spec.bgp = bgp
                if !labels.isEmpty { node.metadata.labels = (node.metadata.labels ?? [:]).merging(labels) { $1 } }
                if node == before { return node }
                return try await store.update(AnyResource(node)).as(Node.self)!
            } catch .notFound {
                var node = Node(name: name)
                node.metadata.labels = labels.isEmpty ? nil : labels
                node.spec.bgp = NodeSpec.BGP(ipv4Address: address)
                node.spec.bgp?.ipv6Address = ipv6Address
                do throws(DatastoreError) {
                    return try await store.create(AnyResource(node)).as(Node.self)!
                } catch .alreadyExists {
                    continue
                }
            } catch .conflict {
                continue
            }
        }
        throw .conflict(ResourceKey(kind: .node, name: name), expected: "", actual: "")
    }
}
