import CCDA
import Clinical
import FHIRLite
import Foundation
import HL7v2

/// Why a message could not be ingested: a parser's or mapper's typed error reduced to what the gateway
/// needs (a code, a reason a person understands, and where), without patient data.
package struct IntakeFailure: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// Not well-formed (HL7 syntax, XML, JSON).
        case parse
        /// Well-formed but missing or invalid content the mapping needs.
        case mapping
        /// A format or message type Concord does not take.
        case unsupported
        /// Too large.
        case tooLarge
        /// The store failed (the message may be retried).
        case storage
        /// The index refused it.
        case application
    }
    package var code: Code
    package var reason: String
    /// Segment/field (`PID[1]-3`), line:column (`12:7`) or JSON path (`entry[3].resource.birthDate`).
    package var position: String?
    /// The HL7 ERR details, for HL7 v2 input.
    package var hl7Errors: [HL7AckError] = []

    package init(code: Code, reason: String, position: String?, hl7Errors: [HL7AckError] = []) {
        self.code = code
        self.reason = reason
        self.position = position
        self.hl7Errors = hl7Errors
    }

    /// Whether an HL7 sender should get AR (rejected: do not resend as is) rather than AE.
    package var rejects: Bool { code == .parse || code == .unsupported || code == .tooLarge }

    package var description: String { position.map { "\(reason) (at \($0))" } ?? reason }

    package static func == (a: IntakeFailure, b: IntakeFailure) -> Bool { a.code == b.code && a.position == b.position }
}

/// The result of parsing and mapping one unit, ready for the writer.
package struct ParsedUnit: Sendable {
    package var format: DetectedFormat
    package var senderApplication: String?
    package var senderFacility: String?
    /// The sender's id for the message (MSH-10): re-sends carry the same one. `nil` for documents and
    /// bundles, which the message log deduplicates by content hash.
    package var controlID: String?
    package var submissions: [Submission]
    package var failure: IntakeFailure?
    package var notes: [MappingNote]
    /// The parsed HL7 message, for building its ACK.
    package var hl7: HL7Message?
    package var hl7ParseError: HL7ParseError?
    package var raw: [UInt8]
}

/// The only place where the gateway meets the format modules: bytes in, `Submission`s or a positioned
/// failure out. Pure: no I/O, no clock (ACK timestamps are taken by the caller's clock and passed in).
package enum MessageParser {
    /// Parses one message or document. (An HL7 file holding several messages is split first with
    /// ``split(_:)``.)
    /// `vouchedFacility`: the facility the connection's client certificate is mapped to; the message must
    /// claim it. `reservedFacilities` (upper-cased): facilities mapped to some client certificate, which a
    /// connection without that certificate may not claim. A refused claim is logged as
    /// `unverified:<claimed>`, so it cannot occupy the real sender's control ids in the re-send check.
    package static func parse(_ raw: [UInt8], vouchedFacility: String? = nil, reservedFacilities: Set<String> = []) -> ParsedUnit {
        let format = FormatSniffer.detect(raw)
        var unit = ParsedUnit(format: format, senderApplication: nil, senderFacility: nil, controlID: nil,
                              submissions: [], failure: nil, notes: [], hl7: nil, hl7ParseError: nil, raw: raw)
        switch format {
        case .hl7v2: parseHL7(raw, into: &unit)
        case .ccda: parseCCDA(raw, into: &unit)
        case .fhirJSON, .ndjson: parseFHIR(raw, ndjson: format == .ndjson, into: &unit)
        case .unknown:
            unit.failure = IntakeFailure(code: .unsupported, reason: "content is not HL7 v2, a C-CDA document or FHIR JSON", position: "byte 0")
        }
        // Every facility the unit speaks for: MSH-4, and the sources its records and facts are filed under
        // (the HL7 mapper falls back to MSH-3 without MSH-4; FHIR resources may name their own source).
        var claimedFacilities: [String: String] = [:]  // upper-cased → as sent
        if vouchedFacility != nil || !reservedFacilities.isEmpty {
            func claim(_ facility: String?) {
                if let facility = facility?.nilIfBlank, claimedFacilities[facility.uppercased()] == nil { claimedFacilities[facility.uppercased()] = facility }
            }
            claim(unit.senderFacility)
            for s in unit.submissions {
                claim(s.source.facility)
                for p in s.patients { claim(p.provenance.source.facility) }
                for f in s.facts { claim(f.provenance.source.facility) }
            }
        }
        if unit.failure == nil, !claimedFacilities.isEmpty {
            let reason: String? = if let vouchedFacility {
                claimedFacilities.keys.allSatisfy { $0 == vouchedFacility.uppercased() } ? nil : "sending facility does not match the client certificate's facility"
            } else {
                reservedFacilities.isDisjoint(with: claimedFacilities.keys) ? nil : "sending facility is bound to a client certificate this connection did not present"
            }
            if let reason, let claimed = unit.senderFacility ?? claimedFacilities.sorted(by: { $0.key < $1.key }).first?.value {
                unit.failure = IntakeFailure(
                    code: .application, reason: reason, position: format == .hl7v2 ? "MSH-4" : nil,
                    hl7Errors: [HL7AckError(code: .applicationInternalError, location: HL7ErrorLocation(segment: "MSH", sequence: 1, field: 4), text: "sending facility not allowed for this client")])
                unit.senderFacility = "unverified:" + claimed
            }
        }
        return unit
    }

    /// Splits an inbox file into units: the messages of an HL7 v2 file (with or without FHS/BHS
    /// wrappers); any other file is one unit.
    package static func split(_ raw: [UInt8]) -> [[UInt8]] {
        guard FormatSniffer.detect(raw) == .hl7v2 else { return [raw] }
        guard let messages = try? HL7Batch.split(raw), !messages.isEmpty else { return [raw] }
        return messages
    }

    private static func parseHL7(_ raw: [UInt8], into unit: inout ParsedUnit) {
        let message: HL7Message
        do {
            message = try HL7Message(bytes: raw)
        } catch {
            unit.hl7ParseError = error
            unit.failure = IntakeFailure(code: .parse, reason: error.reason, position: error.location.map(describe),
                                         hl7Errors: [HL7AckError(code: error.hl7ErrorCode, location: error.location, text: error.reason)])
            return
        }
        unit.hl7 = message
        let msh = message.msh
        unit.senderApplication = msh.sendingApplication.component(1).value.nilIfBlank
        unit.senderFacility = msh.sendingFacility.component(1).value.nilIfBlank ?? msh.sendingFacility.component(2).value.nilIfBlank
        unit.controlID = msh.messageControlID.value.nilIfBlank
        do {
            let submission = try HL7v2Mapper.submission(from: message)
            unit.submissions = [submission]
            unit.notes = submission.notes
        } catch {
            let unsupported = error.code == .unsupportedMessageType || error.code == .unsupportedEvent
            unit.failure = IntakeFailure(code: unsupported ? .unsupported : .mapping, reason: error.reason,
                                         position: error.location.map(describe), hl7Errors: [error.ackError])
        }
    }

    private static func parseCCDA(_ raw: [UInt8], into unit: inout ParsedUnit) {
        do {
            let document = try CCDAReader.read(raw)
            unit.submissions = [document.submission]
            unit.senderFacility = document.submission.source.facility
            unit.notes = document.submission.notes
        } catch {
            unit.failure = IntakeFailure(code: error.code == .notWellFormed || error.code == .forbiddenDTD || error.code == .tooDeep ? .parse : (error.code == .tooLarge ? .tooLarge : .mapping),
                                         reason: error.reason, position: "\(error.line):\(error.column)")
        }
    }

    private static func parseFHIR(_ raw: [UInt8], ndjson: Bool, into unit: inout ParsedUnit) {
        let result: FHIRReadResult
        if ndjson {
            var reader = NDJSONReader()
            var merged = FHIRReadResult()
            for batch in reader.feed(raw) + [reader.finish()] { merged.append(batch) }
            result = merged
        } else {
            do {
                result = try FHIRReader.read(raw)
            } catch {
                unit.failure = IntakeFailure(code: error.path == nil ? .parse : .mapping, reason: error.reason, position: position(of: error))
                return
            }
        }
        unit.submissions = result.submissions.filter { !$0.patients.isEmpty || !$0.facts.isEmpty }
        unit.senderFacility = result.submissions.first?.source.facility
        // The reader already records bad entries and skipped resource types in the submissions' notes.
        unit.notes = result.submissions.flatMap(\.notes)
        if unit.submissions.isEmpty {
            let first = result.problems.first
            unit.failure = IntakeFailure(code: first.map { $0.path == nil ? .parse : .mapping } ?? .mapping,
                                         reason: first?.reason ?? "no patient or clinical resource found", position: first.map(position(of:)))
        }
    }

    /// `line:column (byte N) at path`, as precise as the error allows.
    static func position(of error: FHIRError) -> String {
        "\(error.line):\(error.column) (byte \(error.offset))" + (error.path.flatMap(\.nilIfBlank).map { " at \($0)" } ?? "")
    }

    static func describe(_ location: HL7ErrorLocation) -> String { location.description }

    /// The HL7 ACK for a parsed unit: AA when `failure` is nil, else AE (or AR when `reject`) with ERR
    /// segments. The ACK's control id is new (derived from the inbound one so it is stable when re-sent).
    /// The HL7 ACK an MLLP sender gets for a document (C-CDA or FHIR) it framed instead of an HL7 v2
    /// message: AA once the document is stored (or was already), AR when it cannot be read as sent,
    /// AE when it could not be ingested; the reason and position go in MSA-3 and ERR.
    package static func documentAcknowledgement(for reply: IngestReply) -> [UInt8] {
        var failure = reply.status == .failed ? reply.error ?? IntakeFailure(code: .storage, reason: "not stored", position: nil) : nil
        if reply.status == .duplicate, reply.earlierStatus == .failed {
            failure = IntakeFailure(code: .application, reason: "already in the message log as failed (message \(reply.messageLogID.map(String.init) ?? "?"))", position: nil)
        }
        // Nothing stored (the store failed): AR, as for HL7 messages, tells the sender to send it again later.
        let code: HL7Acknowledgement.Code = failure == nil ? .applicationAccept
            : (failure!.rejects || (failure!.code == .storage && reply.messageLogID == nil) ? .applicationReject : .applicationError)
        let kind = reply.format.sourceFormat?.rawValue ?? "document"
        let text: String
        if let failure {
            text = failure.description
        } else {
            text = "\(kind) \(reply.status == .duplicate ? "already stored" : "stored") as message \(reply.messageLogID.map(String.init) ?? "?")"
        }
        let errors = failure.map { [HL7AckError(code: .applicationInternalError, text: $0.description)] } ?? []
        return HL7Acknowledgement.build(forDocumentWith: code, controlID: "ACK" + (reply.messageLogID.map(String.init) ?? "0"),
                                        timestamp: ClinicalTime.now(), errors: errors, text: text).serialize()
    }

    package static func acknowledgement(for unit: ParsedUnit, failure: IntakeFailure?, reject: Bool) -> [UInt8] {
        let code: HL7Acknowledgement.Code = failure == nil ? .applicationAccept : (reject ? .applicationReject : .applicationError)
        let controlID = "ACK" + String((unit.controlID ?? "0").prefix(17))
        let now = ClinicalTime.now()
        if let message = unit.hl7 {
            var errors = failure?.hl7Errors ?? []
            if let failure, errors.isEmpty {
                errors = [HL7AckError(code: .applicationInternalError, text: failure.reason)]
            }
            return HL7Acknowledgement.build(for: message, code: code, controlID: controlID, timestamp: now, errors: errors,
                                            text: failure.map { String($0.reason.prefix(80)) }).serialize()
        }
        let parseError = unit.hl7ParseError ?? HL7ParseError(.missingHeader, "message could not be parsed")
        return HL7Acknowledgement.build(forUnparsable: unit.raw, error: parseError, code: .applicationReject, controlID: controlID, timestamp: now).serialize()
    }
}
