import Datastore
import Etcd
import EtcdTestSupport
import Foundation
import Testing

@Suite("EtcdClient endpoints, TLS and auth", .disabled(if: EtcdTestServer.skipReason != nil), .timeLimit(.minutes(1)))
struct EtcdClientConnectionTests {
    /// A loopback port nobody listens on.
    static let deadEndpoint = "http://127.0.0.1:9"

    @Test func anUnreachableEndpointIsNamed() async throws {
        let client = try EtcdClient(settings: EtcdSettings(endpoints: ["127.0.0.1:9"]))
        defer { Task { await client.close() } }
        let error = await #expect(throws: EtcdError.self) { _ = try await client.range(EtcdRangeRequest(key: [1])) }
        #expect(error == .unreachable([.init(endpoint: Self.deadEndpoint, reason: "connection refused")]))
        #expect(error?.description == "etcd is unreachable (http://127.0.0.1:9: connection refused)")
    }

    @Test func failsOverFromADeadFirstEndpoint() async throws {
        let server = try EtcdTestServer.start()
        defer { server.stop() }
        let client = try EtcdClient(settings: EtcdSettings(endpoints: [Self.deadEndpoint, server.endpoint]))
        _ = try await put(client, "/f", "1")
        #expect(try await client.range(EtcdRangeRequest(key: "/f".bytes)).kvs.count == 1)
        #expect(try await client.status().endpoint == server.endpoint)
        var watch = client.watch(EtcdWatchRequest(key: "/f".bytes, startRevision: 1)).makeAsyncIterator()
        #expect(try await watch.next()?.events.count == 1)
        await client.close()
        await client.close()
    }

    @Test func badSettingsNameTheSetting() {
        #expect(throws: EtcdError.configuration("etcd_endpoints ftp://x: the scheme must be http or https, not ftp")) {
            _ = try EtcdClient(settings: EtcdSettings(endpoints: ["ftp://x"]))
        }
        #expect(throws: EtcdError.configuration("etcd_ca_cert_file /nonexistent/ca.pem: no such file")) {
            _ = try EtcdClient(settings: EtcdSettings(endpoints: ["https://127.0.0.1:2379"], caCertFile: "/nonexistent/ca.pem"))
        }
    }

    @Test func forgettingCloseDoesNotCrash() throws {
        _ = try EtcdClient(settings: EtcdSettings(endpoints: ["127.0.0.1:2379"]))
    }

    @Test func tlsWithClientCertificates() async throws {
        let pki = try EtcdTestCertificates.make()
        try await withEtcdClient(tls: pki) { client, server in
            #expect(server.endpoint.hasPrefix("https://"))
            _ = try await put(client, "/tls", "secure")
            #expect(try await client.range(EtcdRangeRequest(key: "/tls".bytes)).kvs.first?.value == "secure".bytes)

            let wrong = try EtcdClient(
                settings: EtcdSettings(
                    endpoints: [server.endpoint], keyFile: pki.clientKeyFile, certFile: pki.clientCertFile,
                    caCertFile: pki.otherCAFile))
            let error = await #expect(throws: EtcdError.self) { _ = try await wrong.range(EtcdRangeRequest(key: [1])) }
            guard case .tls(let endpoint, _) = error else { Issue.record("not a TLS error: \(String(describing: error))"); return }
            #expect(endpoint == server.endpoint)
            await wrong.close()
        }
    }

    @Test func authWithGoodAndWrongPasswords() async throws {
        let server = try EtcdTestServer.start()
        defer { server.stop() }
        for arguments in [["user", "add", "root:pw"], ["auth", "enable"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/etcdctl")
            process.arguments = ["--endpoints", server.endpoint] + arguments
            process.environment = ["ETCDCTL_API": "3"]
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        let good = try EtcdClient(settings: EtcdSettings(endpoints: [server.endpoint], username: "root", password: "pw"))
        _ = try await put(good, "/auth", "1")
        var watch = good.watch(EtcdWatchRequest(key: "/auth".bytes, startRevision: 1)).makeAsyncIterator()
        #expect(try await watch.next()?.events.count == 1)
        await good.close()

        let wrong = try EtcdClient(settings: EtcdSettings(endpoints: [server.endpoint], username: "root", password: "no"))
        await #expect(
            throws: EtcdError.unauthenticated(
                endpoint: server.endpoint, reason: "authentication failed, invalid user ID or password")
        ) { _ = try await wrong.range(EtcdRangeRequest(key: [1])) }
        await wrong.close()

        let anonymous = try EtcdClient(settings: EtcdSettings(endpoints: [server.endpoint]))
        await #expect(throws: EtcdError.unauthenticated(endpoint: server.endpoint, reason: "user name is empty")) {
            _ = try await anonymous.range(EtcdRangeRequest(key: [1]))
        }
        await anonymous.close()
    }
}
