/// A bounded cache that keeps what was used recently: two generations of at most `capacity / 2` entries
/// each. Entries go into the current generation; when it is full, it becomes the previous one and the
/// old previous generation is dropped. A hit in the previous generation moves the entry to the current.
///
/// Memory stays between `capacity / 2` and `capacity` entries once warm, and a rotation frees at most half
/// of them at once — unlike "empty it when full", which let the resident size of a long-running gateway
/// climb and sawtooth with the allocator's free lists (bench/reliability.md, 1M-message load).
struct RecentCache<Key: Hashable, Value> {
    let capacity: Int
    private var current: [Key: Value] = [:]
    private var previous: [Key: Value] = [:]

    init(capacity: Int) {
        self.capacity = max(2, capacity)
    }

    /// Entries held (at most `capacity`).
    var count: Int { current.count + previous.count }

    mutating func value(for key: Key) -> Value? {
        if let value = current[key] { return value }
        guard let value = previous.removeValue(forKey: key) else { return nil }
        insert(value, for: key)
        return value
    }

    mutating func insert(_ value: Value, for key: Key) {
        if current[key] == nil, current.count >= capacity / 2 {
            previous = current
            current = [:]
            current.reserveCapacity(capacity / 2)
        }
        previous.removeValue(forKey: key)
        current[key] = value
    }

    mutating func removeAll() {
        current = [:]
        previous = [:]
    }
}
