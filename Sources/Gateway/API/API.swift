import Clinical
import FHIRLite
import Foundation
import PatientIndex

/// The HTTP API: JSON for care-team tools and stewards, FHIR R4 for FHIR clients.
///
/// Every endpoint but `GET /health` needs a bearer token with the right role; every read of patient data
/// and every steward action is written to the audit log (committed before the response is sent).
/// Requests are decoded on the event loop, then run on the worker pool (each worker has its own
/// read-only connection); writes go through the group-commit writer.
///
/// | method & path | role | what |
/// |---|---|---|
/// | GET /health | — | liveness; 503 while commits cannot be made durable (a failed fsync) |
/// | GET /metrics | any token | Prometheus text |
/// | GET /patients?name=&birthDate=&identifier=&limit= | reader | search enterprise patients |
/// | GET /patients/{id} | reader | golden record, source records, link explanations |
/// | GET /patients/{id}/record?kind=&from=&to= | reader | the unified record |
/// | GET /patients/{id}/duplicate-tests | reader | flags of one patient |
/// | GET /patients/{id}/signals | reader | care-management signals |
/// | GET /patients/{id}/history | reader | link history |
/// | GET /duplicate-tests[?limit=] | reader | active flags, newest first (default 1,000, at most 100,000) |
/// | POST /duplicate-tests/{id}/status `{"status":"acknowledged"}` | steward | triage a flag (open, acknowledged, dismissed) |
/// | GET /review?status= | steward | review queue |
/// | POST /review/{id}/decision `{"match":bool,"reason":…}` | steward | decide a review item |
/// | POST /links `{"recordID":…,"enterpriseID":…,"reason":…}` | steward | link a source record |
/// | POST /unlink `{"recordID":…,"reason":…}` | steward | split a source record out |
/// | POST /merges `{"from":…,"into":…,"reason":…}` | steward | merge two enterprise patients |
/// | POST /history/{eventID}/undo `{"reason":…}` | steward | reverse a link event |
/// | GET /messages?status=&limit= | admin | message log |
/// | GET /messages/{id} | admin | one message with content, error, ACK |
/// | POST /messages/{id}/reprocess | admin | parse and ingest a logged message again |
/// | POST /messages | feed | ingest a message or document (body = the bytes) |
/// | GET /audit?limit= | admin | audit log |
/// | GET /fhir/Patient?name=&birthdate=&identifier= | reader | FHIR searchset |
/// | GET /fhir/Patient/{id} | reader | FHIR Patient |
/// | GET /fhir/Patient/{id}/$everything | reader | FHIR collection Bundle |
/// | POST /fhir/Patient/$match | reader | FHIR `$match` (Parameters with a Patient, or a Patient) |
package final class API: Sendable {
    package struct Context {
        package var reader: PatientIndexReader
    }

    private let authenticator: TokenAuthenticator
    private let operations: Operations
    private let pool: WorkerPool<Context>
    private let metrics: Metrics
    private let ingestService: IngestService

    package init(authenticator: TokenAuthenticator, operations: Operations, pool: WorkerPool<Context>, metrics: Metrics, ingestService: IngestService) {
        self.authenticator = authenticator
        self.operations = operations
        self.pool = pool
        self.metrics = metrics
        self.ingestService = ingestService
    }

    /// Entry point from the HTTP server (on the event loop): authenticate, then hand off.
    package func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        let metrics = self.metrics
        let respond: @Sendable (HTTPResponse) -> Void = { response in
            metrics.countHTTP(status: response.status)
            responder.respond(response)
        }
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
        if request.method == "GET" && segments == ["health"] {
            // Unhealthy while commits cannot be made durable (a failed fsync stops every ACK: `WALSync`).
            if let failure = operations.writer.syncFailure {
                respond(Self.json(503, ["status": "storage failing", "error": "\(failure)"]))
            } else {
                respond(Self.json(200, ["status": "ok"]))
            }
            return
        }
        guard let route = Route(method: request.method, segments: segments) else {
            respond(Self.error(GatewayError(.notFound, "no such endpoint: \(request.method) \(request.path)")))
            return
        }
        let principal: Principal
        do {
            let authorization = request.headers["Authorization"]
            if let role = route.role {
                principal = try authenticator.authorize(authorization: authorization, needs: role)
            } else {
                principal = try authenticator.authenticate(authorization: authorization)
            }
        } catch {
            var response = Self.error(error)
            if error.code == .unauthorized { response.headers.add("WWW-Authenticate", "Bearer realm=\"concord\"") }
            respond(response)
            return
        }
        let operations = self.operations
        if case .ingest = route {
            let unit = InboundUnit(raw: request.body, channel: .http, origin: "http:\(request.peer)")
            pool.submit { _ in
                self.ingestService.ingest(unit) { reply in
                    let status = reply.status == .failed ? (reply.error?.code == .storage ? 503 : 422) : (reply.status == .duplicate ? 200 : 201)
                    respond(HTTPResponse(status: status, headers: Self.jsonHeaders, body: JSONViews.encode(JSONViews.IngestReplyView(reply))))
                }
            }
            return
        }
        pool.submit { context in
            let response: HTTPResponse
            do {
                response = try operations.perform(route, request: request, principal: principal, reader: context.reader)
            } catch let error as GatewayError {
                response = Self.error(error)
            } catch let error as PatientIndexError {
                response = Self.error(GatewayError(error.code == .notFound ? .notFound : (error.code == .conflict ? .conflict : .badRequest), error.reason))
            } catch {
                Log.error("http \(request.method) \(request.path): \(error)")
                response = Self.error(GatewayError(.io, "internal error"))
            }
            respond(response)
        }
    }

    static let jsonHeaders = HTTPHeaders([("Content-Type", "application/json; charset=utf-8")])
    static let fhirHeaders = HTTPHeaders([("Content-Type", "application/fhir+json; charset=utf-8")])

    static func json(_ status: Int, _ value: some Encodable) -> HTTPResponse {
        HTTPResponse(status: status, headers: jsonHeaders, body: JSONViews.encode(value))
    }

    static func error(_ error: GatewayError) -> HTTPResponse {
        json(error.httpStatus, JSONViews.Error(error: error.reason, code: error.code.rawValue, position: nil))
    }
}

/// A recognized endpoint, with its path parameters.
package enum Route: Equatable {
    case metrics
    case searchPatients, patient(String), record(String), patientFlags(String), signals(String), history(String)
    case allFlags, flagStatus(String)
    case review, decide(Int64), link, unlink, merge, undo(Int64)
    case messages, message(Int64), reprocess(Int64), ingest
    case audit
    case fhirSearch, fhirPatient(String), fhirEverything(String), fhirMatch

    init?(method: String, segments s: [String]) {
        switch (method, s.count) {
        case ("GET", 1) where s[0] == "metrics": self = .metrics
        case ("GET", 1) where s[0] == "patients": self = .searchPatients
        case ("GET", 2) where s[0] == "patients": self = .patient(s[1])
        case ("GET", 3) where s[0] == "patients" && s[2] == "record": self = .record(s[1])
        case ("GET", 3) where s[0] == "patients" && s[2] == "duplicate-tests": self = .patientFlags(s[1])
        case ("GET", 3) where s[0] == "patients" && s[2] == "signals": self = .signals(s[1])
        case ("GET", 3) where s[0] == "patients" && s[2] == "history": self = .history(s[1])
        case ("GET", 1) where s[0] == "duplicate-tests": self = .allFlags
        case ("POST", 3) where s[0] == "duplicate-tests" && s[2] == "status": self = .flagStatus(s[1])
        case ("GET", 1) where s[0] == "review": self = .review
        case ("POST", 3) where s[0] == "review" && s[2] == "decision":
            guard let id = Int64(s[1]) else { return nil }
            self = .decide(id)
        case ("POST", 1) where s[0] == "links": self = .link
        case ("POST", 1) where s[0] == "unlink": self = .unlink
        case ("POST", 1) where s[0] == "merges": self = .merge
        case ("POST", 3) where s[0] == "history" && s[2] == "undo":
            guard let id = Int64(s[1]) else { return nil }
            self = .undo(id)
        case ("GET", 1) where s[0] == "messages": self = .messages
        case ("POST", 1) where s[0] == "messages": self = .ingest
        case ("GET", 2) where s[0] == "messages":
            guard let id = Int64(s[1]) else { return nil }
            self = .message(id)
        case ("POST", 3) where s[0] == "messages" && s[2] == "reprocess":
            guard let id = Int64(s[1]) else { return nil }
            self = .reprocess(id)
        case ("GET", 1) where s[0] == "audit": self = .audit
        case ("GET", 2) where s[0] == "fhir" && s[1] == "Patient": self = .fhirSearch
        case ("POST", 3) where s[0] == "fhir" && s[1] == "Patient" && s[2] == "$match": self = .fhirMatch
        case ("GET", 3) where s[0] == "fhir" && s[1] == "Patient": self = .fhirPatient(s[2])
        case ("GET", 4) where s[0] == "fhir" && s[1] == "Patient" && s[3] == "$everything": self = .fhirEverything(s[2])
        default: return nil
        }
    }

    /// The role an endpoint needs; nil: any valid token (metrics hold no patient data, and a scraper's
    /// token need not be able to read patients).
    var role: GatewayConfiguration.Role? {
        switch self {
        case .metrics: return nil
        case .searchPatients, .patient, .record, .patientFlags, .signals, .history, .allFlags,
            .fhirSearch, .fhirPatient, .fhirEverything, .fhirMatch:
            return .reader
        case .review, .decide, .link, .unlink, .merge, .undo, .flagStatus: return .steward
        case .messages, .message, .reprocess, .audit: return .admin
        case .ingest: return .feed
        }
    }
}
