import Clinical
import Foundation
import HL7v2

/// `concord-bench hl7 CORPUS [--repeats N] [--offset N] [--limit N]`: HL7 v2 throughput on a `gen_hl7.py` corpus (one message per
/// line, segments ended by `\r`), the same corpus and the same touched fields as `hl7_peer.py`:
/// - `parse`: parse, then PID-3[1].1, PID-5[1].1, PID-7 and every OBX-5 as raw text (escapes kept),
///   adding their lengths to a checksum that must equal the peer's;
/// - `parse+decode`: the same values decoded to `String` (escapes resolved, charset applied);
/// - `parse+map`: parse and full mapping to `Submission`.
/// Messages are split before timing, as the peer does; MB = 10^6 bytes of message text.
enum HL7v2Benchmark {
    static func run(_ args: [String]) throws {
        Bench.warnIfDebug()
        guard let path = args.first else {
            print("usage: concord-bench hl7 CORPUS [--repeats N] [--offset N] [--limit N]")
            return
        }
        func option(_ name: String) -> Int? {
            guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
            return Int(args[i + 1])
        }
        let repeats = option("--repeats") ?? 3
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var messages: [[UInt8]] = data.split(separator: 0x0A).map { Array($0) }.filter { !$0.isEmpty }
        // Same subset semantics as hl7_peer.py's --offset/--limit.
        let offset = min(option("--offset") ?? 0, messages.count)
        let limit = option("--limit") ?? messages.count
        messages = Array(messages[offset..<min(messages.count, offset + limit)])
        let totalBytes = messages.reduce(0) { $0 + $1.count }
        let count = Double(messages.count)
        print("corpus=\(path) messages=\(messages.count) bytes=\(totalBytes)")

        let parse = Bench.measure(repetitions: repeats) { () -> (Int, Int, Int) in
            var checksum = 0, ok = 0, failed = 0
            for bytes in messages {
                guard let message = try? HL7Message(bytes: bytes) else { failed += 1; continue }
                checksum &+= touchRaw(message)
                ok += 1
            }
            return (ok, failed, checksum)
        }
        report("parse", parse.seconds, count, totalBytes, parse.result)

        let decode = Bench.measure(repetitions: repeats) { () -> (Int, Int, Int) in
            var checksum = 0, ok = 0, failed = 0
            for bytes in messages {
                guard let message = try? HL7Message(bytes: bytes) else { failed += 1; continue }
                checksum &+= touchDecoded(message)
                ok += 1
            }
            return (ok, failed, checksum)
        }
        report("parse+decode", decode.seconds, count, totalBytes, decode.result)

        let map = Bench.measure(repetitions: repeats) { () -> (Int, Int, Int) in
            var checksum = 0, ok = 0, failed = 0
            for bytes in messages {
                guard let message = try? HL7Message(bytes: bytes), let submission = try? HL7v2Mapper.submission(from: message) else {
                    failed += 1
                    continue
                }
                checksum &+= submission.facts.count &+ submission.patients.count
                ok += 1
            }
            return (ok, failed, checksum)
        }
        report("parse+map", map.seconds, count, totalBytes, map.result)
    }

    /// Raw lengths of PID-3[1].1, PID-5[1].1, PID-7 and every OBX-5, as the peer touches them.
    static func touchRaw(_ message: HL7Message) -> Int {
        var sum = 0
        for s in 0..<message.segmentCount {
            if message.segment(at: s, isNamed: "PID") {
                sum &+= message.field(segment: s, field: 3).repetition(1).component(1).range.count
                sum &+= message.field(segment: s, field: 5).repetition(1).component(1).range.count
                sum &+= message.field(segment: s, field: 7).range.count
            } else if message.segment(at: s, isNamed: "OBX") {
                sum &+= message.field(segment: s, field: 5).range.count
            }
        }
        return sum
    }

    /// The same values decoded to strings (UTF-8 byte counts).
    static func touchDecoded(_ message: HL7Message) -> Int {
        var sum = 0
        for s in 0..<message.segmentCount {
            if message.segment(at: s, isNamed: "PID") {
                sum &+= (message.field(segment: s, field: 3).repetition(1).component(1).text ?? "").utf8.count
                sum &+= (message.field(segment: s, field: 5).repetition(1).component(1).text ?? "").utf8.count
                sum &+= (message.field(segment: s, field: 7).text ?? "").utf8.count
            } else if message.segment(at: s, isNamed: "OBX") {
                sum &+= (message.field(segment: s, field: 5).text ?? "").utf8.count
            }
        }
        return sum
    }

    static func report(_ metric: String, _ seconds: Double, _ count: Double, _ bytes: Int, _ result: (Int, Int, Int)) {
        let extra = ["parsed": String(result.0), "failed": String(result.1), "checksum": String(result.2)]
        Bench.report("hl7", metric + " msgs/s", count / seconds, unit: "msg/s", extra: extra)
        Bench.report("hl7", metric + " MB/s", Double(bytes) / seconds / 1e6, unit: "MB/s", extra: extra)
    }
}
