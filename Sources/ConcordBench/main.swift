import Foundation

// concord-bench NAME ARGS… — one benchmark per run; each prints `RESULT {…}` lines that
// scripts/bench.sh puts beside the peers' figures (same inputs, same run) as ratios.
let benchmarks: [String: ([String]) throws -> Void] = [
    "hl7": HL7v2Benchmark.run,
    "ccda": CCDABenchmark.run,
    "fhir": FHIRBenchmark.run,
    "match": MatchingBenchmark.run,
    "index": IndexBenchmark.run,
    "facts": FactsBenchmark.run,
    "net": NetBenchmark.run,
    "gateway": GatewayBenchmark.run,
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let benchmark = benchmarks[name] else {
    print("usage: concord-bench \(benchmarks.keys.sorted().joined(separator: "|")) ARGS…")
    exit(64)
}
do {
    try benchmark(Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("concord-bench \(name): \(error)\n".utf8))
    exit(1)
}
