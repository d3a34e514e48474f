import Clinical
import FHIRLite
import Foundation

/// `concord-bench fhir DIR [--repeats N]`: FHIR JSON reading throughput on every `*.json` Bundle and
/// `*.ndjson` file directly in DIR (the inputs `../shared/peers/fhir_peer.py DIR` reads).
///
/// Files are read into memory first, as the peer does. Timed cases, each returning counts so nothing
/// can be optimized away:
/// - `bundles scan`: the JSON scanner alone (structure tape, no mapping);
/// - `bundles read`: `FHIRReader.read` — scan + map every resource to Clinical (patients, facts, references);
/// - `ndjson read`: `NDJSONReader` fed 1 MiB chunks from memory, batches of 1000 lines, scan + map;
/// - `ndjson stream-from-file`: the same through `NDJSONReader.read(from:)` on a file handle (I/O included,
///   memory bounded by one batch).
/// MB = 10^6 bytes; resources are Bundle entries (and loose NDJSON resources) read.
enum FHIRBenchmark {
    static func run(_ args: [String]) throws {
        Bench.warnIfDebug()
        guard let dir = args.first else {
            print("usage: concord-bench fhir DIR [--repeats N]")
            return
        }
        var repeats = 3
        if let i = args.firstIndex(of: "--repeats"), i + 1 < args.count, let n = Int(args[i + 1]) { repeats = n }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        var bundles: [[UInt8]] = []
        var ndjsonFiles: [(path: String, bytes: [UInt8])] = []
        for name in names {
            let path = (dir as NSString).appendingPathComponent(name)
            if name.hasSuffix(".json"), let data = FileManager.default.contents(atPath: path) { bundles.append([UInt8](data)) }
            if name.hasSuffix(".ndjson"), let data = FileManager.default.contents(atPath: path) { ndjsonFiles.append((path, [UInt8](data))) }
        }
        let source = SourceSystem(facility: "Benchmark")

        if !bundles.isEmpty {
            let bytes = Double(bundles.reduce(0) { $0 + $1.count })
            let scan = try Bench.measure(repetitions: repeats) { () throws -> Int in
                var nodes = 0
                for b in bundles { nodes += try FHIRReader.scanOnly(b) }
                return nodes
            }
            Bench.report("fhir", "bundles scan MB/s", bytes / scan.seconds / 1e6, unit: "MB/s", extra: ["files": "\(bundles.count)", "nodes": "\(scan.result)"])
            let read = try Bench.measure(repetitions: repeats) { () throws -> (resources: Int, facts: Int, patients: Int, problems: Int) in
                var totals = (resources: 0, facts: 0, patients: 0, problems: 0)
                for b in bundles {
                    let r = try FHIRReader.read(b, defaultSource: source)
                    totals.resources += r.resourceCount
                    totals.facts += r.factCount
                    totals.patients += r.patientCount
                    totals.problems += r.problems.count
                }
                return totals
            }
            let extra = ["files": "\(bundles.count)", "bytes": "\(Int(bytes))", "resources": "\(read.result.resources)",
                         "facts": "\(read.result.facts)", "patients": "\(read.result.patients)", "problems": "\(read.result.problems)"]
            Bench.report("fhir", "bundles read MB/s", bytes / read.seconds / 1e6, unit: "MB/s", extra: extra)
            Bench.report("fhir", "bundles read resources/s", Double(read.result.resources) / read.seconds, unit: "resources/s", extra: extra)
            Bench.report("fhir", "bundles read bundles/s", Double(bundles.count) / read.seconds, unit: "bundles/s", extra: extra)
        }

        for file in ndjsonFiles {
            let bytes = Double(file.bytes.count)
            let read = Bench.measure(repetitions: repeats) { () -> (resources: Int, facts: Int, bundles: Int, problems: Int) in
                var reader = NDJSONReader(defaultSource: source, linesPerBatch: 1000)
                var totals = (resources: 0, facts: 0, bundles: 0, problems: 0)
                func add(_ r: FHIRReadResult) {
                    totals.resources += r.resourceCount
                    totals.facts += r.factCount
                    totals.bundles += r.submissions.filter { $0.messageType?.hasPrefix("Bundle") == true }.count
                    totals.problems += r.problems.count
                }
                var start = 0
                while start < file.bytes.count {
                    let end = min(start + (1 << 20), file.bytes.count)
                    for r in reader.feed(file.bytes[start..<end]) { add(r) }
                    start = end
                }
                add(reader.finish())
                return totals
            }
            let extra = ["file": (file.path as NSString).lastPathComponent, "bytes": "\(Int(bytes))", "resources": "\(read.result.resources)",
                         "facts": "\(read.result.facts)", "bundles": "\(read.result.bundles)", "problems": "\(read.result.problems)"]
            Bench.report("fhir", "ndjson read MB/s", bytes / read.seconds / 1e6, unit: "MB/s", extra: extra)
            Bench.report("fhir", "ndjson read resources/s", Double(read.result.resources) / read.seconds, unit: "resources/s", extra: extra)
            Bench.report("fhir", "ndjson read bundles/s", Double(read.result.bundles) / read.seconds, unit: "bundles/s", extra: extra)
            let stream = try Bench.measure(repetitions: 1) { () throws -> Int in
                guard let handle = FileHandle(forReadingAtPath: file.path) else { return 0 }
                defer { try? handle.close() }
                var resources = 0
                try NDJSONReader.read(from: handle, defaultSource: source, linesPerBatch: 1000) { resources += $0.resourceCount }
                return resources
            }
            Bench.report("fhir", "ndjson stream-from-file MB/s", bytes / stream.seconds / 1e6, unit: "MB/s", extra: ["resources": "\(stream.result)"])
        }
    }
}
