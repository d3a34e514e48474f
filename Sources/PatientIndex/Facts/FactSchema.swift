import SQLite

/// The fact ledger's tables (migration versions 100–199).
///
/// - `fact_instance`: every fact as one source record stated it (append-only; the unit of provenance).
/// - `unified_fact`: the unified facts of each enterprise patient, materialized at refresh and clustered
///   by `(enterprise_id, id)`, so a read is one range and never recomputes identity.
/// - `fact_flag`: duplicate-test flags by stable id, with a status a steward sets that survives refreshes.
enum FactSchema {
    static let migrations: [Migration] = [
        Migration(version: 100, sql: """
            CREATE TABLE fact_instance (
                id INTEGER PRIMARY KEY,
                source_record_id INTEGER NOT NULL,
                message_log_id INTEGER,
                kind TEXT NOT NULL,
                facility TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                body BLOB NOT NULL,
                provenance BLOB NOT NULL,
                local_system TEXT,
                local_code TEXT,
                local_display TEXT,
                recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                UNIQUE (source_record_id, fingerprint)
            );
            CREATE INDEX fact_instance_local_code ON fact_instance (local_code) WHERE local_code IS NOT NULL;
            CREATE INDEX fact_instance_message ON fact_instance (message_log_id) WHERE message_log_id IS NOT NULL;

            CREATE TABLE unified_fact (
                seq INTEGER PRIMARY KEY,
                enterprise_id TEXT NOT NULL,
                id TEXT NOT NULL,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                t_start REAL,
                t_end REAL,
                data BLOB NOT NULL
            );
            CREATE UNIQUE INDEX unified_fact_id ON unified_fact (enterprise_id, id);
            CREATE INDEX unified_fact_by_kind_time ON unified_fact (enterprise_id, kind, t_start);

            CREATE TABLE fact_flag (
                id TEXT NOT NULL UNIQUE,
                enterprise_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'dismissed')),
                active INTEGER NOT NULL DEFAULT 1,
                later_time REAL,
                data BLOB NOT NULL,
                first_seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
            );
            CREATE INDEX fact_flag_patient ON fact_flag (enterprise_id, active);
            CREATE INDEX fact_flag_open ON fact_flag (active, status);
            """),
        // Fewer b-trees per fact, for ingest throughput: `unified_fact` becomes one b-tree clustered by
        // patient (a read is one contiguous range; the kind and time filters run on the columns of that
        // range, no index needed), and the per-message index of `fact_instance` goes (nothing queried it).
        Migration(version: 101, sql: """
            DROP INDEX fact_instance_message;
            CREATE TABLE unified_fact_v2 (
                enterprise_id TEXT NOT NULL,
                id TEXT NOT NULL,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                t_start REAL,
                t_end REAL,
                data BLOB NOT NULL,
                PRIMARY KEY (enterprise_id, id)
            ) WITHOUT ROWID;
            INSERT INTO unified_fact_v2 (enterprise_id, id, kind, state, t_start, t_end, data)
                SELECT enterprise_id, id, kind, state, t_start, t_end, data FROM unified_fact;
            DROP TABLE unified_fact;
            ALTER TABLE unified_fact_v2 RENAME TO unified_fact;
            """),
        // A flag's status CHECK as comparisons: no temporary b-tree on every flag written.
        Migration(version: 102) { db in
            try db.rewriteCheckList("fact_flag", column: "status", values: ["open", "acknowledged", "dismissed"])
        },
    ]
}
