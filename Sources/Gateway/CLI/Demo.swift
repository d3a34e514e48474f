import Clinical
import Foundation
import PatientIndex

/// `concord demo [DIR]`: the main job on the embedded default — ingest a folder of clinic files into a
/// fresh SQLite database and print what Concord made of them.
enum Demo {
    /// The clinic files of a sample folder: everything but its statement of truth (`expected.json`
    /// at the top, and Markdown, which `files` already skips).
    static func sampleFiles(_ directory: String) throws -> [String] {
        try CommandLineTool.files([directory]).filter { ($0 as NSString).standardizingPath != ((directory as NSString).appendingPathComponent("expected.json") as NSString).standardizingPath }
    }

    static func run(_ a: Arguments) throws {
        let directory = a.positionals.count > 1 ? a.positionals[1] : "samples"
        let path = CommandLineTool.databasePath(a)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let files = try sampleFiles(directory)
        guard !files.isEmpty else { throw GatewayError(.notFound, "no files under \(directory)") }
        let session = try CommandLineTool.Session(path: path)
        defer { session.close() }

        let start = Date()
        struct FileLine: Encodable { var file: String; var format: String; var source: String?; var status: String; var detail: String }
        var lines: [FileLine] = []
        var messageCount = 0
        for file in files {
            let bytes = try CommandLineTool.read(file)
            let units = MessageParser.split(bytes)
            messageCount += units.count
            let outcome = Server.ingestFile(name: file, bytes: bytes, channel: .cli, service: session.service)
            let parsed = MessageParser.parse(units.first ?? bytes)
            let source = parsed.submissions.first?.source.facility ?? parsed.senderFacility
            switch outcome {
            case .ingested(let summary):
                lines.append(FileLine(file: file, format: parsed.format.rawValue, source: source, status: "ingested", detail: summary))
            case .failed(let reason), .retry(let reason):
                lines.append(FileLine(file: file, format: parsed.format.rawValue, source: source, status: "failed", detail: reason))
            }
        }
        let ingestSeconds = Date().timeIntervalSince(start)
        let reader = try session.reader()
        let actor = CommandLineTool.actor(a)
        let patients = try session.operations.allPatients(reader, actor: actor)
        let reviews = try session.operations.reviewQueue(reader, actor: actor, status: nil)
        let flags = try session.operations.flags(reader, actor: actor, id: nil)
        let totalSeconds = Date().timeIntervalSince(start)

        if a.has("json") {
            struct Summary: Encodable {
                var files: [FileLine]
                var enterprisePatients: [JSONViews.EnterprisePatientView]
                var review: [JSONViews.ReviewItemView]
                var duplicateTests: [DuplicateTestFlag]
                var seconds: Double
            }
            CommandLineTool.printJSON(Summary(files: lines, enterprisePatients: patients.map(JSONViews.EnterprisePatientView.init),
                                              review: reviews.map(JSONViews.ReviewItemView.init), duplicateTests: flags, seconds: totalSeconds))
            return
        }

        print("Concord demo — \(files.count) files (\(messageCount) messages/documents) from \(directory)/ into \(path)\n")
        print("Sources")
        var bySource: [String: (format: String, ok: Int, failed: Int)] = [:]
        for line in lines {
            let key = (line.source ?? "(sender unreadable)") + " [\(line.format)]"
            var entry = bySource[key] ?? (line.format, 0, 0)
            if line.status == "ingested" { entry.ok += 1 } else { entry.failed += 1 }
            bySource[key] = entry
        }
        for (source, entry) in bySource.sorted(by: { $0.key < $1.key }) {
            print("  \(source): \(entry.ok) file(s) ingested\(entry.failed > 0 ? ", \(entry.failed) failed" : "")")
        }
        print("")
        Render.patients(patients)
        print("")
        Render.review(reviews.filter { $0.status == .open })
        print("")
        Render.flags(flags)
        let failed = lines.filter { $0.status == "failed" }
        if !failed.isEmpty {
            print("\nFiles kept with their errors (see `concord messages list --status failed`)")
            for f in failed { print("  \(f.file): \(f.detail.replacingOccurrences(of: "\n", with: "\n    "))") }
        }
        print(String(format: "\nTimings: ingest %.2f s (%.1f ms per file), summary %.2f s", ingestSeconds, ingestSeconds * 1000 / Double(max(files.count, 1)), totalSeconds - ingestSeconds))
    }
}

/// Human-readable output of the CLI.
enum Render {
    static func name(_ record: PatientRecord) -> String {
        guard let n = record.primaryName else { return "(no name)" }
        var text = (n.family ?? "?").uppercased()
        if !n.given.isEmpty { text += ", " + n.given.joined(separator: " ") }
        if !n.suffix.isEmpty { text += " " + n.suffix.joined(separator: " ") }
        return text
    }

    static func patients(_ patients: [EnterprisePatient], explain: Bool = false) {
        print("Enterprise patients (\(patients.count))")
        for p in patients {
            let g = p.golden
            print("  \(p.id)  \(name(g))  born \(g.birthDate?.iso8601 ?? "?")  \(g.sex?.rawValue ?? "?")  — \(p.members.count) source record(s)")
            for m in p.members {
                let ids = m.record.recordKeys.map { "\($0.value)" }.joined(separator: ",")
                print("      \(m.record.source.facility) \(ids)  \(name(m.record))  [\(m.explanation.method), \(m.explanation.grade.rawValue)\(m.explanation.method == "probabilistic" ? String(format: ", %.1f", m.explanation.total) : "")]")
                if explain {
                    for c in m.explanation.comparisons {
                        let field = c.field.padding(toLength: 14, withPad: " ", startingAt: 0)
                        let level = c.level.padding(toLength: 16, withPad: " ", startingAt: 0)
                        print("          \(field)\(level)" + String(format: "%+.2f", c.weight))
                    }
                    if !m.explanation.blockers.isEmpty { print("          blockers: \(m.explanation.blockers.joined(separator: "; "))") }
                }
            }
        }
    }

    static func review(_ items: [ReviewItem]) {
        print("Review queue (\(items.count) open)")
        for item in items {
            let e = item.explanation
            print(String(format: "  #%lld  %@ %@ (%@)  ↔  %@   score %.1f (review %.1f–%.1f)%@", item.id, item.record.source.facility, item.record.recordKeys.first?.value ?? "?",
                         name(item.record), item.candidateEnterpriseID, e.total, e.lowerThreshold, e.upperThreshold,
                         e.blockers.isEmpty ? "" : "; blockers: " + e.blockers.joined(separator: "; ")))
        }
    }

    static func flags(_ flags: [DuplicateTestFlag]) {
        print("Duplicate-test flags (\(flags.count))")
        for f in flags {
            let kind = f.kind == .avoidableOrder ? "ORDER for a test resulted" : "repeated"
            print(String(format: "  %@  %@ %@ — %@ %.0f days apart (interval %d days)", f.enterpriseID, f.test.label, f.test.code, kind, f.daysApart, f.intervalDays))
            print("      earlier: \(f.earlier.time?.iso8601 ?? "?") at \(f.earlier.provenance.source.facility)\(f.earlier.value.map { " = \($0)" } ?? "")")
            print("      later:   \(f.later.time?.iso8601 ?? "?") at \(f.later.provenance.source.facility)\(f.later.value.map { " = \($0)" } ?? "")")
        }
    }

    static func record(_ record: UnifiedRecord) {
        patients([record.patient])
        print("Facts (\(record.facts.count))")
        for fact in record.facts {
            let sources = Set(fact.provenances.map(\.source.facility)).sorted().joined(separator: ", ")
            var value = ""
            if case .result(let o) = fact.body, let v = o.value { value = " = \(v)" }
            print("  [\(fact.kind.rawValue)] \(fact.body.time?.iso8601 ?? "-")  \(fact.body.code?.label ?? "?")\(value)  (\(fact.provenances.count)× from \(sources))\(fact.state == "current" ? "" : " [\(fact.state)]")")
        }
        if !record.flags.isEmpty { flags(record.flags) }
    }
}
