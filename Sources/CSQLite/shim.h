#ifndef CONCORD_CSQLITE_SHIM_H
#define CONCORD_CSQLITE_SHIM_H
#include <sqlite3.h>
// SQLITE_TRANSIENT is a cast macro Swift cannot import.
static inline sqlite3_destructor_type concord_sqlite_transient(void) { return SQLITE_TRANSIENT; }
// Process-wide settings, before the first connection opens (sqlite3_config is variadic: not importable).
// Memory statistics off: with them on, every one of SQLite's allocations takes a global mutex.
static inline int concord_sqlite_configure(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
// The WAL hook runs after every commit with the WAL's size in frames; this one only records it, for a
// Swift owner that checkpoints on its own thread. Installing it also turns SQLite's autocheckpoint off.
static int concord_sqlite_record_wal_frames(void *frames, sqlite3 *db, const char *name, int n) {
    (void)db; (void)name;
    *(int *)frames = n;
    return SQLITE_OK;
}
static inline void concord_sqlite_track_wal(sqlite3 *db, int *frames) {
    sqlite3_wal_hook(db, concord_sqlite_record_wal_frames, frames);
}
// SQLite's defensive mode (sqlite3_db_config is variadic): on, it refuses writable_schema edits.
// `on` 1 or 0 sets it, -1 only asks. Returns the mode now in force, or -1 when the call failed.
static inline int concord_sqlite_set_defensive(sqlite3 *db, int on) {
    int now = -1;
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, on, &now) == SQLITE_OK ? now : -1;
}
#endif
