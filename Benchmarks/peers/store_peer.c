/*
 * The store benchmark's peer: the same rows as StoreBench writes per event,
 * written by plain C through SQLite's prepared statements, many events per
 * transaction, with the same durability settings (WAL, synchronous=FULL).
 * It measures what SQLite itself costs on this machine, so StoreBench can
 * report the store's overhead as a ratio. Like the store, it sums counters
 * and keeps each case's latest row, with the events it gained, in memory,
 * writing both once per transaction.
 *
 * Usage: store_peer DATABASE EVENTS EVENTS-PER-TRANSACTION PAYLOAD-BYTES [PARTS]
 * The database must already hold the store's schema. PARTS says which rows
 * besides the event and the counters are written, as a comma-separated
 * subset of identity (the idempotency lookup and the index it reads), cases
 * and alerts; all three by default. Leaving parts out measures what each
 * costs, which no store could save without giving the part up. Prints one
 * line:
 *   events=<n> seconds=<s> events_per_second=<r>
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sqlite3 *db;

static void check(int code, const char *what) {
    if (code != SQLITE_OK && code != SQLITE_DONE && code != SQLITE_ROW) {
        fprintf(stderr, "store_peer: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static sqlite3_stmt *prepare(const char *sql) {
    sqlite3_stmt *statement = NULL;
    check(sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, NULL), sql);
    return statement;
}

static void run(sqlite3_stmt *statement, const char *what) {
    int code;
    while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
    }
    check(code, what);
    sqlite3_reset(statement);
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The cases touched by the open transaction, each with its latest state,
 * found through a small open-addressing table keyed by department and case. */
struct dirty_case {
    int department;
    long case_number;
    long long received, updated;
    char sequences[256]; /* the transaction's events of the case: "12,57," */
};
static struct dirty_case *dirty;
static long dirty_count;
static long *slots; /* index into dirty + 1; 0 is empty */
static long slot_count;

static void list_event(struct dirty_case *d, long long sequence) {
    size_t used = strlen(d->sequences);
    snprintf(d->sequences + used, sizeof d->sequences - used, "%lld,", sequence);
}

static void remember_case(int department, long case_number, long long received,
    long long updated, long long sequence) {
    unsigned long hash = (unsigned long)case_number * 64u + (unsigned long)department;
    long slot = (long)(hash * 2654435761u % (unsigned long)slot_count);
    while (slots[slot] != 0) {
        struct dirty_case *d = &dirty[slots[slot] - 1];
        if (d->department == department && d->case_number == case_number) {
            d->updated = updated;
            list_event(d, sequence);
            return;
        }
        slot = (slot + 1) % slot_count;
    }
    dirty[dirty_count] = (struct dirty_case){department, case_number, received, updated, ""};
    list_event(&dirty[dirty_count], sequence);
    slots[slot] = ++dirty_count;
}

static void forget_cases(void) {
    memset(slots, 0, (size_t)slot_count * sizeof *slots);
    dirty_count = 0;
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: store_peer DATABASE EVENTS EVENTS-PER-TRANSACTION "
                        "PAYLOAD-BYTES [PARTS]\n");
        return 2;
    }
    const char *parts = argc == 6 ? argv[5] : "identity,cases,alerts";
    int with_identity = strstr(parts, "identity") != NULL;
    int with_cases = strstr(parts, "cases") != NULL;
    int with_alerts = strstr(parts, "alerts") != NULL;
    long events = atol(argv[2]);
    long per_transaction = atol(argv[3]);
    int payload_bytes = atoi(argv[4]);
    unsigned char *payload = malloc((size_t)payload_bytes);
    memset(payload, 7, (size_t)payload_bytes);
    dirty = calloc((size_t)per_transaction, sizeof *dirty);
    slot_count = per_transaction * 4 + 1;
    slots = calloc((size_t)slot_count, sizeof *slots);

    check(sqlite3_open(argv[1], &db), "open");
    check(sqlite3_exec(db,
              "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
              "PRAGMA cache_size=-65536;",
              NULL, NULL, NULL),
        "pragmas");
    if (!with_identity) {
        check(sqlite3_exec(db, "DROP INDEX event_identity", NULL, NULL, NULL), "drop identity");
    }

    sqlite3_stmt *highest = prepare(
        "SELECT revision, seq FROM event WHERE department = ? AND event_id = ? "
        "ORDER BY revision DESC LIMIT 1");
    sqlite3_stmt *insert_event = prepare(
        "INSERT INTO event (department, case_id, event_id, revision, kind, occurred_at, "
        "reported_at, origin_region, payload) VALUES (?, ?, ?, 0, 1, ?, ?, '330101', ?)");
    /* As the store does: the upsert sets only unindexed columns, and a guarded
     * UPDATE touches the indexed ones when they differ. */
    sqlite3_stmt *upsert_case = prepare(
        "INSERT INTO case_record (department, case_id, item_code, state, is_open, received_at, "
        "accepted_at, concluded_at, result, promised_deadline, legal_deadline, alert_level, "
        "next_due_at, catalogue_version, updated_at, derived, event_seqs) "
        "VALUES (?1, ?2, 'ITEM', 3, 1, ?3, NULL, NULL, 0, NULL, NULL, 0, NULL, 1, ?4, ?5, ?6) "
        "ON CONFLICT (department, case_id) DO UPDATE SET state = excluded.state, "
        "accepted_at = excluded.accepted_at, concluded_at = excluded.concluded_at, "
        "result = excluded.result, promised_deadline = excluded.promised_deadline, "
        "legal_deadline = excluded.legal_deadline, alert_level = excluded.alert_level, "
        "next_due_at = excluded.next_due_at, catalogue_version = excluded.catalogue_version, "
        "updated_at = excluded.updated_at, derived = excluded.derived, "
        "event_seqs = event_seqs || excluded.event_seqs");
    sqlite3_stmt *update_case_keys = prepare(
        "UPDATE case_record SET item_code = ?3, received_at = ?4, is_open = ?5 "
        "WHERE department = ?1 AND case_id = ?2 "
        "AND (item_code <> ?3 OR received_at <> ?4 OR is_open <> ?5)");
    sqlite3_stmt *add_counter = prepare(
        "INSERT INTO monthly_counter (department, month, name, value) "
        "VALUES (?, 202603, 'events_reported', ?) "
        "ON CONFLICT (department, month, name) DO UPDATE SET value = value + excluded.value");
    sqlite3_stmt *put_alert = prepare(
        "INSERT OR REPLACE INTO alert (alert_id, rule, level, status, appeal, department, "
        "case_id, subject, due_at, raised_at, description, facts, region, sequence, "
        "notice_issued_at, notice_issued_by, notice_instructions, notice_feedback_due_date, "
        "notice_feedback_due_at, notice_explanation, notice_rectification, notice_feedback_at, "
        "notice_feedback_by, notice_times_returned, payload) "
        "VALUES (?, 1, 2, 1, 0, ?, ?, 'case', ?, ?, 'promised deadline passed', x'', '330101', "
        "?, NULL, '', '', '', NULL, '', '', NULL, '', 0, x'')");
    sqlite3_stmt *append_log = prepare(
        "INSERT INTO alert_log (alert_id, kind, at, actor, note, department, case_id, rule, "
        "level, status, payload) VALUES (?, 1, ?, 'engine', '', ?, ?, 1, 2, 1, x'')");
    /* As the store and the server do: the alert row is written already
     * carrying the sequence its log entry will get, and the guarded UPDATE
     * that keeps the two in step finds nothing to change. */
    sqlite3_stmt *log_position = prepare(
        "SELECT seq FROM sqlite_sequence WHERE name = 'alert_log'");
    sqlite3_stmt *mark_alert = prepare(
        "UPDATE alert SET sequence = ?1 WHERE alert_id = ?2 AND sequence <> ?1");
    sqlite3_stmt *begin = prepare("BEGIN IMMEDIATE");
    sqlite3_stmt *commit = prepare("COMMIT");

    char department[32], case_id[48], event_id[48], alert_id[56];
    long pending_counts[50] = {0};
    double start = now_seconds();
    for (long i = 0; i < events; i++) {
        if (i % per_transaction == 0) run(begin, "begin");
        long long instant = 1772413200000LL + i;
        /* A case is received once: at the instant of its first event. */
        long long received = 1772413200000LL + ((i / 50) / 8) * 8 * 50 + i % 50;
        snprintf(department, sizeof department, "D%03ld", i % 50);
        snprintf(case_id, sizeof case_id, "C%09ld", (i / 50) / 8);
        snprintf(event_id, sizeof event_id, "E%012ld", i);

        if (with_identity) {
            sqlite3_bind_text(highest, 1, department, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(highest, 2, event_id, -1, SQLITE_TRANSIENT);
            run(highest, "highest revision");
        }

        sqlite3_bind_text(insert_event, 1, department, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert_event, 2, case_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert_event, 3, event_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert_event, 4, instant);
        sqlite3_bind_int64(insert_event, 5, instant);
        sqlite3_bind_blob(insert_event, 6, payload, payload_bytes, SQLITE_TRANSIENT);
        run(insert_event, "insert event");

        /* The case row is kept until COMMIT, as the store does: the latest
         * state of each case touched by the transaction, and the events it
         * gained, are written once. */
        if (with_cases) {
            remember_case(i % 50, (i / 50) / 8, received, instant, sqlite3_last_insert_rowid(db));
        }

        /* Counters are summed per transaction and written before COMMIT. */
        pending_counts[i % 50] += 1;

        if (with_alerts && i % 10 == 9) {
            snprintf(alert_id, sizeof alert_id, "A-%s", event_id);
            long long sequence = 1;
            if (sqlite3_step(log_position) == SQLITE_ROW) {
                sequence = sqlite3_column_int64(log_position, 0) + 1;
            }
            sqlite3_reset(log_position);
            sqlite3_bind_text(put_alert, 1, alert_id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(put_alert, 2, department, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(put_alert, 3, case_id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(put_alert, 4, instant);
            sqlite3_bind_int64(put_alert, 5, instant);
            sqlite3_bind_int64(put_alert, 6, sequence);
            run(put_alert, "put alert");

            sqlite3_bind_text(append_log, 1, alert_id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(append_log, 2, instant);
            sqlite3_bind_text(append_log, 3, department, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(append_log, 4, case_id, -1, SQLITE_TRANSIENT);
            run(append_log, "append log");

            sqlite3_bind_int64(mark_alert, 1, sqlite3_last_insert_rowid(db));
            sqlite3_bind_text(mark_alert, 2, alert_id, -1, SQLITE_TRANSIENT);
            run(mark_alert, "mark alert");
        }
        if (i % per_transaction == per_transaction - 1 || i == events - 1) {
            for (int d = 0; d < 50; d++) {
                if (pending_counts[d] == 0) continue;
                snprintf(department, sizeof department, "D%03d", d);
                sqlite3_bind_text(add_counter, 1, department, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(add_counter, 2, pending_counts[d]);
                run(add_counter, "add counter");
                pending_counts[d] = 0;
            }
            for (long c = 0; c < dirty_count; c++) {
                struct dirty_case *d = &dirty[c];
                snprintf(department, sizeof department, "D%03d", d->department);
                snprintf(case_id, sizeof case_id, "C%09ld", d->case_number);
                sqlite3_bind_text(upsert_case, 1, department, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(upsert_case, 2, case_id, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(upsert_case, 3, d->received);
                sqlite3_bind_int64(upsert_case, 4, d->updated);
                sqlite3_bind_blob(upsert_case, 5, payload, 64, SQLITE_TRANSIENT);
                sqlite3_bind_text(upsert_case, 6, d->sequences, -1, SQLITE_TRANSIENT);
                run(upsert_case, "upsert case");

                sqlite3_bind_text(update_case_keys, 1, department, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(update_case_keys, 2, case_id, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(update_case_keys, 3, "ITEM", -1, SQLITE_STATIC);
                sqlite3_bind_int64(update_case_keys, 4, d->received);
                sqlite3_bind_int64(update_case_keys, 5, 1);
                run(update_case_keys, "update case keys");
            }
            forget_cases();
            run(commit, "commit");
        }
    }
    double seconds = now_seconds() - start;
    printf("events=%ld seconds=%.3f events_per_second=%.0f\n", events, seconds,
        (double)events / seconds);
    sqlite3_close(db);
    return 0;
}
