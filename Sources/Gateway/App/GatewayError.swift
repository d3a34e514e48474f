/// An error of the gateway itself (configuration, command line, I/O), as opposed to a parser's or the
/// store's. Carries a code the CLI maps to an exit status and the HTTP API to a status code.
package struct GatewayError: Error, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        case usage, configuration, notFound, io, unauthorized, forbidden, badRequest, conflict, tooLarge, unsupported
    }
    package var code: Code
    package var reason: String

    package init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    package var description: String { reason }

    package static func == (lhs: GatewayError, rhs: GatewayError) -> Bool { lhs.code == rhs.code }

    /// The process exit status for this error (64 usage, 66 input missing, 74 I/O, 78 configuration: sysexits.h).
    package var exitStatus: Int32 {
        switch code {
        case .usage: return 64
        case .notFound: return 66
        case .io: return 74
        case .configuration: return 78
        default: return 1
        }
    }

    /// The HTTP status for this error.
    package var httpStatus: Int {
        switch code {
        case .usage, .badRequest, .configuration: return 400
        case .unauthorized: return 401
        case .forbidden: return 403
        case .notFound: return 404
        case .conflict: return 409
        case .tooLarge: return 413
        case .unsupported: return 415
        case .io: return 500
        }
    }
}
