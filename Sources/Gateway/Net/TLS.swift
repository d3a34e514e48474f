internal import CLibEvent
import Foundation

/// A TLS protocol version floor.
package enum TLSVersion: String, Sendable, Codable, Equatable {
    /// TLS 1.2 (RFC 5246).
    case tls12 = "TLSv1.2"
    /// TLS 1.3 (RFC 8446).
    case tls13 = "TLSv1.3"

    var openSSLValue: Int32 {
        switch self {
        case .tls12: concord_tls1_2_version()
        case .tls13: concord_tls1_3_version()
        }
    }
}

/// What a TLS listener needs: its certificate chain and key (PEM files), and optionally the CA that
/// client certificates must chain to (mutual TLS).
package struct TLSConfiguration: Sendable, Equatable, Codable {
    /// PEM file with the server certificate, optionally followed by its intermediates.
    package var certificatePath: String
    /// PEM file with the server's private key.
    package var privateKeyPath: String
    /// PEM file of CA certificates that client certificates are verified against; when nil, clients
    /// are not asked for a certificate.
    package var clientCAPath: String?
    /// Refuse the handshake when the client presents no certificate (needs `clientCAPath`).
    package var requireClientCertificate: Bool
    /// The lowest protocol version accepted.
    package var minimumVersion: TLSVersion

    package init(certificatePath: String, privateKeyPath: String, clientCAPath: String? = nil,
                 requireClientCertificate: Bool = false, minimumVersion: TLSVersion = .tls12) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.requireClientCertificate = requireClientCertificate
        self.minimumVersion = minimumVersion
    }
}

/// The identity a client proved with its certificate during the TLS handshake.
package struct TLSPeerCertificate: Sendable, Equatable, Hashable {
    /// The subject's common name (CN), when present.
    package var commonName: String?
    /// SHA-256 of the certificate's DER encoding, lowercase hex without separators.
    package var sha256Fingerprint: String
}

/// An OpenSSL `SSL_CTX`: certificates, keys, verification and version settings shared by the
/// connections of one listener or client. Owns the context and frees it in deinit.
package final class TLSContext: @unchecked Sendable {
    // Safety: an SSL_CTX is immutable after setup and OpenSSL allows concurrent SSL_new from it.

    let context: OpaquePointer

    /// A server context loaded from `configuration`.
    package convenience init(server configuration: TLSConfiguration) throws(NetError) {
        try self.init(isServer: true)
        try setMinimumVersion(configuration.minimumVersion)
        try useCertificate(chain: configuration.certificatePath, key: configuration.privateKeyPath)
        if let ca = configuration.clientCAPath {
            try loadVerifyLocations(ca)
            guard let names = SSL_load_client_CA_file(ca) else {
                throw TLSContext.error("cannot read client CA names from \(ca)")
            }
            SSL_CTX_set_client_CA_list(context, names)
            var mode = SSL_VERIFY_PEER
            if configuration.requireClientCertificate { mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT }
            SSL_CTX_set_verify(context, mode, nil)
        } else if configuration.requireClientCertificate {
            throw NetError(.tls, "requireClientCertificate needs clientCAPath")
        }
        _ = concord_ssl_ctx_set_session_cache_mode(context, Int(SSL_SESS_CACHE_SERVER))
        // With client verification on, OpenSSL refuses to resume a session cached without a session id
        // context ("session id context uninitialized"): a feed reconnecting with a resumed session would
        // fail its handshake.
        let sessionContext = Array("concord".utf8)
        guard SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count)) == 1 else {
            throw TLSContext.error("cannot set the TLS session id context")
        }
    }

    /// A client context that verifies servers against `caPath` (PEM) and, when given, presents a client
    /// certificate.
    package convenience init(clientTrusting caPath: String, certificatePath: String? = nil, privateKeyPath: String? = nil,
                             minimumVersion: TLSVersion = .tls12) throws(NetError) {
        try self.init(isServer: false)
        try setMinimumVersion(minimumVersion)
        try loadVerifyLocations(caPath)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        concord_ssl_ctx_ignore_unexpected_eof(context)
        if let certificatePath {
            try useCertificate(chain: certificatePath, key: privateKeyPath ?? certificatePath)
        }
    }

    private init(isServer: Bool) throws(NetError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(isServer ? TLS_server_method() : TLS_client_method()) else {
            throw TLSContext.error("SSL_CTX_new failed")
        }
        self.context = context
        _ = concord_ssl_ctx_set_mode(context, concord_ssl_mode_release_buffers())
    }

    deinit { SSL_CTX_free(context) }

    private func setMinimumVersion(_ version: TLSVersion) throws(NetError) {
        guard concord_ssl_ctx_set_min_proto_version(context, version.openSSLValue) == 1 else {
            throw TLSContext.error("cannot set minimum version \(version.rawValue)")
        }
    }

    private func useCertificate(chain: String, key: String) throws(NetError) {
        guard SSL_CTX_use_certificate_chain_file(context, chain) == 1 else {
            throw TLSContext.error("cannot load certificate chain \(chain)")
        }
        guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
            throw TLSContext.error("cannot load private key \(key)")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSContext.error("private key \(key) does not match certificate \(chain)")
        }
    }

    private func loadVerifyLocations(_ caPath: String) throws(NetError) {
        guard SSL_CTX_load_verify_locations(context, caPath, nil) == 1 else {
            throw TLSContext.error("cannot load CA certificates \(caPath)")
        }
    }

    /// A new `SSL` for one connection; the caller owns it.
    func makeSSL() throws(NetError) -> OpaquePointer {
        guard let ssl = SSL_new(context) else { throw TLSContext.error("SSL_new failed") }
        return ssl
    }

    /// A TLS error whose reason ends with OpenSSL's own text for its oldest queued error.
    static func error(_ what: String) -> NetError {
        let text = openSSLErrorText()
        return NetError(.tls, text.isEmpty ? what : "\(what): \(text)")
    }

    /// OpenSSL's text for its oldest queued error ("" when none); clears the queue.
    static func openSSLErrorText() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        buffer.withUnsafeMutableBufferPointer { concord_ssl_error_text($0.baseAddress, $0.count) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The verified peer certificate of an established `SSL`, or nil when the peer sent none.
    static func peerCertificate(of ssl: OpaquePointer) -> TLSPeerCertificate? {
        guard let x509 = concord_ssl_get_peer_certificate(ssl) else { return nil }
        defer { X509_free(x509) }
        guard SSL_get_verify_result(ssl) == X509_V_OK else { return nil }
        var commonName: String?
        if let subject = X509_get_subject_name(x509) {
            let index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1)
            if index >= 0, let entry = X509_NAME_get_entry(subject, index), let data = X509_NAME_ENTRY_get_data(entry) {
                var utf8: UnsafeMutablePointer<UInt8>?
                let length = ASN1_STRING_to_UTF8(&utf8, data)
                if length >= 0, let utf8 {
                    commonName = String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
                    CRYPTO_free(utf8, #file, #line)
                }
            }
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var digestLength: UInt32 = 0
        guard X509_digest(x509, EVP_sha256(), &digest, &digestLength) == 1 else { return nil }
        let hex = digest.prefix(Int(digestLength)).map { byte in
            let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
        return TLSPeerCertificate(commonName: commonName, sha256Fingerprint: hex)
    }
}
