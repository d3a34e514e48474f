#ifndef CONCORD_CSQLITE_SHIM_H
#define CONCORD_CSQLITE_SHIM_H
#include <sqlite3.h>
// SQLITE_TRANSIENT is a cast macro Swift cannot import.
static inline sqlite3_destructor_type concord_sqlite_transient(void) { return SQLITE_TRANSIENT; }
// Process-wide settings, before the first connection opens (sqlite3_config is variadic: not importable).
// Memory statistics off: with them on, every one of SQLite's allocations takes a global mutex.
static inline int concord_sqlite_configure(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
#endif
