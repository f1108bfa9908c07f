import Datastore
import Etcd
import EtcdTestSupport
import Foundation

/// A real etcd member and a client of it, both ended when the body returns.
func withEtcdClient<T>(
    tls: EtcdTestCertificates? = nil, _ body: (EtcdClient, EtcdTestServer) async throws -> T
) async throws -> T {
    let server = try EtcdTestServer.start(tls: tls)
    defer { server.stop() }
    let client = try EtcdClient(
        settings: EtcdSettings(
            endpoints: [server.endpoint], keyFile: tls?.clientKeyFile, certFile: tls?.clientCertFile,
            caCertFile: tls?.caFile))
    do {
        let result = try await body(client, server)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

func put(_ client: EtcdClient, _ key: String, _ value: String) async throws -> EtcdTxnResponse {
    try await client.txn(EtcdTxnRequest(compare: [], success: [.put(key: key.bytes, value: value.bytes, prevKV: false)]))
}
