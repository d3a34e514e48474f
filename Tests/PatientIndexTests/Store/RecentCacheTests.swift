@testable import PatientIndex
import Testing

@Suite struct RecentCacheTests {
    @Test func neverHoldsMoreThanItsCapacity() {
        var cache = RecentCache<Int64, String>(capacity: 10)
        for id in Int64(1)...1_000 {
            cache.insert("record \(id)", for: id)
            #expect(cache.count <= 10)
        }
        #expect(cache.count >= 5)
        #expect(cache.value(for: 1_000) == "record 1000")
        #expect(cache.value(for: 1) == nil)
    }

    @Test func anEntryInUseSurvivesRotations() {
        // A candidate that keeps coming back (a family's record, a common clinic's patient) stays cached
        // while a stream of one-off records passes through.
        var cache = RecentCache<Int64, String>(capacity: 8)
        cache.insert("hot", for: 0)
        for id in Int64(1)...100 {
            cache.insert("cold \(id)", for: id)
            if id % 3 == 0 { #expect(cache.value(for: 0) == "hot") }
        }
        #expect(cache.value(for: 0) == "hot")
        #expect(cache.value(for: 2) == nil)
    }

    @Test func reinsertingAKeyReplacesItsValueWithoutGrowing() {
        var cache = RecentCache<Int64, Int>(capacity: 4)
        cache.insert(1, for: 7)
        cache.insert(2, for: 8)
        cache.insert(3, for: 9)  // rotates: 7 and 8 are now the previous generation
        cache.insert(10, for: 7)
        #expect(cache.value(for: 7) == 10)
        #expect(cache.count == 3)
        cache.removeAll()
        #expect(cache.count == 0)
        #expect(cache.value(for: 9) == nil)
    }

    /// Weighed entries (the unification cache weighs a patient by its fact instances): a generation holds
    /// up to half the capacity by weight, and an entry heavier than a generation is not kept.
    @Test func weighedEntriesFillAGenerationByWeight() {
        var cache = RecentCache<String, [Int]>(capacity: 10, weight: { $0.count })
        cache.insert([1, 2, 3], for: "a")
        cache.insert([1, 2], for: "b")  // the current generation now weighs 5 of 5
        #expect(cache.count == 2)
        cache.insert([1], for: "c")  // rotates: a and b are the previous generation
        #expect(cache.value(for: "a") == [1, 2, 3])  // moved back into the current one (weight 4)
        cache.insert([1, 2], for: "d")  // 6 > 5: rotates again, dropping b
        #expect(cache.value(for: "b") == nil)
        cache.insert(Array(0..<6), for: "huge")
        #expect(cache.value(for: "huge") == nil, "heavier than a generation: not kept")
        cache.remove("d")
        #expect(cache.value(for: "d") == nil)
        // An entry that grows is weighed again when it is inserted again: past a generation, it goes.
        var grow = RecentCache<String, [Int]>(capacity: 10, weight: { $0.count })
        grow.insert([1], for: "p")
        grow.insert([1, 2, 3, 4], for: "q")
        grow.insert([1, 2], for: "p")  // 2 + 4 > 5: rotates, p alone in the current generation
        #expect(grow.value(for: "q") == [1, 2, 3, 4])
        grow.insert(Array(0..<6), for: "p")
        #expect(grow.value(for: "p") == nil)
        var off = RecentCache<String, [Int]>(capacity: 0, weight: { $0.count })
        off.insert([1], for: "a")
        #expect(off.count == 0)
    }
}
