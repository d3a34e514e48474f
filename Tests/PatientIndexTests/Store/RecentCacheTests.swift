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
}
