import Foundation

/// Shared measuring tools of the benchmark executable: a warm-up, repeated timed runs, and one line of
/// JSON per measurement (so `scripts/bench.sh` can put Concord's figures beside the peers' as ratios).
enum Bench {
    /// Warns loudly when the benchmarks were built without optimization.
    static func warnIfDebug() {
        #if DEBUG
        FileHandle.standardError.write(Data("WARNING: concord-bench was built in debug mode; numbers are meaningless. Use `swift build -c release`.\n".utf8))
        #endif
    }

    /// Runs `body` once to warm up, then `repetitions` times, and returns the best wall time in seconds
    /// with the last result (returned so the work cannot be optimized away).
    static func measure<T>(repetitions: Int = 3, _ body: () throws -> T) rethrows -> (seconds: Double, result: T) {
        var result = try body()
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            result = try body()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, elapsed)
        }
        return (best, result)
    }

    /// Seconds since an arbitrary start, for latency measurements.
    /// Prints a connection's statement profile (`Connection.statementProfile()`): statements per `unit`
    /// in all, then each statement's runs per `unit` (`short` in the column) and VM steps per run,
    /// most-run first.
    static func printStatementProfile(_ entries: [(sql: String, runs: Int, steps: Int)], per count: Int, unit: String, short: String, limit: Int) {
        let per = Double(max(count, 1))
        print(String(format: "sql profile: %.1f statements per \(unit)", Double(entries.reduce(0) { $0 + $1.runs }) / per))
        for entry in entries.prefix(limit) {
            let sql = entry.sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            print(String(format: "%8.2f/\(short) %8.1f steps/run  ", Double(entry.runs) / per, Double(entry.steps) / Double(max(entry.runs, 1)))
                + sql.prefix(160))
        }
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The p-th percentile (0…100) of samples (nearest rank).
    static func percentile(_ samples: [Double], _ p: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    /// Prints one result line: `RESULT {"bench":…, "metric":…, "value":…, "unit":…}` plus extra fields.
    static func report(_ bench: String, _ metric: String, _ value: Double, unit: String, extra: [String: String] = [:]) {
        var fields = ["\"bench\":\"\(bench)\"", "\"metric\":\"\(metric)\"", "\"value\":\(value.isFinite ? String(format: "%.6g", value) : "null")", "\"unit\":\"\(unit)\""]
        for (k, v) in extra.sorted(by: { $0.key < $1.key }) { fields.append("\"\(k)\":\"\(v)\"") }
        print("RESULT {" + fields.joined(separator: ",") + "}")
        fflush(nil)
    }

    /// CPU seconds of the calling thread (the serial part of a pipeline: what bounds it on free cores).
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// CPU seconds used by the process so far (user + system, all threads): on a shared machine a
    /// steadier yardstick than wall time.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}

/// A small, fast deterministic generator (SplitMix64), so every run builds the same corpus.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
