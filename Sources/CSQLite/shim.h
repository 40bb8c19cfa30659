#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift cannot call: these wrap the one
 * setting the store makes before SQLite initializes. */

/* Stops SQLite counting the memory it allocates. The count takes a global
 * mutex on every allocation, and the store never reads it. Returns
 * SQLITE_MISUSE once SQLite has initialized, when it is too late. */
static inline int monitor_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
