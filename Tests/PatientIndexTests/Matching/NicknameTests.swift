import Testing
@testable import PatientIndex

@Suite("Nicknames")
struct NicknameTests {
    @Test("Common US nicknames meet their formal names", arguments: [
        ("Bill", "William"), ("Bob", "Robert"), ("Liz", "Elizabeth"), ("Peggy", "Margaret"), ("Jim", "James"),
        ("Kate", "Katherine"), ("Tony", "Anthony"), ("Sue", "Susan"), ("Chuck", "Charles"), ("Dick", "Richard"),
        ("Ted", "Edward"), ("Ted", "Theodore"), ("Jack", "John"), ("Hank", "Henry"), ("Peg", "Margaret"),
        ("Becky", "Rebecca"), ("Sally", "Sarah"), ("Polly", "Mary"), ("Betsy", "Elizabeth"), ("Bob", "Bobby"),
        ("Kate", "Catherine"), ("Patty", "Pat"),
    ])
    func nicknames(a: String, b: String) {
        #expect(Nicknames.areNicknames(a, b))
        #expect(Nicknames.areNicknames(b, a))
    }

    @Test("Unrelated names are not nicknames", arguments: [
        ("Bill", "Robert"), ("Mary", "Margaret"), ("Jack", "James"), ("Sue", "Sarah"), ("Emma", "Olivia"),
    ])
    func notNicknames(a: String, b: String) {
        #expect(!Nicknames.areNicknames(a, b))
    }

    @Test("A nickname lists every formal name it can stand for")
    func roots() {
        #expect(Nicknames.roots(of: "Alex") == ["ALEXANDER", "ALEXANDRA"])
        #expect(Nicknames.roots(of: "Chuck") == ["CHARLES"])
        #expect(Nicknames.roots(of: "Zbigniew") == ["ZBIGNIEW"])
        #expect(Nicknames.roots(of: "") == [])
    }

    @Test("The table holds a few hundred nickname pairs")
    func size() {
        #expect(Nicknames.pairCount >= 300)
    }
}
