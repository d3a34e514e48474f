import Clinical
import Foundation

/// `concord check PATH…`: parse and map files without storing anything — what an interface analyst runs
/// on a new feed's samples. Reports per file and per message what was found and every error with its
/// position; exits non-zero when any message failed.
enum Check {
    struct MessageReport: Encodable {
        var index: Int
        var format: String
        var messageType: String?
        var source: String?
        var controlID: String?
        var patients: Int
        var facts: [String: Int]
        var ok: Bool
        var error: String?
        var position: String?
        var notes: [String]
    }
    struct FileReport: Encodable {
        var file: String
        var messages: [MessageReport]
    }

    static func run(_ a: Arguments) throws {
        let paths = Array(a.positionals.dropFirst())
        guard !paths.isEmpty else { throw GatewayError(.usage, "check needs files or folders") }
        var reports: [FileReport] = []
        var failures = 0
        for file in try CommandLineTool.files(paths) {
            let units = MessageParser.split(try CommandLineTool.read(file))
            var messages: [MessageReport] = []
            for (i, raw) in units.enumerated() {
                let parsed = MessageParser.parse(raw)
                var facts: [String: Int] = [:]
                for submission in parsed.submissions { for fact in submission.facts { facts[fact.kind.rawValue, default: 0] += 1 } }
                if parsed.failure != nil { failures += 1 }
                messages.append(MessageReport(
                    index: i + 1, format: parsed.format.rawValue, messageType: parsed.submissions.first?.messageType,
                    source: parsed.submissions.first?.source.facility ?? parsed.senderFacility, controlID: parsed.controlID,
                    patients: parsed.submissions.reduce(0) { $0 + $1.patients.count }, facts: facts, ok: parsed.failure == nil,
                    error: parsed.failure?.reason, position: parsed.failure?.position, notes: parsed.notes.map(\.description)))
            }
            reports.append(FileReport(file: file, messages: messages))
        }
        if a.has("json") {
            CommandLineTool.printJSON(reports)
        } else {
            for report in reports {
                print(report.file)
                for m in report.messages {
                    let facts = m.facts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                    if m.ok {
                        print("  \(m.index). ok     \(m.format) \(m.messageType ?? "") from \(m.source ?? "?"): \(m.patients) patient(s)\(facts.isEmpty ? "" : ", " + facts)")
                    } else {
                        print("  \(m.index). ERROR  \(m.format): \(m.error ?? "failed")\(m.position.map { " at \($0)" } ?? "")")
                    }
                    for note in m.notes where !a.has("quiet") { print("       note: \(note)") }
                }
            }
        }
        if failures > 0 { throw GatewayError(.badRequest, "\(failures) message(s) with errors") }
    }
}
