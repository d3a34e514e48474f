import CCDA
import Clinical
import Foundation
import Synchronization

/// `concord-bench ccda DIR [--repeats N] [--min-seconds S] [--threads T]`: C-CDA throughput on a folder of
/// documents (the regular files directly in DIR, read into memory before timing), measured the way
/// `../shared/peers/ccda_peer.py` measures lxml so the two can be put side by side:
///   ccda-parse    libxml2 parse into a tree through `CCDAXPath` setup (no mapping)
///   ccda-extract  `CCDAReader.read`: header + every section mapped to Clinical facts
///   ccda-extract-Tt  the same on T threads, documents shared out round-robin (only with --threads > 1)
/// Each run times enough passes over all documents to last --min-seconds; the median of --repeats runs
/// is reported, in wall time and in process CPU time (`-cpu-docs`, docs per CPU-second: steadier than
/// wall time on a machine shared with other work). MB = 10^6 bytes of file content.
enum CCDABenchmark {
    static func run(_ args: [String]) throws {
        Bench.warnIfDebug()
        guard let dir = args.first else {
            print("usage: concord-bench ccda DIR [--repeats N] [--min-seconds S] [--threads T]")
            return
        }
        var repeats = 3
        var minSeconds = 3.0
        var threads = 1
        var i = 1
        while i + 1 < args.count {
            switch args[i] {
            case "--repeats": repeats = Int(args[i + 1]) ?? repeats
            case "--min-seconds": minSeconds = Double(args[i + 1]) ?? minSeconds
            case "--threads": threads = Int(args[i + 1]) ?? threads
            default: break
            }
            i += 2
        }
        let fm = FileManager.default
        let names = try fm.contentsOfDirectory(atPath: dir).sorted()
        var docs: [[UInt8]] = []
        var failed = 0
        for name in names {
            let path = (dir as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue, let data = fm.contents(atPath: path) else { continue }
            let bytes = [UInt8](data)
            do {
                _ = try CCDAReader.read(bytes)
                docs.append(bytes)
            } catch {
                failed += 1
                print("  failed: \(name): \(error)")
            }
        }
        let totalBytes = docs.reduce(0) { $0 + $1.count }
        print("dir=\(dir) files=\(names.count) parsed=\(docs.count) failed=\(failed) bytes(parsed)=\(totalBytes)")
        guard !docs.isEmpty else { return }

        func parseAll() -> Int {
            var check = 0
            for d in docs { if let x = try? CCDAXPath(d) { check += (try? x.count("/*/*")) ?? 0 } }
            return check
        }
        func extractParallel(_ t: Int) -> Int {
            let chunks = (0..<t).map { k in stride(from: k, to: docs.count, by: t).map { docs[$0] } }
            let total = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: t) { k in
                let sum = extract(chunks[k])
                total.withLock { $0 += sum }
            }
            return total.withLock { $0 }
        }

        var cases: [(String, () -> Int)] = [("ccda-parse", parseAll), ("ccda-extract", { extract(docs) })]
        if threads > 1 { cases.append(("ccda-extract-T\(threads)", { extractParallel(threads) })) }
        for (label, body) in cases {
            let start = Bench.now()
            _ = body()
            let one = Bench.now() - start
            let passes = max(1, Int((minSeconds / one).rounded(.up)))
            var rates: [Double] = []
            var cpuRates: [Double] = []
            for rep in 0..<max(1, repeats) {
                var check = 0
                let t0 = Bench.now()
                let c0 = Bench.processCPUSeconds()
                for _ in 0..<passes { check &+= body() }
                let dt = Bench.now() - t0
                cpuRates.append((Bench.processCPUSeconds() - c0) / Double(passes))
                rates.append(dt / Double(passes))
                print(String(format: "  %-16@ run %d: %d passes %.2f s  %.1f docs/s  %.2f MB/s  checksum=%d", label as NSString, rep + 1, passes, dt,
                    Double(docs.count * passes) / dt, Double(totalBytes * passes) / dt / 1e6, check))
            }
            let median = rates.sorted()[rates.count / 2]
            let docsPerSecond = Double(docs.count) / median
            let mbPerSecond = Double(totalBytes) / median / 1e6
            Bench.report("ccda", label + "-docs", docsPerSecond, unit: "docs/s", extra: ["dir": dir])
            Bench.report("ccda", label + "-mb", mbPerSecond, unit: "MB/s", extra: ["dir": dir])
            let cpuMedian = cpuRates.sorted()[cpuRates.count / 2]
            Bench.report("ccda", label + "-cpu-docs", Double(docs.count) / cpuMedian, unit: "docs/CPU-s", extra: ["dir": dir])
        }
    }


    /// Full extraction of every document; returns a checksum of what was read (facts, identifier and
    /// name lengths) so the work cannot be skipped.
    static func extract(_ documents: [[UInt8]]) -> Int {
        var check = 0
        for d in documents {
            guard let doc = try? CCDAReader.read(d) else { continue }
            check += doc.submission.facts.count
            for p in doc.submission.patients {
                check += p.identifiers.reduce(0) { $0 + $1.value.utf8.count } + (p.primaryName?.description.utf8.count ?? 0)
            }
        }
        return check
    }
}
