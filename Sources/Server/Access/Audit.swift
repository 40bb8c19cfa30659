import Engine
import Store

/// Entries of the audit record: who did what, to what, when.
enum Audit {
    static func record(
        _ caller: Caller, action: String, target: String, at instant: Instant,
        outcome: String = "ok"
    ) -> StoredAuditRecord {
        StoredAuditRecord(
            at: instant.millisecondsSinceEpoch, actor: caller.description,
            role: Int(caller.role.rawValue), action: action, target: target, outcome: outcome)
    }
}
