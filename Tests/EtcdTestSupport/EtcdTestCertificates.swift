import Foundation

/// A throwaway PKI made with `openssl` in a temporary directory: a CA, a server certificate for 127.0.0.1 and a
/// client certificate it signed, and a second CA that signed nothing (a wrong CA for a client to trust).
public final class EtcdTestCertificates: Sendable {
    public let directory: String
    public var caFile: String { directory + "/ca.pem" }
    public var serverCertFile: String { directory + "/server.pem" }
    public var serverKeyFile: String { directory + "/server-key.pem" }
    public var clientCertFile: String { directory + "/client.pem" }
    public var clientKeyFile: String { directory + "/client-key.pem" }
    /// A CA that signed neither certificate.
    public var otherCAFile: String { directory + "/other-ca.pem" }

    public static func make() throws -> EtcdTestCertificates {
        let directory = "/tmp/tabby-t-pki-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let certificates = EtcdTestCertificates(directory: directory)
        try certificates.generate()
        return certificates
    }

    private init(directory: String) { self.directory = directory }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    private func generate() throws {
        let d = directory
        for ca in ["ca", "other-ca"] {
            try openssl([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=tabby-test-\(ca)", "-keyout", "\(d)/\(ca)-key.pem", "-out", "\(d)/\(ca).pem",
            ])
        }
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n"
            .write(toFile: "\(d)/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: "\(d)/client.ext", atomically: true, encoding: .utf8)
        for (name, subject) in [("server", "/CN=127.0.0.1"), ("client", "/CN=root")] {
            try openssl([
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", subject,
                "-keyout", "\(d)/\(name)-key.pem", "-out", "\(d)/\(name).csr",
            ])
            try openssl([
                "x509", "-req", "-in", "\(d)/\(name).csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca-key.pem",
                "-CAcreateserial", "-days", "2", "-extfile", "\(d)/\(name).ext", "-out", "\(d)/\(name).pem",
            ])
        }
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestServerError("openssl \(arguments.prefix(2).joined(separator: " ")) failed")
        }
    }
}
