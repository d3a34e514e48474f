import Foundation

/// Test fixtures under `Fixtures/` (copied into the test bundle with `.copy("Fixtures")`).
enum Fixture {
    struct Missing: Error { let path: String }

    static func bytes(_ path: String) throws -> [UInt8] {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else { throw Missing(path: "Fixtures") }
        let url = root.appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw Missing(path: path) }
        return [UInt8](data)
    }
}

/// A deterministic pseudo-random generator (SplitMix64) so mutation tests are repeatable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Unwraps a value a test needs (for use inside `#require`, which cannot nest).
func need<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw Fixture.Missing(path: what) }
    return value
}
