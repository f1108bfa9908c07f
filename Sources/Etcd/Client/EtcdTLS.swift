import Datastore
import Foundation
import NIOSSL

/// The TLS configuration of `EtcdSettings`: the CA bundle that signs the members' certificates (else the
/// system's) and the client's certificate and key for etcd's `--client-cert-auth`.
enum EtcdTLS {
    /// nil when nothing asks for TLS (no https endpoint and no TLS file); each file is read now, so that a
    /// missing one is reported by its setting's name.
    static func configuration(_ settings: EtcdSettings, anyHTTPS: Bool) throws(EtcdError) -> TLSConfiguration? {
        let files = [settings.caCertFile, settings.certFile, settings.keyFile].compactMap { $0 }
        guard anyHTTPS || !files.isEmpty else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = settings.caCertFile {
            try readable(caFile, setting: "etcd_ca_cert_file")
            let certificates = try certificates(caFile, setting: "etcd_ca_cert_file")
            configuration.trustRoots = .certificates(certificates)
        }
        switch (settings.certFile, settings.keyFile) {
        case (nil, nil):
            break
        case (let certFile?, let keyFile?):
            try readable(certFile, setting: "etcd_cert_file")
            try readable(keyFile, setting: "etcd_key_file")
            let chain = try certificates(certFile, setting: "etcd_cert_file")
            configuration.certificateChain = chain.map { NIOSSLCertificateSource.certificate($0) }
            let key: NIOSSLPrivateKey
            do {
                key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
            } catch {
                throw .configuration("etcd_key_file \(keyFile): not a PEM private key (\(error))")
            }
            configuration.privateKey = .privateKey(key)
        case (nil, _?):
            throw .configuration("etcd_key_file is set without etcd_cert_file: a client key needs its certificate")
        case (_?, nil):
            throw .configuration("etcd_cert_file is set without etcd_key_file: a client certificate needs its key")
        }
        return configuration
    }

    private static func certificates(_ path: String, setting: String) throws(EtcdError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw .configuration("\(setting) \(path): not a PEM certificate (\(error))")
        }
        guard !certificates.isEmpty else { throw .configuration("\(setting) \(path): no PEM certificate in it") }
        return certificates
    }

    private static func readable(_ path: String, setting: String) throws(EtcdError) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            throw .configuration("\(setting) \(path): \(reason)")
        }
        close(descriptor)
    }
}
