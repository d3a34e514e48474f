import Foundation

/// Estimates a ``MatchModel``'s m and u probabilities from the index itself (Fellegi–Sunter with EM,
/// Winkler 1988; the approach Splink's `estimate_u_using_random_sampling` and EM steps also take).
package enum MatchTrainer {
    /// u from random pairs, m by EM over candidate pairs (from blocking); returns a new versioned model.
    ///
    /// u is the smoothed share of each level among random pairs (almost all non-matches); a level never
    /// seen among them keeps its starting u. m and the match proportion are re-estimated by
    /// expectation–maximization with u held fixed. `missing` levels carry no evidence and are skipped.
    /// Thresholds and margin are kept.
    package static func train(candidatePairs: [(MatchFeatures, MatchFeatures)], randomPairs: [(MatchFeatures, MatchFeatures)], startingFrom: MatchModel, iterations: Int) -> MatchModel {
        var model = startingFrom
        let fieldIndex = Dictionary(uniqueKeysWithValues: model.fields.enumerated().map { ($1.field, $0) })
        func encode(_ pairs: [(MatchFeatures, MatchFeatures)]) -> [[(field: Int, level: Int)]] {
            pairs.map { a, b in
                FieldComparators.levels(a, b).compactMap { field, level in
                    guard let f = fieldIndex[field], let l = model.fields[f].levels.firstIndex(where: { $0.level == level }) else { return nil }
                    return (f, l)
                }
            }
        }

        // u from random pairs.
        let randomLevels = encode(randomPairs)
        if !randomLevels.isEmpty {
            var counts = model.fields.map { [Double](repeating: 0, count: $0.levels.count) }
            for pair in randomLevels { for (f, l) in pair { counts[f][l] += 1 } }
            for f in model.fields.indices {
                let n = counts[f].reduce(0, +)
                guard n > 0 else { continue }
                for l in model.fields[f].levels.indices where counts[f][l] > 0 {
                    model.fields[f].levels[l].u = (counts[f][l] + 0.5) / (n + 0.5 * Double(counts[f].count))
                }
            }
        }

        // m by EM over candidate pairs.
        let candidateLevels = encode(candidatePairs)
        var lambda = 0.1
        if !candidateLevels.isEmpty {
            for _ in 0..<max(0, iterations) {
                var mSums = model.fields.map { [Double](repeating: 0, count: $0.levels.count) }
                var matchSum = 0.0
                for pair in candidateLevels {
                    var logRatio = log2(lambda / (1 - lambda))
                    for (f, l) in pair { logRatio += model.fields[f].levels[l].weight }
                    let p = 1 / (1 + pow(2, -max(-60, min(60, logRatio))))
                    matchSum += p
                    for (f, l) in pair { mSums[f][l] += p }
                }
                lambda = min(0.999, max(1e-6, matchSum / Double(candidateLevels.count)))
                for f in model.fields.indices {
                    let total = mSums[f].reduce(0, +)
                    guard total > 0 else { continue }
                    // Levels hardly ever seen among matches keep their starting m (renormalized with the
                    // rest), so that one EM run cannot turn a rare level into a veto.
                    let rare = mSums[f].indices.filter { mSums[f][$0] < 1 }
                    let rareMass = rare.reduce(0.0) { $0 + startingFrom.fields[f].levels[$1].m }
                    let seenTotal = mSums[f].indices.filter { !rare.contains($0) }.reduce(0.0) { $0 + mSums[f][$1] }
                    guard seenTotal > 0 else { continue }
                    for l in model.fields[f].levels.indices {
                        model.fields[f].levels[l].m = rare.contains(l)
                            ? startingFrom.fields[f].levels[l].m
                            : (1 - rareMass) * mSums[f][l] / seenTotal
                    }
                }
            }
        }
        let base = startingFrom.version.split(separator: "+").first.map(String.init) ?? startingFrom.version
        model.version = "\(base)+em\(iterations)-c\(candidatePairs.count)-r\(randomPairs.count)"
        return model
    }
}
