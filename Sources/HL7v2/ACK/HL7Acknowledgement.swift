import Clinical

/// One error an acknowledgement reports in an ERR segment: the table 0357 code, the location and a
/// short text that never contains patient data.
package struct HL7AckError: Sendable, Hashable {
    /// `E` error, `W` warning, `I` information (table 0516).
    package enum Severity: String, Sendable, Hashable { case error = "E", warning = "W", information = "I" }
    package var code: HL7ErrorCode
    package var location: HL7ErrorLocation?
    package var severity: Severity
    package var text: String?

    package init(code: HL7ErrorCode, location: HL7ErrorLocation? = nil, severity: Severity = .error, text: String? = nil) {
        self.code = code
        self.location = location
        self.severity = severity
        self.text = text
    }
}

/// Builds acknowledgements (HL7 v2.5.1 §2.9): original mode (AA/AE/AR) and enhanced mode accept
/// acknowledgements (CA/CE/CR).
///
/// The ACK's MSH swaps the inbound sender and receiver, carries the control id the caller gives, echoes
/// the processing id, version and character set; MSA-2 is the inbound MSH-10. Each error becomes an ERR
/// segment: v2.5+ writes ERR-2 (location), ERR-3 (code^text^HL70357) and ERR-4 (severity); v2.3/2.4 write
/// ERR-1 (segment^sequence^field^code&text&HL70357). Parsers are pure: the time is a parameter.
package enum HL7Acknowledgement {
    /// The acknowledgement code (table 0008).
    package enum Code: String, Sendable, Hashable, CaseIterable {
        /// Original mode: accepted, error, rejected.
        case applicationAccept = "AA", applicationError = "AE", applicationReject = "AR"
        /// Enhanced mode (accept acknowledgement): commit accept, commit error, commit reject.
        case commitAccept = "CA", commitError = "CE", commitReject = "CR"
    }

    /// Builds an ACK for a parsed inbound message.
    package static func build(
        for inbound: HL7Message, code: Code, controlID: String, timestamp: ClinicalTime? = nil,
        errors: [HL7AckError] = [], text: String? = nil
    ) -> HL7Message {
        let msh = inbound.msh
        let header = Header(
            sendingApplication: msh.receivingApplication.raw, sendingFacility: msh.receivingFacility.raw,
            receivingApplication: msh.sendingApplication.raw, receivingFacility: msh.sendingFacility.raw,
            trigger: msh.messageType.component(2).raw, processingID: msh.processingID.raw,
            version: msh.versionID.raw, charset: msh.characterSet.repetition(1).raw,
            inboundControlID: msh.messageControlID.raw)
        return make(header, delimiters: inbound.delimiters, code: code, controlID: controlID, timestamp: timestamp, errors: errors, text: text)
    }

    /// Builds an ACK (normally AR or CR) for input that could not be parsed as a message, recovering
    /// what it can of the header (sender, receiver, control id, version) from the first line.
    package static func build(
        forUnparsable bytes: [UInt8], error: HL7ParseError, code: Code = .applicationReject, controlID: String,
        timestamp: ClinicalTime? = nil
    ) -> HL7Message {
        var header = Header(
            sendingApplication: "", sendingFacility: "", receivingApplication: "", receivingFacility: "", trigger: "",
            processingID: "P", version: "2.5.1", charset: "", inboundControlID: "")
        var delimiters = HL7Delimiters.standard
        if let start = findMSH(bytes) {
            let fs = bytes[start + 3]
            var end = start
            while end < bytes.count, bytes[end] != 0x0D, bytes[end] != 0x0A { end += 1 }
            let fields = bytes[start..<end].split(separator: fs, omittingEmptySubsequences: false).map { Array($0) }
            let enc = fields.count > 1 ? fields[1][...] : []
            if let d = HL7Delimiters.parse(field: fs, encoding: enc) { delimiters = d }
            // fields[k] is MSH-(k+1) for k >= 1. Keep only printable bytes that cannot break the ACK.
            func f(_ n: Int) -> String {
                guard n - 1 < fields.count else { return "" }
                let clean = fields[n - 1].filter { $0 >= 0x20 && $0 != 0x7F }
                return String(decoding: clean.prefix(200), as: UTF8.self)
            }
            let type = f(9).split(separator: Character(Unicode.Scalar(delimiters.component)), omittingEmptySubsequences: false)
            header = Header(
                sendingApplication: f(5), sendingFacility: f(6), receivingApplication: f(3), receivingFacility: f(4),
                trigger: type.count > 1 ? String(type[1]) : "", processingID: f(11).isEmpty ? "P" : f(11),
                version: f(12).isEmpty ? "2.5.1" : f(12), charset: "", inboundControlID: f(10))
        }
        let ackError = HL7AckError(code: error.hl7ErrorCode, location: error.location, text: error.reason)
        return make(header, delimiters: delimiters, code: code, controlID: controlID, timestamp: timestamp, errors: [ackError], text: nil)
    }

    /// Builds an ACK for input that is not an HL7 v2 message (a C-CDA or FHIR document sent over MLLP):
    /// there is no inbound header to answer, so the sender and receiver are empty, MSA-2 is empty and
    /// the version is 2.5.1; `text` (MSA-3) and `errors` say what became of the document.
    package static func build(
        forDocumentWith code: Code, controlID: String, timestamp: ClinicalTime? = nil, errors: [HL7AckError] = [], text: String? = nil
    ) -> HL7Message {
        let header = Header(
            sendingApplication: "", sendingFacility: "", receivingApplication: "", receivingFacility: "", trigger: "",
            processingID: "P", version: "2.5.1", charset: "", inboundControlID: "")
        return make(header, delimiters: .standard, code: code, controlID: controlID, timestamp: timestamp, errors: errors, text: text)
    }

    private static func findMSH(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 8 else { return nil }
        var i = 0
        while i + 8 <= bytes.count {
            if bytes[i] == UInt8(ascii: "M"), bytes[i + 1] == UInt8(ascii: "S"), bytes[i + 2] == UInt8(ascii: "H"),
                i == 0 || bytes[i - 1] == 0x0D || bytes[i - 1] == 0x0A || bytes[i - 1] == 0x0B
            {
                let fs = bytes[i + 3]
                if fs > 0x20, fs < 0x7F, !(fs >= 0x30 && fs <= 0x39), !(fs >= 0x41 && fs <= 0x5A), !(fs >= 0x61 && fs <= 0x7A) { return i }
            }
            i += 1
        }
        return nil
    }

    private struct Header {
        var sendingApplication, sendingFacility, receivingApplication, receivingFacility: String
        var trigger, processingID, version, charset, inboundControlID: String
    }

    private static func make(
        _ h: Header, delimiters d: HL7Delimiters, code: Code, controlID: String, timestamp: ClinicalTime?,
        errors: [HL7AckError], text: String?
    ) -> HL7Message {
        let fs = String(Unicode.Scalar(d.field))
        let cs = String(Unicode.Scalar(d.component))
        let sub = d.subcomponent.map { String(Unicode.Scalar($0)) } ?? "&"
        func esc(_ s: String) -> String { String(decoding: HL7Escaping.escape(s, d), as: UTF8.self) }
        let type = "ACK" + (h.trigger.isEmpty ? "" : cs + h.trigger + cs + "ACK")
        var msh = ["MSH" + fs + String(decoding: d.encodingCharacters, as: UTF8.self), h.sendingApplication, h.sendingFacility,
                   h.receivingApplication, h.receivingFacility, timestamp?.hl7 ?? "", "", type, esc(controlID), h.processingID, h.version]
        if !h.charset.isEmpty { msh += ["", "", "", "", "", h.charset] }
        var lines = [msh.joined(separator: fs)]
        var msa = ["MSA", code.rawValue, h.inboundControlID]
        if let text { msa.append(esc(String(text.prefix(80)))) }
        lines.append(msa.joined(separator: fs))
        let legacy = isLegacyVersion(h.version)
        for e in errors {
            let codeText = esc(e.code.text)
            if legacy {
                let l = e.location
                let eld = [l?.segment ?? "", l.map { String($0.sequence) } ?? "", l?.field.map(String.init) ?? "",
                           "\(e.code.rawValue)\(sub)\(codeText)\(sub)HL70357"].joined(separator: cs)
                lines.append(["ERR", eld].joined(separator: fs))
            } else {
                var erl = ""
                if let l = e.location {
                    erl = [l.segment, String(l.sequence), l.field.map(String.init) ?? "", l.repetition.map(String.init) ?? (l.field == nil ? "" : "1"),
                           l.component.map(String.init) ?? ""].joined(separator: cs)
                    while erl.hasSuffix(cs) { erl.removeLast() }
                }
                var fields = ["ERR", "", erl, "\(e.code.rawValue)\(cs)\(codeText)\(cs)HL70357", e.severity.rawValue]
                if let t = e.text { fields += ["", "", "", esc(String(t.prefix(200)))] }
                lines.append(fields.joined(separator: fs))
            }
        }
        let bytes = Array((lines.joined(separator: "\r") + "\r").utf8)
        if let message = try? HL7Message(bytes: bytes) { return message }
        // Unreachable for the segments built above; fall back to a minimal ACK with standard delimiters.
        let minimal = "MSH|^~\\&|||||||ACK|\(controlID.filter { $0.isLetter || $0.isNumber })|P|2.5.1\rMSA|\(code.rawValue)|\r"
        return (try? HL7Message(bytes: Array(minimal.utf8))) ?? fallback()
    }

    private static func fallback() -> HL7Message {
        // A constant, known-good message.
        do { return try HL7Message(bytes: Array("MSH|^~\\&|||||||ACK||P|2.5.1\rMSA|AR|\r".utf8)) } catch { preconditionFailure("constant ACK must parse") }
    }

    /// Versions before 2.5 report errors in ERR-1 (ELD).
    static func isLegacyVersion(_ version: String) -> Bool {
        let v = version.split(separator: Character(Unicode.Scalar(UInt8(ascii: "^")))).first.map(String.init) ?? version
        return v.hasPrefix("2.1") || v.hasPrefix("2.2") || v.hasPrefix("2.3") || v.hasPrefix("2.4")
    }
}
