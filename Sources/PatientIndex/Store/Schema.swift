import SQLite

/// The index store's schema, versions 1–99 (the fact ledger owns 100–199).
///
/// Rows hold Swift values as JSON (`record_data`, `golden_data`, `explanation_data`) so the schema does
/// not have to follow every field of the clinical model; the columns beside them are what queries and
/// constraints need. `link_history` is append-only: an undo is a new event that points back with
/// `reverses` and marks the original's `reversed_by`.
enum IndexSchema {
    static let migrations: [Migration] = [
        Migration(version: 1, sql: """
            CREATE TABLE message_log (
                id INTEGER PRIMARY KEY,
                received_at TEXT NOT NULL,
                channel TEXT NOT NULL CHECK (channel IN ('mllp', 'inbox', 'http', 'cli')),
                format TEXT,
                sender_application TEXT NOT NULL DEFAULT '',
                sender_facility TEXT NOT NULL DEFAULT '',
                control_id TEXT,
                sha256 TEXT NOT NULL,
                raw BLOB NOT NULL,
                status TEXT NOT NULL DEFAULT 'received'
                    CHECK (status IN ('received', 'ingested', 'failed', 'duplicate')),
                error TEXT,
                error_position TEXT,
                ack BLOB
            );
            CREATE UNIQUE INDEX message_log_control
                ON message_log (sender_application, sender_facility, control_id) WHERE control_id IS NOT NULL;
            CREATE INDEX message_log_status ON message_log (status, id);

            CREATE TABLE source_records (
                id INTEGER PRIMARY KEY,
                source_key TEXT NOT NULL,
                record_data BLOB NOT NULL,
                features_data BLOB NOT NULL,
                message_log_id INTEGER,
                merged_into INTEGER REFERENCES source_records (id),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );

            CREATE TABLE identifiers (
                record_id INTEGER NOT NULL REFERENCES source_records (id),
                authority_key TEXT NOT NULL,
                value TEXT NOT NULL,
                type TEXT,
                is_key INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX identifiers_record_key ON identifiers (authority_key, value) WHERE is_key = 1;
            CREATE INDEX identifiers_value ON identifiers (value);
            CREATE INDEX identifiers_record ON identifiers (record_id);

            CREATE TABLE blocking_keys (
                key TEXT NOT NULL,
                record_id INTEGER NOT NULL,
                PRIMARY KEY (key, record_id)
            ) WITHOUT ROWID;
            CREATE INDEX blocking_keys_record ON blocking_keys (record_id);

            CREATE TABLE enterprise_patients (
                id TEXT PRIMARY KEY,
                seq INTEGER NOT NULL UNIQUE,
                golden_data BLOB NOT NULL,
                birth_date TEXT,
                active INTEGER NOT NULL DEFAULT 1,
                merged_into TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            CREATE INDEX enterprise_patients_birth ON enterprise_patients (birth_date);

            CREATE TABLE search_terms (
                term TEXT NOT NULL,
                enterprise_id TEXT NOT NULL,
                PRIMARY KEY (term, enterprise_id)
            ) WITHOUT ROWID;
            CREATE INDEX search_terms_patient ON search_terms (enterprise_id);

            CREATE TABLE links (
                record_id INTEGER PRIMARY KEY REFERENCES source_records (id),
                enterprise_id TEXT NOT NULL REFERENCES enterprise_patients (id),
                explanation_data BLOB NOT NULL,
                grade TEXT NOT NULL,
                created_at TEXT NOT NULL
            );
            CREATE INDEX links_enterprise ON links (enterprise_id);

            CREATE TABLE review_queue (
                id INTEGER PRIMARY KEY,
                record_id INTEGER NOT NULL REFERENCES source_records (id),
                candidate_enterprise_id TEXT NOT NULL REFERENCES enterprise_patients (id),
                explanation_data BLOB NOT NULL,
                status TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'matched', 'not-a-match', 'withdrawn')),
                created_at TEXT NOT NULL,
                decided_by TEXT,
                decided_at TEXT,
                reason TEXT
            );
            CREATE INDEX review_queue_status ON review_queue (status, id);
            CREATE INDEX review_queue_record ON review_queue (record_id);

            CREATE TABLE not_a_match (
                record_a INTEGER NOT NULL,
                record_b INTEGER NOT NULL,
                review_id INTEGER,
                decided_by TEXT NOT NULL,
                decided_at TEXT NOT NULL,
                reason TEXT,
                PRIMARY KEY (record_a, record_b)
            ) WITHOUT ROWID;
            CREATE INDEX not_a_match_b ON not_a_match (record_b);

            CREATE TABLE link_history (
                event_id INTEGER PRIMARY KEY AUTOINCREMENT,
                time TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL CHECK (action IN
                    ('link', 'unlink', 'merge', 'unmerge', 'review-decision', 'source-merge', 'update', 'new')),
                record_id INTEGER,
                from_ep TEXT,
                to_ep TEXT,
                reason TEXT,
                explanation_data BLOB,
                detail_data BLOB,
                reverses INTEGER REFERENCES link_history (event_id),
                reversed_by INTEGER REFERENCES link_history (event_id)
            );
            CREATE INDEX link_history_from ON link_history (from_ep) WHERE from_ep IS NOT NULL;
            CREATE INDEX link_history_to ON link_history (to_ep) WHERE to_ep IS NOT NULL;
            CREATE TRIGGER link_history_append_only BEFORE DELETE ON link_history
                BEGIN SELECT RAISE(ABORT, 'link_history is append-only'); END;
            CREATE TRIGGER link_history_immutable BEFORE UPDATE OF event_id, time, actor, action, record_id,
                from_ep, to_ep, reason, explanation_data, detail_data, reverses ON link_history
                BEGIN SELECT RAISE(ABORT, 'link_history is append-only'); END;

            CREATE TABLE audit (
                id INTEGER PRIMARY KEY,
                time TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                patient_ids TEXT NOT NULL DEFAULT '',
                detail TEXT
            );

            CREATE TABLE name_frequencies (
                kind TEXT NOT NULL CHECK (kind IN ('family', 'given')),
                name TEXT NOT NULL,
                count INTEGER NOT NULL,
                PRIMARY KEY (kind, name)
            ) WITHOUT ROWID;

            CREATE TABLE models (
                id INTEGER PRIMARY KEY,
                version TEXT NOT NULL,
                created_at TEXT NOT NULL,
                actor TEXT NOT NULL,
                model_json BLOB NOT NULL
            );
            """),
        // Each record's blocking keys are kept with the record, so the few writes that remove them (an
        // update whose features changed, a source merge) delete exactly those rows by primary key, and the
        // per-record index on `blocking_keys` goes: it cost a second B-tree insert for each of a record's
        // dozen keys on every ingest. Keys are separated by U+001F (`BlockingKeys.separator`).
        Migration(version: 2, sql: """
            ALTER TABLE source_records ADD COLUMN block_keys TEXT;
            UPDATE source_records SET block_keys =
                (SELECT group_concat(key, char(31)) FROM blocking_keys b WHERE b.record_id = source_records.id);
            DROP INDEX blocking_keys_record;
            """),
        // What `/metrics` and `counts()` report, kept up to date by triggers in the transaction that changes
        // it, so a scrape reads a dozen rows instead of scanning the message log, the source records and the
        // enterprise patients (seconds at a million messages, and a long read that keeps the WAL from
        // starting over). The triggers follow every write path, steward operations and reprocessing
        // included. Names: `messages/<format or unknown>/<status>`, `enterprise_patients/active`,
        // `source_records/current`.
        Migration(version: 3, sql: """
            CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
            INSERT INTO counters (name, n)
                SELECT 'messages/' || ifnull(format, 'unknown') || '/' || status, count(*) FROM message_log GROUP BY 1;
            INSERT INTO counters (name, n) SELECT 'enterprise_patients/active', count(*) FROM enterprise_patients WHERE active = 1;
            INSERT INTO counters (name, n) SELECT 'source_records/current', count(*) FROM source_records WHERE merged_into IS NULL;

            CREATE TRIGGER counters_message_insert AFTER INSERT ON message_log BEGIN
                INSERT INTO counters (name, n) VALUES ('messages/' || ifnull(new.format, 'unknown') || '/' || new.status, 1)
                    ON CONFLICT (name) DO UPDATE SET n = n + 1;
            END;
            CREATE TRIGGER counters_message_update AFTER UPDATE OF format, status ON message_log
                WHEN old.format IS NOT new.format OR old.status IS NOT new.status BEGIN
                UPDATE counters SET n = n - 1 WHERE name = 'messages/' || ifnull(old.format, 'unknown') || '/' || old.status;
                INSERT INTO counters (name, n) VALUES ('messages/' || ifnull(new.format, 'unknown') || '/' || new.status, 1)
                    ON CONFLICT (name) DO UPDATE SET n = n + 1;
            END;
            CREATE TRIGGER counters_message_delete AFTER DELETE ON message_log BEGIN
                UPDATE counters SET n = n - 1 WHERE name = 'messages/' || ifnull(old.format, 'unknown') || '/' || old.status;
            END;

            CREATE TRIGGER counters_patient_insert AFTER INSERT ON enterprise_patients WHEN new.active = 1 BEGIN
                INSERT INTO counters (name, n) VALUES ('enterprise_patients/active', 1) ON CONFLICT (name) DO UPDATE SET n = n + 1;
            END;
            CREATE TRIGGER counters_patient_update AFTER UPDATE OF active ON enterprise_patients
                WHEN (old.active = 1) IS NOT (new.active = 1) BEGIN
                INSERT INTO counters (name, n) VALUES ('enterprise_patients/active', iif(new.active = 1, 1, -1))
                    ON CONFLICT (name) DO UPDATE SET n = n + excluded.n;
            END;
            CREATE TRIGGER counters_patient_delete AFTER DELETE ON enterprise_patients WHEN old.active = 1 BEGIN
                UPDATE counters SET n = n - 1 WHERE name = 'enterprise_patients/active';
            END;

            CREATE TRIGGER counters_record_insert AFTER INSERT ON source_records WHEN new.merged_into IS NULL BEGIN
                INSERT INTO counters (name, n) VALUES ('source_records/current', 1) ON CONFLICT (name) DO UPDATE SET n = n + 1;
            END;
            CREATE TRIGGER counters_record_update AFTER UPDATE OF merged_into ON source_records
                WHEN (old.merged_into IS NULL) IS NOT (new.merged_into IS NULL) BEGIN
                INSERT INTO counters (name, n) VALUES ('source_records/current', iif(new.merged_into IS NULL, 1, -1))
                    ON CONFLICT (name) DO UPDATE SET n = n + excluded.n;
            END;
            CREATE TRIGGER counters_record_delete AFTER DELETE ON source_records WHEN old.merged_into IS NULL BEGIN
                UPDATE counters SET n = n - 1 WHERE name = 'source_records/current';
            END;
            """),
        // Every review decision that declared a pair not a match, not only the first: undoing one decision
        // must not forget a pair another decision still asserts.
        Migration(version: 4, sql: """
            CREATE TABLE not_a_match_review (
                record_a INTEGER NOT NULL,
                record_b INTEGER NOT NULL,
                review_id INTEGER NOT NULL,
                PRIMARY KEY (record_a, record_b, review_id)
            ) WITHOUT ROWID;
            CREATE INDEX not_a_match_review_id ON not_a_match_review (review_id);
            INSERT INTO not_a_match_review (record_a, record_b, review_id)
                SELECT record_a, record_b, review_id FROM not_a_match WHERE review_id IS NOT NULL;
            """),
        // The CHECKs that list more than two values, written as comparisons (`Connection.rewriteCheckList`):
        // three of them ran on every logged message (channel, status, its history event).
        Migration(version: 5) { db in
            try db.rewriteCheckList("message_log", column: "channel", values: ["mllp", "inbox", "http", "cli"])
            try db.rewriteCheckList("message_log", column: "status", values: ["received", "ingested", "failed", "duplicate"])
            try db.rewriteCheckList("link_history", column: "action",
                                    values: ["link", "unlink", "merge", "unmerge", "review-decision", "source-merge", "update", "new"],
                                    separator: "\n        ")
            try db.rewriteCheckList("review_queue", column: "status", values: ["open", "matched", "not-a-match", "withdrawn"])
        },
        // Two lookups that read whole tables. A message without a control id (every C-CDA document and
        // FHIR bundle) is checked for an earlier copy by its hash; the records folded into one (ADT^A40)
        // are found by `merged_into` whenever a record moves between patients, where SQLite built an
        // automatic index over every source record each time. Both partial: few rows qualify.
        Migration(version: 6, sql: """
            CREATE INDEX message_log_sha256 ON message_log (sha256) WHERE control_id IS NULL;
            CREATE INDEX source_records_merged ON source_records (merged_into) WHERE merged_into IS NOT NULL;
            """),
    ]
}
