import Engine
import Interchange
import Messages
import Store
import Synchronization

/// The catalogue as it stands: departments, items, rule settings and
/// calendars in the interface standard's form, with its version, and the
/// engine's evaluation context built from it.
///
/// Readers take the committed snapshot without waiting. A change builds a
/// new snapshot and stores it as a new catalogue version in the same commit
/// as the recomputation it causes; until that commit is durable the new
/// snapshot is only staged, seen by the writes that follow it on the writer
/// thread and by no reader. A commit makes it current; a rollback drops it.
final class CatalogueBook: Sendable {
    struct Snapshot: Sendable {
        var version: Int64
        var changedAt: Instant
        var document: CatalogueDocument
        var context: EvaluationContext
    }

    private struct State {
        var committed: Snapshot
        /// Changed by writes not yet committed.
        var staged: Snapshot?
    }

    private let state: Mutex<State>
    /// The calendar shipped with the software, under every loaded one.
    let official: WorkingCalendar

    init(_ snapshot: Snapshot, official: WorkingCalendar) {
        state = Mutex(State(committed: snapshot))
        self.official = official
    }

    /// The catalogue as the store holds it.
    var current: Snapshot { state.withLock { $0.committed } }

    /// The catalogue as a write on the writer thread sees it: what the
    /// writes before it in the same commit changed included.
    var latest: Snapshot { state.withLock { $0.staged ?? $0.committed } }

    /// Stages a change made by the running write.
    func stage(_ snapshot: Snapshot) {
        state.withLock { $0.staged = snapshot }
    }

    /// The writes that staged changes are durable.
    func committed() {
        state.withLock {
            if let staged = $0.staged {
                $0.committed = staged
                $0.staged = nil
            }
        }
    }

    /// The writes that staged changes were taken back.
    func rolledBack() {
        state.withLock { $0.staged = nil }
    }

    /// Builds a snapshot from a document, checking everything in it.
    ///
    /// - Throws: `ValidationError` naming the offending field.
    func snapshot(_ document: CatalogueDocument, version: Int64, at instant: Instant)
        throws(ValidationError) -> Snapshot
    {
        let catalogue = try document.catalogue(version: Int(version))
        let calendar = try document.calendar(version: Int(version), over: official)
        return Snapshot(
            version: version, changedAt: instant, document: document,
            context: EvaluationContext(catalogue: catalogue, calendar: calendar))
    }

    // MARK: Persistence

    /// Loads the latest stored catalogue version and every stored calendar;
    /// an empty store gives an empty catalogue at version 0.
    static func load(_ transaction: ReadTransaction, official: WorkingCalendar, now: Instant)
        throws -> CatalogueBook
    {
        var document = CatalogueDocument()
        var version: Int64 = 0
        var changedAt = now
        if let record = try transaction.latestCatalogueVersion() {
            version = record.version
            changedAt = Instant(millisecondsSinceEpoch: record.recordedAt)
            document.departments = try ListDepartmentsResponse(
                serializedBytes: record.departments
            ).departments
            document.items = try ListItemsResponse(serializedBytes: record.items).items
            if !record.ruleSettings.isEmpty {
                document.ruleSettings = try RuleSettings(serializedBytes: record.ruleSettings)
            }
        }
        document.calendars = try transaction.calendars().map {
            try Messages.Calendar(serializedBytes: $0.payload)
        }
        let book = CatalogueBook(
            Snapshot(
                version: version, changedAt: changedAt, document: document,
                context: EvaluationContext(catalogue: try Catalogue(version: 0, departments: [],
                    items: []), calendar: official)),
            official: official)
        do {
            let stored = try book.snapshot(document, version: version, at: changedAt)
            book.state.withLock { $0.committed = stored }
        } catch {
            throw ServerError.store("the stored catalogue version \(version) no longer "
                + "passes its checks: \(error)")
        }
        return book
    }

    /// Writes a snapshot as a new catalogue version.
    static func store(
        _ snapshot: Snapshot, by actor: String, note: String, _ transaction: WriteTransaction
    ) throws {
        var departments = ListDepartmentsResponse()
        departments.departments = snapshot.document.departments
        departments.version = UInt64(snapshot.version)
        var items = ListItemsResponse()
        items.items = snapshot.document.items
        items.version = UInt64(snapshot.version)
        try transaction.appendCatalogueVersion(
            CatalogueVersionRecord(
                version: snapshot.version, recordedAt: snapshot.changedAt.millisecondsSinceEpoch,
                recordedBy: actor, note: note, departments: departments.serializedBytes(),
                items: items.serializedBytes(),
                ruleSettings: snapshot.document.ruleSettings?.serializedBytes() ?? []))
    }
}
