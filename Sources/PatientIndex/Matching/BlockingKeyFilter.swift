/// A Bloom filter over the keys of `blocking_keys`: "certainly not filed" or "perhaps filed".
///
/// A new record files a dozen or more keys, and in an index of 20,000 generated patients nine in ten of
/// them belong to no other record: their candidate queries (~8K instructions each, about a tenth of the
/// writer's work per message) find only the record itself. The writer asks the filter first and queries
/// only the keys it may hold. The filter may say "perhaps" of a key that is not there (about 0.1 % of
/// keys at its design load, 2 % by the time it is rebuilt); it never says "not" of a key that is, as
/// long as every key filed goes through ``insert(_:)`` — see `PatientIndexStore.keysPerhapsFiled` for
/// when it is rebuilt instead.
struct BlockingKeyFilter {
    private var words: [UInt64]
    private let mask: UInt64
    /// Keys inserted (repeats included).
    private(set) var count = 0
    /// Keys it was sized for (16 bits each); past twice this the store builds a larger one.
    let capacity: Int
    private static let probes = 5

    init(capacity: Int) {
        self.capacity = max(capacity, 1 << 16)
        var bits = 1 << 6
        while bits < self.capacity * 16 { bits <<= 1 }
        words = [UInt64](repeating: 0, count: bits >> 6)
        mask = UInt64(bits - 1)
    }

    mutating func insert(_ key: String) {
        var key = key
        key.withUTF8 { insert(utf8: $0) }
    }

    mutating func insert(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        let (h1, h2) = Self.hashes(bytes)
        for i in 0..<UInt64(Self.probes) {
            let bit = (h1 &+ i &* h2) & mask
            words[Int(bit >> 6)] |= 1 << (bit & 63)
        }
        count += 1
    }

    func mightContain(_ key: String) -> Bool {
        var key = key
        return key.withUTF8 { bytes in
            let (h1, h2) = Self.hashes(bytes)
            for i in 0..<UInt64(Self.probes) {
                let bit = (h1 &+ i &* h2) & mask
                if words[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
            }
            return true
        }
    }

    /// Two hashes of the bytes (FNV-1a 64, then two finalizer mixes) for double hashing; the second odd.
    private static func hashes(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return (mix(h), mix(h ^ 0x9e37_79b9_7f4a_7c15) | 1)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
