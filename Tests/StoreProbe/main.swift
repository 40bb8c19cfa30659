// The crash probe: ingests events through the store's group-commit writer as
// fast as it can and prints each one after its write returned, so a test that
// kills this process at a random moment knows exactly what was acknowledged.
//
// Usage: StoreProbe DATA-DIRECTORY RUN-TAG [WRITERS]
//
// Output, one line per acknowledged write, written whole with one write(2):
//   E <event id>                      the event is durable
//   L <sequence> <alert id>           and so is this alert log entry
// The process stops by itself after 30 seconds if nobody kills it.

import Foundation
import Store

#if canImport(Glibc)
    import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    let usage = "usage: StoreProbe DATA-DIRECTORY RUN-TAG [WRITERS]\n"
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}
let directory = URL(fileURLWithPath: arguments[1])
let tag = arguments[2]
let writers = arguments.count > 3 ? Int(arguments[3]) ?? 16 : 16

/// Writes one whole line to standard output; a line under PIPE_BUF bytes
/// reaches a pipe in one piece, so concurrent writers never interleave.
func emit(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
}

let store: Store
do {
    store = try Store(directory: directory)
} catch {
    FileHandle.standardError.write(Data("StoreProbe: \(error)\n".utf8))
    exit(1)
}

let deadline = Date().addingTimeInterval(30)
let department = "PROBE"
let march = Month(year: 2026, month: 3)

await withTaskGroup(of: Void.self) { group in
    for writer in 0..<writers {
        group.addTask {
            var index = 0
            while Date() < deadline {
                let eventID = "\(tag)-\(writer)-\(index)"
                let caseID = "\(tag)-\(writer)-\(index / 8)"
                let raisesAlert = index % 5 == 4
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                do {
                    let logged = try await store.write { transaction -> AlertLogEntry? in
                        _ = try transaction.insertEvent(
                            EventRecord(
                                department: department, caseID: caseID, eventID: eventID,
                                kind: 1, occurredAt: now, reportedAt: now, originRegion: "330101",
                                payload: Array(eventID.utf8)))
                        try transaction.upsertCase(
                            CaseRecord(
                                department: department, caseID: caseID, itemCode: "ITEM",
                                state: 3, isOpen: true, receivedAt: now, catalogueVersion: 1,
                                updatedAt: now, derived: Array(eventID.utf8)))
                        try transaction.addCounters(
                            department: department, month: march, deltas: [.eventsReported: 1])
                        guard raisesAlert else { return nil }
                        let alert = AlertRecord(
                            alertID: "A-\(eventID)", rule: 1, level: 2, status: 1,
                            department: department, caseID: caseID, subject: "case", dueAt: now,
                            raisedAt: now, description: "probe", region: "330101")
                        try transaction.putAlert(alert)
                        return try transaction.appendAlertLog(
                            AlertLogEntry(
                                alertID: alert.alertID, kind: 1, at: now, actor: "engine",
                                department: department, caseID: caseID, rule: 1, level: 2,
                                status: 1))
                    }
                    emit("E \(eventID)")
                    if let logged {
                        emit("L \(logged.sequence) \(logged.alertID)")
                    }
                } catch {
                    FileHandle.standardError.write(Data("StoreProbe: \(error)\n".utf8))
                    exit(1)
                }
                index += 1
            }
        }
    }
}
await store.close()
