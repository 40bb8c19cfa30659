/// One forward step of the schema: the SQL that takes a file from
/// `version - 1` to `version`.
struct Migration: Sendable {
    /// The schema version this step produces; steps are numbered 1, 2, 3...
    let version: Int
    /// What the step adds, for logs and for docs/storage.md.
    let summary: String
    /// The statements, run inside one transaction with the version bump.
    let sql: String
}

/// The store's schema as an ordered list of forward migrations.
///
/// The version lives in the file's `user_version`. A file is brought up to
/// date step by step at start, each step in its own transaction, so a crash
/// during an upgrade leaves the file at the last completed step. Steps are
/// never edited once released: a change is a new step.
enum Schema {
    /// The newest version this build writes.
    static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Every step, in order. Invariant: `migrations[i].version == i + 1`.
    static let migrations: [Migration] = [
        Migration(
            version: 1,
            summary: "events, cases, alerts, the alert log, monthly counters",
            sql: """
                CREATE TABLE store_meta (
                    key TEXT PRIMARY KEY,
                    value INTEGER NOT NULL
                ) WITHOUT ROWID;

                CREATE TABLE event (
                    seq INTEGER PRIMARY KEY,
                    department TEXT NOT NULL,
                    case_id TEXT NOT NULL,
                    event_id TEXT NOT NULL,
                    revision INTEGER NOT NULL CHECK (revision >= 0),
                    kind INTEGER NOT NULL,
                    occurred_at INTEGER NOT NULL,
                    reported_at INTEGER NOT NULL,
                    origin_region TEXT NOT NULL,
                    payload BLOB NOT NULL
                );
                CREATE UNIQUE INDEX event_identity ON event (department, event_id, revision);
                CREATE INDEX event_by_case ON event (department, case_id);

                CREATE TABLE case_record (
                    department TEXT NOT NULL,
                    case_id TEXT NOT NULL,
                    item_code TEXT NOT NULL,
                    state INTEGER NOT NULL,
                    is_open INTEGER NOT NULL CHECK (is_open IN (0, 1)),
                    received_at INTEGER NOT NULL,
                    accepted_at INTEGER,
                    concluded_at INTEGER,
                    result INTEGER NOT NULL,
                    promised_deadline INTEGER,
                    legal_deadline INTEGER,
                    alert_level INTEGER NOT NULL,
                    next_due_at INTEGER,
                    catalogue_version INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    derived BLOB NOT NULL,
                    PRIMARY KEY (department, case_id)
                ) WITHOUT ROWID;
                CREATE INDEX case_open ON case_record (department, case_id) WHERE is_open = 1;
                CREATE INDEX case_by_department
                    ON case_record (department, received_at, case_id);
                CREATE INDEX case_by_item
                    ON case_record (item_code, received_at, department, case_id);
                CREATE INDEX case_by_received ON case_record (received_at, department, case_id);

                CREATE TABLE alert (
                    alert_id TEXT PRIMARY KEY,
                    rule INTEGER NOT NULL,
                    level INTEGER NOT NULL,
                    status INTEGER NOT NULL,
                    appeal INTEGER NOT NULL,
                    department TEXT NOT NULL,
                    case_id TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    due_at INTEGER NOT NULL,
                    raised_at INTEGER NOT NULL,
                    description TEXT NOT NULL,
                    facts BLOB NOT NULL,
                    region TEXT NOT NULL,
                    sequence INTEGER NOT NULL,
                    notice_issued_at INTEGER,
                    notice_issued_by TEXT NOT NULL,
                    notice_instructions TEXT NOT NULL,
                    notice_feedback_due_date TEXT NOT NULL,
                    notice_feedback_due_at INTEGER,
                    notice_explanation TEXT NOT NULL,
                    notice_rectification TEXT NOT NULL,
                    notice_feedback_at INTEGER,
                    notice_feedback_by TEXT NOT NULL,
                    notice_times_returned INTEGER NOT NULL,
                    payload BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX alert_by_department ON alert (department, raised_at, alert_id);
                CREATE INDEX alert_by_time ON alert (raised_at, alert_id);
                CREATE INDEX alert_by_case ON alert (department, case_id) WHERE case_id <> '';
                CREATE INDEX alert_feedback_due ON alert (notice_feedback_due_at)
                    WHERE notice_feedback_due_at IS NOT NULL AND notice_feedback_at IS NULL;

                CREATE TABLE alert_log (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    alert_id TEXT NOT NULL REFERENCES alert (alert_id),
                    kind INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    note TEXT NOT NULL,
                    department TEXT NOT NULL,
                    case_id TEXT NOT NULL,
                    rule INTEGER NOT NULL,
                    level INTEGER NOT NULL,
                    status INTEGER NOT NULL,
                    payload BLOB NOT NULL
                );
                CREATE INDEX alert_log_by_department ON alert_log (department, sequence);

                CREATE TABLE monthly_counter (
                    department TEXT NOT NULL,
                    month INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    value INTEGER NOT NULL,
                    PRIMARY KEY (department, month, name)
                ) WITHOUT ROWID;
                """),
        Migration(
            version: 2,
            summary: "catalogue, calendars, scoring schemes, complaints, evaluations, "
                + "access tokens, the audit record",
            sql: """
                CREATE TABLE catalogue_version (
                    version INTEGER PRIMARY KEY,
                    recorded_at INTEGER NOT NULL,
                    recorded_by TEXT NOT NULL,
                    note TEXT NOT NULL,
                    departments BLOB NOT NULL,
                    items BLOB NOT NULL,
                    rule_settings BLOB NOT NULL
                );

                CREATE TABLE calendar (
                    region TEXT NOT NULL,
                    year INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    recorded_at INTEGER NOT NULL,
                    recorded_by TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    PRIMARY KEY (region, year, version)
                ) WITHOUT ROWID;

                CREATE TABLE scoring_scheme (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    recorded_at INTEGER NOT NULL,
                    recorded_by TEXT NOT NULL,
                    payload BLOB NOT NULL
                );

                CREATE TABLE complaint (
                    complaint_id TEXT PRIMARY KEY,
                    department TEXT NOT NULL,
                    case_id TEXT NOT NULL,
                    state INTEGER NOT NULL,
                    received_at INTEGER NOT NULL,
                    due_at INTEGER,
                    updated_at INTEGER NOT NULL,
                    payload BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX complaint_by_department
                    ON complaint (department, received_at, complaint_id);
                CREATE INDEX complaint_by_time ON complaint (received_at, complaint_id);

                CREATE TABLE evaluation (
                    department TEXT NOT NULL,
                    period TEXT NOT NULL,
                    revision INTEGER NOT NULL CHECK (revision >= 1),
                    published_at INTEGER NOT NULL,
                    published_by TEXT NOT NULL,
                    scheme_version INTEGER NOT NULL,
                    payload BLOB NOT NULL,
                    PRIMARY KEY (department, period, revision)
                ) WITHOUT ROWID;
                CREATE TRIGGER evaluation_frozen_update BEFORE UPDATE ON evaluation
                BEGIN
                    SELECT RAISE(ABORT, 'evaluation.revision: a published evaluation is frozen');
                END;
                CREATE TRIGGER evaluation_frozen_delete BEFORE DELETE ON evaluation
                BEGIN
                    SELECT RAISE(ABORT, 'evaluation.revision: a published evaluation is frozen');
                END;

                CREATE TABLE access_token (
                    token_id TEXT PRIMARY KEY,
                    secret_hash BLOB NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    role INTEGER NOT NULL,
                    department TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    created_by TEXT NOT NULL,
                    revoked_at INTEGER
                ) WITHOUT ROWID;

                CREATE TABLE audit_record (
                    sequence INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    role INTEGER NOT NULL,
                    action TEXT NOT NULL,
                    target TEXT NOT NULL,
                    outcome TEXT NOT NULL
                );
                CREATE INDEX audit_by_time ON audit_record (at);
                CREATE INDEX audit_by_actor ON audit_record (actor, at);
                """),
        Migration(
            version: 3,
            summary: "the forwarding log for upward networking",
            sql: """
                CREATE TABLE outbound_record (
                    sequence INTEGER PRIMARY KEY,
                    kind INTEGER NOT NULL,
                    recorded_at INTEGER NOT NULL,
                    payload BLOB NOT NULL
                );

                CREATE TABLE inbound_position (
                    sender TEXT PRIMARY KEY,
                    position INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                """),
        Migration(
            version: 4,
            summary: "alerts of one case, and one alert's log, found through indexes",
            // The partial index on (department, case_id) lost to the
            // department's index, so a case's alerts were found by reading
            // all of its department's: an index that also orders them wins.
            sql: """
                DROP INDEX alert_by_case;
                CREATE INDEX alert_by_case ON alert (department, case_id, raised_at, alert_id);
                CREATE INDEX alert_log_by_alert ON alert_log (alert_id, sequence);
                """),
        Migration(
            version: 5,
            summary: "who reported each event",
            sql: """
                ALTER TABLE event ADD COLUMN reported_by TEXT NOT NULL DEFAULT '';
                """),
        Migration(
            version: 6,
            summary: "standing alerts counted through an index of their own",
            // Only alerts not closed (4), withdrawn (6) or revoked (7): the
            // index holds what supervision has in hand, not the history, and
            // covers the dashboards' count by department, level and rule.
            sql: """
                CREATE INDEX alert_standing ON alert (department, level, rule)
                    WHERE status NOT IN (4, 6, 7);
                """),
        Migration(
            version: 7,
            summary: "a case's events listed on its row instead of indexed one by one",
            // The (department, case id) index took one B-tree insert per event
            // at one of as many places as there are departments, so every
            // commit rewrote a page per department for it alone. The case row
            // is rewritten once per commit anyway; listing the case's events
            // there costs a few bytes per event. Events whose case has no row
            // are listed in case_event_list. The order inside a list does not
            // matter: readers sort it.
            sql: """
                ALTER TABLE case_record ADD COLUMN event_seqs TEXT NOT NULL DEFAULT '';
                CREATE TABLE case_event_list (
                    department TEXT NOT NULL,
                    case_id TEXT NOT NULL,
                    event_seqs TEXT NOT NULL,
                    PRIMARY KEY (department, case_id)
                ) WITHOUT ROWID;
                UPDATE case_record SET event_seqs = coalesce(
                    (SELECT group_concat(seq, ',') || ',' FROM event INDEXED BY event_by_case
                     WHERE event.department = case_record.department
                        AND event.case_id = case_record.case_id), '');
                INSERT INTO case_event_list (department, case_id, event_seqs)
                    SELECT department, case_id, group_concat(seq, ',') || ','
                    FROM event INDEXED BY event_by_case
                    WHERE NOT EXISTS (
                        SELECT 1 FROM case_record
                        WHERE case_record.department = event.department
                            AND case_record.case_id = event.case_id)
                    GROUP BY department, case_id;
                DROP INDEX event_by_case;
                """),
    ]

    /// The schema version recorded in the file.
    static func version(of connection: Connection) throws -> Int {
        Int(try connection.scalar("PRAGMA user_version"))
    }

    /// Brings the file up to `target` (by default the newest version), one
    /// transaction per step; refuses a file newer than this build.
    static func migrate(_ connection: Connection, to target: Int = latestVersion) throws {
        let current = try version(of: connection)
        if current > latestVersion {
            throw StoreError.schemaTooNew(
                fileVersion: current, supportedVersion: latestVersion, path: connection.path)
        }
        for step in migrations where step.version > current && step.version <= target {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try connection.execute(step.sql)
                try connection.execute("PRAGMA user_version = \(step.version)")
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }
}
