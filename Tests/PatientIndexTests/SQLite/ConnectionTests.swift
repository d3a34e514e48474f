import Foundation
import SQLite
import Testing

@Suite struct ConnectionTests {
    static func temporaryPath() throws -> (URL, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory, directory.appendingPathComponent("test.sqlite").path)
    }

    @Test func valuesRoundTripThroughBoundParameters() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        let blob: [UInt8] = [0x0b, 0x00, 0x1c, 0x0d, 0xff]
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [Int64.max, 4.25, "Zoë O'Brien; DROP TABLE t", blob, String?.none])
        let row = try #require(try db.row("SELECT i, r, s, b, n FROM t"))
        #expect(row.int(0) == Int64.max)
        #expect(row.double("r") == 4.25)
        #expect(row.string("s") == "Zoë O'Brien; DROP TABLE t")
        #expect(row.blob(3) == blob)
        #expect(row["n"] == .null)
        #expect(row[9] == .null)
        try db.run("INSERT INTO t (b) VALUES (?)", [[UInt8]()])
        #expect(try db.scalar("SELECT b FROM t WHERE i IS NULL") == .blob([]))
    }

    @Test func aFailingSavepointLeavesTheEnclosingTransactionIntact() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (v TEXT UNIQUE)")
        try db.transaction {
            try db.run("INSERT INTO t VALUES ('first')")
            #expect(throws: SQLiteError.self) {
                try db.savepoint {
                    try db.run("INSERT INTO t VALUES ('second')")
                    try db.run("INSERT INTO t VALUES ('first')")
                }
            }
            _ = try db.savepoint { try db.run("INSERT INTO t VALUES ('third')") }
        }
        #expect(try db.rows("SELECT v FROM t ORDER BY v").compactMap { $0.string(0) } == ["first", "third"])
        #expect(!db.isInTransaction)
    }

    @Test func constraintErrorsAreRecognizedAndCarryNoValues() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (v TEXT UNIQUE)")
        try db.run("INSERT INTO t VALUES (?)", ["123-45-6789"])
        do {
            try db.run("INSERT INTO t VALUES (?)", ["123-45-6789"])
            Issue.record("expected a constraint error")
        } catch let error as SQLiteError {
            #expect(error.isConstraint)
            #expect(!error.description.contains("123-45-6789"))
        }
    }

    @Test func migrationsApplyOnceInVersionOrder() throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let migrations = [
            Migration(version: 2, sql: "ALTER TABLE a ADD COLUMN y TEXT"),
            Migration(version: 1, sql: "CREATE TABLE a (x INTEGER)"),
        ]
        do {
            let db = try Connection(path: path)
            try db.migrate(migrations)
            try db.migrate(migrations)
        }
        let db = try Connection(path: path)
        try db.migrate(migrations + [Migration(version: 3, sql: "CREATE TABLE b (z INTEGER)")])
        #expect(try db.rows("SELECT version FROM schema_migrations ORDER BY version").compactMap { $0.int(0) } == [1, 2, 3])
        #expect(try db.integrityCheck() == ["ok"])
    }

    /// How many temporary b-trees a statement's program opens (SQLite's `OpenEphemeral`), compiled afresh
    /// from the connection's schema as it stands: an EXPLAIN never checks the schema version, so a
    /// connection must have run a statement since another changed the schema for this to see the change.
    static func ephemeralTables(_ db: Connection, _ sql: String) throws -> Int {
        let explain = try db.prepare("EXPLAIN " + sql)
        var count = 0
        while try explain.step() { if explain.row().string("opcode") == "OpenEphemeral" { count += 1 } }
        return count
    }

    @Test func aTableDefinitionIsRewrittenInPlaceAndEveryConnectionSeesIt() throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = try Connection(path: path)
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('a', 'b', 'c')), note TEXT)")
        try db.run("INSERT INTO t (kind, note) VALUES ('b', 'kept')")
        let other = try Connection(path: path)
        let insert = "INSERT INTO t (kind) VALUES (?)"
        #expect(try Self.ephemeralTables(other, insert) == 1)
        let before = try #require(try db.row("PRAGMA schema_version")?.int(0))

        let rewritten = try db.transaction {
            try db.rewriteTableDefinition("t", replacing: "kind IN ('a', 'b', 'c')", with: "kind = 'a' OR kind = 'b' OR kind = 'c'")
        }
        #expect(rewritten)
        #expect(try db.row("PRAGMA schema_version")?.int(0) == before + 1)
        #expect(try db.row("PRAGMA writable_schema")?.int(0) == 0)
        #expect(try db.row("SELECT sql FROM sqlite_schema WHERE name = 't'")?.string(0)
            == "CREATE TABLE t (id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind = 'a' OR kind = 'b' OR kind = 'c'), note TEXT)")
        // This connection and one that had compiled the old schema both enforce the new CHECK (SQLite names
        // the failed constraint by its text) and no longer build a temporary b-tree for it.
        for connection in [db, other] {
            try connection.run(insert, ["c"])
            let error = #expect(throws: SQLiteError.self) { try connection.run(insert, ["d"]) }
            #expect(error?.message.contains("kind = 'a' OR kind = 'b' OR kind = 'c'") == true)
            #expect(try Self.ephemeralTables(connection, insert) == 0)
        }
        #expect(try db.rows("SELECT kind, note FROM t ORDER BY id").map { [$0.string(0), $0.string(1)] }
            == [["b", "kept"], ["c", nil], ["c", nil]])
        #expect(try db.integrityCheck() == ["ok"])
    }

    @Test func aRewriteThatDoesNotFitChangesNothing() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (a TEXT CHECK (a IN ('x', 'y', 'z')), b TEXT CHECK (b IN ('x', 'y', 'z')))")
        let schema = { try db.rows("SELECT sql FROM sqlite_schema").compactMap { $0.string(0) } }
        let original = try schema()
        let version = try db.scalar("PRAGMA schema_version")
        // Absent, or present more than once: left alone.
        let rewritten = try db.transaction {
            [try db.rewriteTableDefinition("t", replacing: "a IN ('x', 'y')", with: "a = 'x'"),
             try db.rewriteTableDefinition("t", replacing: "IN ('x', 'y', 'z')", with: "= 'x'"),
             try db.rewriteTableDefinition("missing", replacing: "a", with: "b")]
        }
        #expect(rewritten == [false, false, false])
        #expect(try schema() == original)
        #expect(try db.scalar("PRAGMA schema_version") == version)
        // A text SQLite cannot parse throws inside the transaction, which rolls back to the old schema.
        #expect(throws: SQLiteError.self) {
            try db.transaction { try db.rewriteTableDefinition("t", replacing: "a IN ('x', 'y', 'z')", with: "a IN (") }
        }
        #expect(try schema() == original)
        #expect(try db.row("PRAGMA writable_schema")?.int(0) == 0)
        try db.run("INSERT INTO t (a, b) VALUES ('x', 'z')")
        #expect(throws: SQLiteError.self) { try db.run("INSERT INTO t (a, b) VALUES ('w', 'z')") }
        #expect(try db.integrityCheck() == ["ok"])
    }

    /// Where SQLite refuses schema edits (defensive mode, on by default in some platforms' builds), the
    /// table keeps its definition and the caller's transaction goes on.
    @Test func aDefensiveConnectionKeepsItsDefinitions() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (a TEXT CHECK (a IN ('x', 'y', 'z')))")
        #expect(db.setDefensive(true))
        let rewritten = try db.transaction {
            try db.run("INSERT INTO t (a) VALUES ('x')")
            return try db.rewriteCheckList("t", column: "a", values: ["x", "y", "z"])
        }
        #expect(!rewritten)
        #expect(try db.row("SELECT sql FROM sqlite_master WHERE name = 't'")?.string(0) == "CREATE TABLE t (a TEXT CHECK (a IN ('x', 'y', 'z')))")
        #expect(try db.row("SELECT count(*) FROM t")?.int(0) == 1)
        #expect(try Self.ephemeralTables(db, "INSERT INTO t (a) VALUES (?)") == 1)
        #expect(!db.setDefensive(false))
        #expect(try db.transaction { try db.rewriteCheckList("t", column: "a", values: ["x", "y", "z"]) })
        #expect(try Self.ephemeralTables(db, "INSERT INTO t (a) VALUES (?)") == 0)
    }

    @Test func aReadOnlyConnectionCannotWrite() throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try Connection(path: path)
        try writer.execute("CREATE TABLE t (v INTEGER)")
        try writer.run("INSERT INTO t VALUES (1)")
        let reader = try Connection(path: path, readOnly: true)
        #expect(try reader.scalar("SELECT count(*) FROM t") == .integer(1))
        #expect(throws: SQLiteError.self) { try reader.run("INSERT INTO t VALUES (2)") }
        #expect(throws: SQLiteError.self) { try Connection(path: directory.appendingPathComponent("missing.sqlite").path, readOnly: true) }
    }

    /// `read` gives a read-only connection one snapshot: a commit made meanwhile shows only after it.
    @Test func aReadSeesOneSnapshot() throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try Connection(path: path)
        try writer.execute("CREATE TABLE t (v INTEGER)")
        try writer.run("INSERT INTO t VALUES (1)")
        let reader = try Connection(path: path, readOnly: true)
        let (before, after) = try reader.read {
            let before = try reader.scalar("SELECT count(*) FROM t")
            try writer.run("INSERT INTO t VALUES (2)")
            let after = try reader.scalar("SELECT count(*) FROM t")
            return (before, after)
        }
        #expect(before == .integer(1))
        #expect(after == .integer(1))
        #expect(!reader.isInTransaction)
        #expect(try reader.scalar("SELECT count(*) FROM t") == .integer(2))
        // A throw inside ends the read too.
        struct Boom: Error {}
        #expect(throws: Boom.self) { try reader.read { _ = try reader.scalar("SELECT 1"); throw Boom() } }
        #expect(!reader.isInTransaction)
    }

    @Test func aFailedTransactionRollsBack() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (v INTEGER)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(0))
        #expect(!db.isInTransaction)
    }

    /// Values are bound without a copy (SQLite is told they are static): the edge cases of that path.
    /// The statement cache looks literals up by the address of their bytes. Strings built at run time
    /// reuse addresses (short ones live in a temporary on the stack, freed long ones are reallocated), so
    /// every one of these must still get its own statement.
    @Test func statementsBuiltAtRunTimeNeverGetAnotherStringsStatement() throws {
        let db = try Connection(path: ":memory:")
        for i in 0..<300 {
            let short = "SELECT \(i)"
            #expect(try db.scalar(short) == .integer(Int64(i)))
            let long = "SELECT \(i) + 0 AS value_with_a_long_enough_name_to_live_on_the_heap"
            #expect(try db.scalar(long) == .integer(Int64(i)))
            #expect(try db.scalar("SELECT 7 AS literal_value") == .integer(7))
        }
    }

    @Test func staticBindingKeepsEmptyValuesNulBytesAndRebindsCleanly() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (k INTEGER, s TEXT, b BLOB)")
        try db.run("INSERT INTO t VALUES (?, ?, ?)", [Int64(1), "", [UInt8]()])
        // HL7 text can carry a NUL a sender left in; it must come back whole, not cut at the NUL.
        try db.run("INSERT INTO t VALUES (?, ?, ?)", [Int64(2), "PID|1\u{0}||E100^^^RMC", [UInt8]([0x00, 0x0b, 0x00])])
        // Bound values are the Swift strings' own bytes: a string built at run time, not a literal.
        let built = (0..<50).map { "OBX|\($0)|NM|2823-3^Potassium^LN||4.\($0 % 10)|mmol/L" }.joined(separator: "\r")
        try db.run("INSERT INTO t VALUES (?, ?, ?)", [Int64(3), built, Array(built.utf8)])
        let empty = try #require(try db.row("SELECT s, b, typeof(s), typeof(b) FROM t WHERE k = 1"))
        #expect(empty.string(0) == "")
        #expect(empty.blob(1) == [])
        #expect(empty.string(2) == "text")
        #expect(empty.string(3) == "blob")
        let nul = try #require(try db.row("SELECT s, b, length(CAST(s AS BLOB)) FROM t WHERE k = 2"))
        #expect(nul.string(0) == "PID|1\u{0}||E100^^^RMC")
        #expect(nul.blob(1) == [0x00, 0x0b, 0x00])
        #expect(nul.int(2) == 18)
        let long = try #require(try db.row("SELECT s, b FROM t WHERE k = 3"))
        #expect(long.string(0) == built)
        #expect(long.blob(1) == Array(built.utf8))
        // The same cached statement run again with fewer values: the missing ones are NULL, not the last run's.
        try db.run("INSERT INTO t VALUES (?, ?, ?)", [Int64(4), "kept", [UInt8]([1])])
        try db.run("INSERT INTO t (k, s, b) VALUES (?1, ?2, ?3)", [Int64(5), "x", [UInt8]([2])])
        try db.run("INSERT INTO t (k, s, b) VALUES (?1, ?2, ?3)", [Int64(6)])
        let partial = try #require(try db.row("SELECT s, b FROM t WHERE k = 6"))
        #expect(partial[0] == .null)
        #expect(partial[1] == .null)
        // A query whose parameters come from a temporary string still matches after the string is gone.
        for k in 1...3 {
            let key = String(k)
            #expect(try db.scalar("SELECT count(*) FROM t WHERE CAST(k AS TEXT) = ?", [key]) == .integer(1))
        }
    }
}
