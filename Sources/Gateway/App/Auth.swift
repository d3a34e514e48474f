internal import CLibEvent
import Foundation

/// SHA-256 through OpenSSL (its assembly, with the CPU's SHA extensions where there are any), as 64
/// lowercase hex digits: the same text as `PatientIndexStore.messageHash`, several times faster.
package enum SHA256Digest {
    package static func hex(_ bytes: some Collection<UInt8>) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let hash = { (buffer: UnsafeBufferPointer<UInt8>) in
            _ = digest.withUnsafeMutableBufferPointer { out in CLibEvent.SHA256(buffer.baseAddress, buffer.count, out.baseAddress) }
        }
        if bytes.withContiguousStorageIfAvailable(hash) == nil { Array(bytes).withUnsafeBufferPointer(hash) }
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(64)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Who a request is: the token's name (for the audit log) and its role.
package struct Principal: Sendable, Equatable {
    package var name: String
    package var role: GatewayConfiguration.Role
    package init(name: String, role: GatewayConfiguration.Role) {
        self.name = name
        self.role = role
    }
}

/// Bearer-token authentication: tokens are configured as SHA-256 hashes, so the configuration file
/// holds no secret; a presented token is hashed and compared in constant time.
package struct TokenAuthenticator: Sendable {
    private let tokens: [GatewayConfiguration.TokenSettings]

    package init(tokens: [GatewayConfiguration.TokenSettings]) {
        self.tokens = tokens.map {
            var t = $0
            t.sha256 = t.sha256.lowercased()
            return t
        }
    }

    /// The principal for an `Authorization` header value, or an error saying why not (401).
    package func authenticate(authorization: String?) throws(GatewayError) -> Principal {
        guard let authorization, !authorization.isEmpty else {
            throw GatewayError(.unauthorized, "missing bearer token")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw GatewayError(.unauthorized, "authorization must be 'Bearer <token>'")
        }
        let presented = Array(SHA256Digest.hex(parts[1].utf8).utf8)
        var found: GatewayConfiguration.TokenSettings?
        for token in tokens where Self.constantTimeEqual(presented, Array(token.sha256.utf8)) {
            found = token
        }
        guard let found else { throw GatewayError(.unauthorized, "unknown token") }
        return Principal(name: found.name, role: found.role)
    }

    /// Authenticates and checks the role.
    package func authorize(authorization: String?, needs role: GatewayConfiguration.Role) throws(GatewayError) -> Principal {
        let principal = try authenticate(authorization: authorization)
        guard principal.role.allows(role) else {
            throw GatewayError(.forbidden, "role '\(principal.role.rawValue)' may not do this (needs '\(role.rawValue)')")
        }
        return principal
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
