internal import CSQLite
import Foundation

// A thin, safe wrapper over sqlite3: one class per C handle (`Connection` owns `sqlite3 *`, `Statement`
// owns `sqlite3_stmt *`), both freed in deinit; values cross as `SQLValue`; SQL takes bound parameters
// only. Entry points: `Connection`, `Statement`, `Row`, `SQLValue`, `SQLiteError`, `Migration`.

/// A value bound to or read from SQLite.
package enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// Things that can be bound as a parameter.
package protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLBindable { package var sqlValue: SQLValue { self } }
extension Int: SQLBindable { package var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { package var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLBindable { package var sqlValue: SQLValue { .real(self) } }
extension String: SQLBindable { package var sqlValue: SQLValue { .text(self) } }
extension Bool: SQLBindable { package var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension Array: SQLBindable where Element == UInt8 { package var sqlValue: SQLValue { .blob(self) } }
extension Data: SQLBindable { package var sqlValue: SQLValue { .blob([UInt8](self)) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    package var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// An error from SQLite, with its result code and SQLite's own message. Bound values are never included
/// (they may be patient data).
package struct SQLiteError: Error, Equatable, CustomStringConvertible {
    /// The extended SQLite result code.
    package var code: Int32
    package var message: String
    /// The SQL being run, when known (statement text only; no values).
    package var sql: String?

    package init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// Whether the error is a constraint violation (UNIQUE, FOREIGN KEY, CHECK …).
    package var isConstraint: Bool { code & 0xFF == SQLITE_CONSTRAINT }
    /// Whether the error is SQLITE_BUSY (another connection holds the lock).
    package var isBusy: Bool { code & 0xFF == SQLITE_BUSY }

    package static func == (lhs: SQLiteError, rhs: SQLiteError) -> Bool { lhs.code == rhs.code }

    package var description: String {
        "SQLite error \(code): \(message)" + (sql.map { " [\($0.prefix(120))]" } ?? "")
    }
}

/// One SQLite database connection. Not thread-safe: use each connection from one thread at a time (the
/// index uses one write connection on its writer and separate read connections).
package final class Connection {
    private let db: OpaquePointer
    package let path: String
    private var statementCache: [String: Statement] = [:]
    private var statementsByAddress: [Int: Statement] = [:]
    /// Set by ``checkpointInBackground(threshold:walLimit:)``; released only after `db` is closed, as
    /// it holds the counter SQLite's WAL hook writes.
    private var backgroundCheckpoints: BackgroundCheckpoints?

    /// Opens (creating when `readOnly` is false) the database at `path` (`:memory:` for a private in-memory db).
    /// Sets a busy timeout, turns foreign keys on, and for writable file databases WAL mode with
    /// `synchronous=FULL`: a commit is durable when it returns (unless ``deferCommitSync()`` is called).
    package init(path: String, readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = 10_000) throws {
        _ = Self.configured
        self.path = path
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open database"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message)
        }
        self.db = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        try execute("PRAGMA foreign_keys = ON")
        if !readOnly && path != ":memory:" && !path.isEmpty {
            try execute("PRAGMA journal_mode = WAL")
            try execute("PRAGMA synchronous = FULL")
        }
    }

    /// SQLite's process-wide configuration, applied once before the first connection opens.
    private static let configured: Void = { _ = concord_sqlite_configure() }()

    deinit {
        backgroundCheckpoints?.stop()
        statementsByAddress.removeAll()
        statementCache.removeAll()
        sqlite3_close_v2(db)
    }

    /// Moves this write connection's WAL checkpoints to a thread and a connection of their own (see
    /// ``BackgroundCheckpoints``): after a commit that grew the WAL by `threshold` frames a checkpoint
    /// is started there, and once the WAL holds `walLimit` frames the next transaction first waits for
    /// one to finish, so that it starts the WAL over. Turns SQLite's autocheckpoint off. For file
    /// databases only; call once, before the first transaction.
    package func checkpointInBackground(threshold: Int = 8_192, walLimit: Int = 262_144, smallCommitFrames: Int = 0, finalTail: Int = 1_024) throws {
        guard backgroundCheckpoints == nil, path != ":memory:", !path.isEmpty else { return }
        let checkpoints = try BackgroundCheckpoints(
            path: path, threshold: threshold, walLimit: walLimit, smallCommitFrames: smallCommitFrames, finalTail: finalTail)
        backgroundCheckpoints = checkpoints
        concord_sqlite_track_wal(db, checkpoints.walFrames)
    }

    /// Leaves this write connection's durability to the caller: its commits are no longer fsynced inside
    /// `COMMIT` (`synchronous=NORMAL`; SQLite still keeps the database consistent), and a commit is
    /// durable once the returned ``WALSync``'s `sync()`, called after the commit returned, has returned.
    /// Whoever calls this must not report a commit as stored before that. For file databases only; call
    /// before the first transaction.
    package func deferCommitSync() throws -> WALSync {
        guard path != ":memory:", !path.isEmpty else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "a deferred commit sync needs a database file")
        }
        // The WAL's real path, as SQLite resolved it (absolute, symbolic links followed): a path built from
        // `path` would name another file, or none, when the database is reached through a link.
        guard let name = sqlite3_db_filename(db, "main"), let wal = sqlite3_filename_wal(name) else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "the database has no WAL file name")
        }
        let walPath = String(cString: wal)
        try execute("PRAGMA synchronous = NORMAL")
        return WALSync(walPath: walPath)
    }

    /// Waits until the background checkpoints have copied back every committed frame (see
    /// ``BackgroundCheckpoints/catchUp()``); returns at once when checkpoints are SQLite's own.
    /// Call on the writer's thread, outside a transaction.
    package func catchUpBackgroundCheckpoints() {
        backgroundCheckpoints?.catchUp()
    }

    /// What the background checkpoints have done (nil when checkpoints are SQLite's own).
    package var backgroundCheckpointCounters: BackgroundCheckpointCounters? { backgroundCheckpoints?.snapshot }

    /// Runs a PASSIVE checkpoint: copies back what it can without waiting for readers or the writer.
    /// Returns the WAL's size and how many of its frames are now in the database.
    package func passiveCheckpoint() throws -> (walFrames: Int, checkpointed: Int) {
        var log: Int32 = 0
        var done: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &done)
        guard rc == SQLITE_OK else { throw lastError(sql: "wal_checkpoint(PASSIVE)", code: rc) }
        return (Int(log), Int(done))
    }

    func lastError(sql: String? = nil, code: Int32? = nil) -> SQLiteError {
        SQLiteError(code: code ?? sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)), sql: sql)
    }

    /// Runs one or more statements without parameters (schema, pragmas).
    package func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    /// Compiles a statement. Prefer ``cached(_:)`` for statements run many times.
    package func prepare(_ sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw lastError(sql: sql, code: rc) }
        return Statement(handle: stmt, connection: self, sql: sql)
    }

    /// A prepared statement kept for the connection's lifetime, reset and with bindings cleared.
    package func cached(_ sql: String) throws -> Statement {
        // Almost every statement is a string literal, whose bytes stay at one address: looking it up by
        // that address skips hashing the whole SQL text on every call. The text is still compared (equal
        // storage compares in constant time), so a reused address of another string only misses.
        let address = sql.utf8.withContiguousStorageIfAvailable { Int(bitPattern: $0.baseAddress) } ?? 0
        if address != 0, let statement = statementsByAddress[address], statement.sql == sql {
            statement.reset()
            return statement
        }
        let statement: Statement
        if let known = statementCache[sql] {
            known.reset()
            statement = known
        } else {
            statement = try prepare(sql)
            statementCache[sql] = statement
        }
        if address != 0 { statementsByAddress[address] = statement }
        return statement
    }

    /// Runs a statement with bound parameters and returns the number of rows changed.
    @discardableResult
    package func run(_ sql: String, _ parameters: [SQLBindable] = []) throws -> Int {
        let statement = try cached(sql)
        defer { statement.reset() }
        return try statement.withBindings(parameters) {
            while try statement.step() {}
            return changes
        }
    }

    /// Runs a query with bound parameters and returns every row.
    package func rows(_ sql: String, _ parameters: [SQLBindable] = []) throws -> [Row] {
        let statement = try cached(sql)
        defer { statement.reset() }
        return try statement.withBindings(parameters) {
            var result: [Row] = []
            while try statement.step() { result.append(statement.row()) }
            return result
        }
    }

    /// Runs a query and hands `body` the bytes of each row's first column as text, without making a
    /// `Row` or a `String` of it (for scans of a whole index). The bytes are valid only during the call.
    package func forEachText(_ sql: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) throws {
        let statement = try cached(sql)
        defer { statement.reset() }
        try statement.withBindings([]) {
            while try statement.step() { statement.withText(column: 0, body) }
        }
    }

    /// The first row of a query, or `nil`.
    package func row(_ sql: String, _ parameters: [SQLBindable] = []) throws -> Row? {
        let statement = try cached(sql)
        defer { statement.reset() }
        return try statement.withBindings(parameters) { try statement.step() ? statement.row() : nil }
    }

    /// The first column of the first row, or `.null`.
    package func scalar(_ sql: String, _ parameters: [SQLBindable] = []) throws -> SQLValue {
        try row(sql, parameters)?.values.first ?? .null
    }

    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(db) }
    package var changes: Int { Int(sqlite3_changes(db)) }
    package var isInTransaction: Bool { sqlite3_get_autocommit(db) == 0 }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE` … `COMMIT`), rolling back when it throws.
    @discardableResult
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        backgroundCheckpoints?.beforeBegin()
        try control("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try control("COMMIT")
            if backgroundCheckpoints?.afterCommit() == true {
                // Busy when the checkpointing thread is at it: then that one does the work.
                _ = try? passiveCheckpoint()
            }
            return value
        } catch {
            try? control("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in one read transaction (`BEGIN` … `COMMIT`), so all its statements see the same
    /// snapshot; inside a transaction already, it just runs `body`. Works on read-only connections.
    package func read<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction { return try body() }
        try control("BEGIN")
        do {
            let value = try body()
            try control("COMMIT")
            return value
        } catch {
            try? control("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` inside a savepoint: when it throws, only its own changes are rolled back and the
    /// enclosing transaction goes on (one bad message in a group commit does not undo the others).
    @discardableResult
    package func savepoint<T>(_ name: String = "sp", _ body: () throws -> T) throws -> T {
        // The name is spliced into SQL, so it must be a plain identifier (callers pass literals).
        precondition(!name.isEmpty && name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) },
                     "savepoint name must be an identifier")
        try control("SAVEPOINT \(name)")
        do {
            let value = try body()
            try control("RELEASE \(name)")
            return value
        } catch {
            try? control("ROLLBACK TO \(name)")
            try? control("RELEASE \(name)")
            throw error
        }
    }

    /// Runs a transaction-control statement (BEGIN, COMMIT, SAVEPOINT …) from the statement cache: a group
    /// commit runs two of them per message, and `sqlite3_exec` would compile each one every time.
    private func control(_ sql: String) throws {
        let statement = try cached(sql)
        defer { statement.reset() }
        while try statement.step() {}
    }

    /// Applies each migration not yet recorded in the `schema_migrations` table, in version order, each
    /// in its own transaction. Modules keep their own version ranges (the index store 1–99, the fact
    /// ledger 100–199), so each can grow without renumbering the other.
    package func migrate(_ migrations: [Migration]) throws {
        try execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))")
        let applied = Set(try rows("SELECT version FROM schema_migrations").compactMap { $0.int(0) })
        for migration in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(Int64(migration.version)) {
            try transaction {
                try execute(migration.sql)
                try migration.apply?(self)
                try run("INSERT INTO schema_migrations (version) VALUES (?)", [migration.version])
            }
        }
    }

    /// How often each cached statement ran since it was prepared, and how many virtual-machine steps
    /// those runs took (SQLite's own per-statement counters), most-run first: what a benchmark reports to
    /// say where a workload's statements go.
    package func statementProfile() -> [(sql: String, runs: Int, steps: Int)] {
        statementCache.values.map { ($0.sql, $0.status(SQLITE_STMTSTATUS_RUN), $0.status(SQLITE_STMTSTATUS_VM_STEP)) }
            .filter { $0.1 > 0 }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    /// Replaces `fragment` in the stored `CREATE TABLE` text of `table` with `replacement`: SQLite's
    /// documented procedure for a change that leaves every stored byte valid, such as rewriting a CHECK
    /// constraint every row already satisfies ("Making Other Kinds Of Table Schema Changes" on its ALTER
    /// TABLE page), without copying the table. Call it inside a transaction.
    ///
    /// Returns false and changes nothing when the fragment does not occur exactly once (byte for byte) or
    /// SQLite refuses schema edits (its defensive mode): the table keeps its definition. Otherwise the
    /// schema version is bumped, so other connections re-read the schema, and this connection re-reads it
    /// at once: a text SQLite cannot parse throws here and the caller's transaction rolls back instead of
    /// committing an unreadable schema.
    @discardableResult
    package func rewriteTableDefinition(_ table: String, replacing fragment: String, with replacement: String) throws -> Bool {
        precondition(isInTransaction, "rewriteTableDefinition runs inside the caller's transaction")
        guard !isDefensive else { return false }
        guard let sql = try once("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).first?.string(0) else {
            return false
        }
        let text = Array(sql.utf8), pattern = Array(fragment.utf8)
        guard !pattern.isEmpty, pattern.count <= text.count else { return false }
        let starts = (0...(text.count - pattern.count)).filter { text[$0..<($0 + pattern.count)].elementsEqual(pattern) }
        guard starts.count == 1, let at = starts.first else { return false }
        let rewritten = String(decoding: text[..<at] + Array(replacement.utf8) + text[(at + pattern.count)...], as: UTF8.self)
        guard case .integer(let version) = try once("PRAGMA schema_version").first?.values.first else {
            throw SQLiteError(code: SQLITE_ERROR, message: "no schema version", sql: "PRAGMA schema_version")
        }
        try execute("PRAGMA writable_schema = ON")
        // RESET turns editing off and reloads this connection's schema from what is now stored.
        defer { try? execute("PRAGMA writable_schema = RESET") }
        guard case .integer(1) = try once("PRAGMA writable_schema").first?.values.first else { return false }
        try once("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", [rewritten, table])
        try execute("PRAGMA schema_version = \(version + 1)")
        guard case .integer(version + 1) = try once("PRAGMA schema_version").first?.values.first else {
            throw SQLiteError(code: SQLITE_ERROR, message: "schema version of \(table) not bumped", sql: "PRAGMA schema_version")
        }
        try execute("PRAGMA writable_schema = RESET")
        // Any table reference makes SQLite parse the whole schema again.
        try once("SELECT 1 FROM sqlite_master LIMIT 0")
        return true
    }

    /// Rewrites `column IN ('a', 'b', …)` in `table`'s CHECK as `column = 'a' OR column = 'b' OR …`, the
    /// same condition (SQLite defines IN as those comparisons, with the column's affinity and collation;
    /// NULL passes both). SQLite codes an IN list of more than two values as a temporary b-tree that it
    /// builds, fills and frees on every insert or update the CHECK covers; the comparisons cost a few
    /// instructions. `separator` is what the original text has between `IN` and the list. A table written
    /// another way keeps its CHECK (``rewriteTableDefinition(_:replacing:with:)``): slower, still right.
    @discardableResult
    package func rewriteCheckList(_ table: String, column: String, values: [String], separator: String = " ") throws -> Bool {
        let list = values.map { "'\($0)'" }
        return try rewriteTableDefinition(table, replacing: "\(column) IN\(separator)(\(list.joined(separator: ", ")))",
                                          with: list.map { "\(column) = \($0)" }.joined(separator: " OR "))
    }

    /// Runs a statement compiled for this call only (kept out of the statement cache) and returns its rows.
    @discardableResult
    private func once(_ sql: String, _ parameters: [SQLBindable] = []) throws -> [Row] {
        let statement = try prepare(sql)
        return try statement.withBindings(parameters) {
            var result: [Row] = []
            while try statement.step() { result.append(statement.row()) }
            return result
        }
    }

    /// Turns SQLite's defensive mode on or off for this connection (some platforms' SQLite turns it on
    /// by default); returns whether it is now on.
    @discardableResult
    package func setDefensive(_ on: Bool) -> Bool { concord_sqlite_set_defensive(db, on ? 1 : 0) == 1 }

    /// Whether SQLite's defensive mode is on for this connection.
    package var isDefensive: Bool { concord_sqlite_set_defensive(db, -1) == 1 }

    /// Runs `PRAGMA integrity_check` and returns its lines (`["ok"]` when sound).
    package func integrityCheck() throws -> [String] {
        try rows("PRAGMA integrity_check").compactMap { $0.string(0) }
    }

    /// Forces a WAL checkpoint (truncating the WAL file).
    package func checkpoint() throws {
        try execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }
}

/// One schema migration: applied once, in version order, in one transaction: its SQL, then `apply` (for a
/// step SQL alone cannot say, such as ``Connection/rewriteTableDefinition(_:replacing:with:)``).
package struct Migration: Sendable {
    package var version: Int
    package var sql: String
    package var apply: (@Sendable (Connection) throws -> Void)?

    package init(version: Int, sql: String = "", apply: (@Sendable (Connection) throws -> Void)? = nil) {
        self.version = version
        self.sql = sql
        self.apply = apply
    }
}

/// A compiled SQL statement, owned by one connection.
package final class Statement {
    private let handle: OpaquePointer
    private unowned let connection: Connection
    package let sql: String
    private lazy var columnNames: [String] = (0..<sqlite3_column_count(handle)).map {
        sqlite3_column_name(handle, $0).map { String(cString: $0) } ?? ""
    }

    fileprivate init(handle: OpaquePointer, connection: Connection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// One of SQLite's counters of this statement (`SQLITE_STMTSTATUS_…`).
    fileprivate func status(_ counter: Int32) -> Int { Int(sqlite3_stmt_status(handle, counter, 0)) }

    /// Binds `parameters` without copying them and runs `body` (which steps the statement) while they are
    /// bound. SQLite is told the values are static (no copy of each text and blob into its own heap): they
    /// are the Swift values' own bytes, valid for exactly as long as `body` runs, since each one is bound
    /// inside its `withUTF8`/`withUnsafeBytes` scope. Reset the statement before its values go away (the
    /// callers do, in `defer`), and bind again before stepping it again.
    package func withBindings<R>(_ parameters: [SQLBindable], _ body: () throws -> R) throws -> R {
        if parameters.count < Int(sqlite3_bind_parameter_count(handle)) { sqlite3_clear_bindings(handle) }
        return try bindStatic(parameters.map(\.sqlValue), from: 0, body)
    }

    private func bindStatic<R>(_ values: [SQLValue], from i: Int, _ body: () throws -> R) throws -> R {
        guard i < values.count else { return try body() }
        let index = Int32(i + 1)
        func check(_ rc: Int32) throws { guard rc == SQLITE_OK else { throw connection.lastError(sql: sql, code: rc) } }
        switch values[i] {
        case .null: try check(sqlite3_bind_null(handle, index))
        case .integer(let v): try check(sqlite3_bind_int64(handle, index, v))
        case .real(let v): try check(sqlite3_bind_double(handle, index, v))
        case .text(var v):
            return try v.withUTF8 { bytes in
                try bytes.withMemoryRebound(to: CChar.self) { chars in
                    // A zero-length text still needs a non-null pointer: SQLite copies that one.
                    if let base = chars.baseAddress {
                        try check(sqlite3_bind_text64(handle, index, base, sqlite3_uint64(chars.count), nil, UInt8(SQLITE_UTF8)))
                    } else {
                        try check(sqlite3_bind_text64(handle, index, "", 0, concord_sqlite_transient(), UInt8(SQLITE_UTF8)))
                    }
                    return try bindStatic(values, from: i + 1, body)
                }
            }
        case .blob(let v):
            return try v.withUnsafeBytes { raw in
                if let base = raw.baseAddress {
                    try check(sqlite3_bind_blob64(handle, index, base, sqlite3_uint64(raw.count), nil))
                } else {
                    try check(sqlite3_bind_zeroblob(handle, index, 0))
                }
                return try bindStatic(values, from: i + 1, body)
            }
        }
        return try bindStatic(values, from: i + 1, body)
    }

    /// Advances to the next row: `true` when a row is available, `false` when done.
    package func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.lastError(sql: sql, code: rc)
        }
    }

    package func reset() {
        sqlite3_reset(handle)
    }

    /// The bytes of a column of the current row as text (empty for NULL), valid only during `body`.
    fileprivate func withText(column: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        // sqlite3_column_text first: the length is of the text it converted to.
        guard let text = sqlite3_column_text(handle, column) else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        body(UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column))))
    }

    /// The current row's values.
    package func row() -> Row {
        let count = sqlite3_column_count(handle)
        var values: [SQLValue] = []
        values.reserveCapacity(Int(count))
        for i in 0..<count {
            switch sqlite3_column_type(handle, i) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(handle, i)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(handle, i)))
            case SQLITE_TEXT:
                if let text = sqlite3_column_text(handle, i) {
                    let length = Int(sqlite3_column_bytes(handle, i))
                    values.append(.text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self)))
                } else {
                    values.append(.null)
                }
            case SQLITE_BLOB:
                let length = Int(sqlite3_column_bytes(handle, i))
                if let bytes = sqlite3_column_blob(handle, i), length > 0 {
                    values.append(.blob(Array(UnsafeRawBufferPointer(start: bytes, count: length))))
                } else {
                    values.append(.blob([]))
                }
            default: values.append(.null)
            }
        }
        return Row(columns: columnNames, values: values)
    }
}

/// A row read from a query: values by position or by column name.
package struct Row: Sendable, Hashable {
    package var columns: [String]
    package var values: [SQLValue]

    package subscript(_ index: Int) -> SQLValue { index < values.count ? values[index] : .null }
    package subscript(_ name: String) -> SQLValue {
        columns.firstIndex(of: name).map { values[$0] } ?? .null
    }

    package func int(_ index: Int) -> Int64? { if case .integer(let v) = self[index] { return v } else { return nil } }
    package func int(_ name: String) -> Int64? { if case .integer(let v) = self[name] { return v } else { return nil } }
    package func double(_ index: Int) -> Double? {
        switch self[index] { case .real(let v): return v; case .integer(let v): return Double(v); default: return nil }
    }
    package func double(_ name: String) -> Double? {
        switch self[name] { case .real(let v): return v; case .integer(let v): return Double(v); default: return nil }
    }
    package func string(_ index: Int) -> String? { if case .text(let v) = self[index] { return v } else { return nil } }
    package func string(_ name: String) -> String? { if case .text(let v) = self[name] { return v } else { return nil } }
    package func blob(_ index: Int) -> [UInt8]? {
        switch self[index] { case .blob(let v): return v; case .text(let v): return Array(v.utf8); default: return nil }
    }
    package func blob(_ name: String) -> [UInt8]? {
        switch self[name] { case .blob(let v): return v; case .text(let v): return Array(v.utf8); default: return nil }
    }
}
