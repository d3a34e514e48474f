import Clinical
import Foundation
import SQLite

/// Row-level helpers shared by the write side and the read side: JSON columns, timestamps, ids, and the
/// queries both need (members of an enterprise patient, decoding a review row …).
enum IndexRows {
    /// Encodes a stored value (records, features, golden records, explanations) in the compact binary form
    /// the fact ledger also uses (`Facts/CompactCodec.swift`): several times faster than JSON both ways,
    /// which is most of the cost of an ingest. The models table stays JSON (rarely written, read by people).
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try CompactCodec.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]?, column: String) throws -> T {
        guard let bytes else { throw PatientIndexError(.corruptRow, "column \(column) is empty") }
        do {
            return try CompactCodec.decode(type, from: bytes)
        } catch {
            throw PatientIndexError(.corruptRow, "column \(column) does not decode as \(type)")
        }
    }

    static func encodeJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]?, column: String) throws -> T {
        guard let bytes else { throw PatientIndexError(.corruptRow, "column \(column) is empty") }
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw PatientIndexError(.corruptRow, "column \(column) does not decode as \(type)")
        }
    }

    /// The enterprise id of sequence number `seq`: `EP-00000123`.
    static func enterpriseID(seq: Int64) -> String {
        let digits = String(seq)
        return "EP-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The key a record-keying identifier is unique under. An identifier whose authority has a universal id
    /// (an OID or URI) is global; one whose authority is only a local namespace (`MRN`, `PI`, or nothing) is
    /// scoped to the sending facility, because every clinic calls its own medical record numbers "MRN".
    static func authorityKey(_ identifier: PatientIdentifier, source: SourceSystem) -> String {
        if identifier.authority.universalID != nil { return identifier.authority.key }
        return source.key + "|" + (identifier.authority.namespace?.uppercased() ?? "")
    }

    /// Now, as ISO 8601 UTC with milliseconds (sorts as text).
    static func timestamp(_ date: Date = Date()) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis / 1000
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        // Civil-from-days (Howard Hinnant).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(millis % 1000, 3))Z"
    }

    /// Now as a clinical time (UTC, second precision).
    static func clinicalNow(_ date: Date = Date()) -> ClinicalTime? {
        ClinicalTime.parseISO8601(String(timestamp(date).prefix(19)) + "Z")
    }

    /// A birth date as sortable text at its stated precision: `1980`, `1980-05`, `1980-05-17`.
    static func dateText(_ time: ClinicalTime?) -> String? {
        guard let time else { return nil }
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        switch time.precision {
        case .year: return pad(time.year, 4)
        case .month: return "\(pad(time.year, 4))-\(pad(time.month, 2))"
        default: return "\(pad(time.year, 4))-\(pad(time.month, 2))-\(pad(time.day, 2))"
        }
    }

    /// Upper-case letter and digit runs of a name, diacritics removed: the terms patients are searched by.
    static func searchTokens(_ text: String) -> [String] {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII (most names): no Unicode folding needed.
            var tokens: [String] = []
            var current: [UInt8] = []
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"): current.append(byte - 32)
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): current.append(byte)
                case UInt8(ascii: "'"): continue
                default:
                    if !current.isEmpty { tokens.append(String(decoding: current, as: UTF8.self)); current.removeAll(keepingCapacity: true) }
                }
            }
            if !current.isEmpty { tokens.append(String(decoding: current, as: UTF8.self)) }
            return tokens
        }
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: nil).uppercased()
        var tokens: [String] = []
        var current = ""
        for scalar in folded.unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                current.unicodeScalars.append(scalar)
            } else if scalar == "'" {
                continue  // O'Brien → OBRIEN
            } else if !current.isEmpty {
                tokens.append(current)
                current = ""
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// A source record that is a member of an enterprise patient.
    struct Member {
        var recordID: Int64
        var record: PatientRecord
        var featuresJSON: [UInt8]
        var updatedAt: String
        var mergedInto: Int64?
        var explanation: MatchExplanation
        var linkedAt: String
    }

    /// The members of an enterprise patient, oldest link first. Folded records (ADT^A40) are included when
    /// `includeFolded` (their facts still belong to the patient) and left out for matching and survivorship.
    static func members(of enterpriseID: String, includeFolded: Bool, in db: Connection) throws -> [Member] {
        let rows = try db.rows("""
            SELECT r.id, r.record_data, r.features_data, r.updated_at, r.merged_into, l.explanation_data, l.created_at
            FROM links l JOIN source_records r ON r.id = l.record_id
            WHERE l.enterprise_id = ? ORDER BY l.created_at, r.id
            """, [enterpriseID])
        var members: [Member] = []
        for row in rows {
            guard let id = row.int(0) else { throw PatientIndexError(.corruptRow, "source record without id") }
            let mergedInto = row.int(4)
            if mergedInto != nil && !includeFolded { continue }
            members.append(Member(
                recordID: id,
                record: try decode(PatientRecord.self, row.blob(1), column: "record_data"),
                featuresJSON: row.blob(2) ?? [],
                updatedAt: row.string(3) ?? "",
                mergedInto: mergedInto,
                explanation: try decode(MatchExplanation.self, row.blob(5), column: "explanation_data"),
                linkedAt: row.string(6) ?? ""))
        }
        return members
    }

    /// The ids of the records linked to an enterprise patient (folded ones included: facts hang on them).
    static func memberIDs(of enterpriseID: String, in db: Connection) throws -> [Int64] {
        try db.rows("SELECT record_id FROM links WHERE enterprise_id = ? ORDER BY record_id", [enterpriseID]).compactMap { $0.int(0) }
    }

    /// The enterprise patient a record is linked to.
    static func enterpriseID(ofRecord recordID: Int64, in db: Connection) throws -> String? {
        try db.row("SELECT enterprise_id FROM links WHERE record_id = ?", [recordID])?.string(0)
    }

    static let reviewColumns = """
        q.id, q.record_id, r.record_data, l.enterprise_id, q.candidate_enterprise_id, q.explanation_data, q.status,
        q.created_at, q.decided_by, q.decided_at, q.reason
        """

    static let reviewFrom = """
        review_queue q JOIN source_records r ON r.id = q.record_id LEFT JOIN links l ON l.record_id = q.record_id
        """

    static func reviewItem(_ row: Row) throws -> ReviewItem {
        guard let id = row.int(0), let recordID = row.int(1), let candidate = row.string(4),
            let status = row.string(6).flatMap(ReviewItem.Status.init(rawValue:))
        else { throw PatientIndexError(.corruptRow, "review row incomplete") }
        return ReviewItem(
            id: id, recordID: recordID, record: try decode(PatientRecord.self, row.blob(2), column: "record_data"),
            enterpriseID: row.string(3), candidateEnterpriseID: candidate,
            explanation: try decode(MatchExplanation.self, row.blob(5), column: "explanation_data"),
            status: status, createdAt: row.string(7) ?? "", decidedBy: row.string(8), decidedAt: row.string(9),
            reason: row.string(10))
    }
}
