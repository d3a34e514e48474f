/// A bounded cache that keeps what was used recently: two generations of at most `capacity / 2` (by
/// weight: one per entry unless a `weight` is given) each. Entries go into the current generation; when it
/// is full, it becomes the previous one and the old previous generation is dropped. A hit in the previous
/// generation moves the entry to the current.
///
/// Memory stays between `capacity / 2` and `capacity` once warm, and a rotation frees at most half of it at
/// once — unlike "empty it when full", which let the resident size of a long-running gateway climb and
/// sawtooth with the allocator's free lists (bench/reliability.md, 1M-message load). An entry heavier than
/// a generation is not kept (it would only push everything else out). An entry's weight is taken again
/// whenever it is inserted (a patient's unification grows in place as facts arrive).
struct RecentCache<Key: Hashable, Value> {
    let capacity: Int
    private let weight: (Value) -> Int
    private var current: [Key: Value] = [:]
    private var previous: [Key: Value] = [:]
    /// The weight each entry of the current generation was counted with.
    private var weights: [Key: Int] = [:]
    private var currentWeight = 0

    init(capacity: Int, weight: @escaping (Value) -> Int = { _ in 1 }) {
        self.capacity = max(0, capacity)
        self.weight = weight
    }

    /// Entries held.
    var count: Int { current.count + previous.count }

    mutating func value(for key: Key) -> Value? {
        if let value = current[key] { return value }
        guard let value = previous.removeValue(forKey: key) else { return nil }
        insert(value, for: key)
        return value
    }

    mutating func insert(_ value: Value, for key: Key) {
        previous.removeValue(forKey: key)
        if current.removeValue(forKey: key) != nil { currentWeight -= weights.removeValue(forKey: key) ?? 0 }
        let w = max(1, weight(value))
        guard w <= capacity / 2 else { return }
        if currentWeight + w > capacity / 2 {
            previous = current
            current = [:]
            weights = [:]
            currentWeight = 0
        }
        current[key] = value
        weights[key] = w
        currentWeight += w
    }

    mutating func remove(_ key: Key) {
        if current.removeValue(forKey: key) != nil { currentWeight -= weights.removeValue(forKey: key) ?? 0 }
        previous.removeValue(forKey: key)
    }

    mutating func removeAll() {
        current = [:]
        previous = [:]
        weights = [:]
        currentWeight = 0
    }
}
