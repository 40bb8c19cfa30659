import CSQLite
import Foundation

/// Copies committed pages from the write-ahead log back into the database
/// file on a thread of its own, so that the writer's commits never wait for
/// it.
///
/// SQLite's default checkpoints inside the commit that makes the log reach
/// 1,000 pages: that commit then also copies those pages and syncs the
/// database file, and every write queued behind it waits. Measured with the
/// store's own row set, that was about a quarter of the ingest rate. Here the
/// writer's commit hook only wakes this thread once the log passes
/// `wakePages`; a passive checkpoint never blocks the writer or readers.
///
/// A passive checkpoint that runs beside a steady stream of commits always
/// finds newer frames behind it, so SQLite would never start the log over
/// and the file would grow without end. Once the log passes `restartPages`
/// the writer's hook checkpoints inline, as SQLite's default does; the
/// background passes have already copied nearly everything, so that costs
/// little, and the next transaction starts the log from its beginning.
final class Checkpointer: @unchecked Sendable {
    /// Log size, in pages, at which the background pass is woken.
    let wakePages: Int32
    /// Log size, in pages, at which the writer checkpoints inline.
    let restartPages: Int32
    private let path: String
    private let busyTimeoutMilliseconds: Int
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var requested = false
    private var stopping = false
    private var stopped = false
    /// Guarded by `condition`: passes run, and pages the last one copied.
    private var statistics = CheckpointStatistics()

    init(path: String, busyTimeoutMilliseconds: Int, wakePages: Int, restartPages: Int) {
        self.wakePages = Int32(clamping: max(1, wakePages))
        self.restartPages = Int32(clamping: max(wakePages, restartPages))
        self.path = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
    }

    /// Installs the commit hook on the writer's connection (which turns off
    /// SQLite's own checkpoint-on-commit) and starts the thread.
    func attach(to writer: Connection) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_wal_hook(
            writer.handle,
            { context, database, _, frames in
                guard let context else { return SQLITE_OK }
                let checkpointer = Unmanaged<Checkpointer>.fromOpaque(context)
                    .takeUnretainedValue()
                if frames >= checkpointer.restartPages {
                    // On the writer's thread, between its commits: whatever a
                    // background pass left, and the log starts over.
                    _ = sqlite3_wal_checkpoint_v2(
                        database, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                } else if frames >= checkpointer.wakePages {
                    checkpointer.request()
                }
                return SQLITE_OK
            }, context)
        let thread = Thread { [self] in
            nameCurrentThread("store-checkpt")
            run()
        }
        thread.start()
    }

    /// What the background passes did so far.
    var currentStatistics: CheckpointStatistics {
        condition.lock()
        defer { condition.unlock() }
        return statistics
    }

    private func request() {
        condition.lock()
        if !requested {
            requested = true
            condition.signal()
        }
        condition.unlock()
    }

    /// Stops the thread after the pass under way, and waits for it. Called
    /// before the writer closes its connection, whose close then
    /// checkpoints the rest and removes the log.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped {
            condition.wait()
        }
        condition.unlock()
    }

    private func run() {
        // Opened here rather than in init: a store that cannot open a second
        // connection still works, with checkpoints left to the writer's
        // inline pass and to close.
        let connection = try? Connection(path: path)
        try? connection?.execute("PRAGMA busy_timeout = \(busyTimeoutMilliseconds)")
        // A connection opens the write-ahead log at its first read, and
        // until then SQLite's checkpoint call finds no log and returns at
        // once, successfully, having copied nothing: this connection never
        // reads otherwise, so it reads once here.
        _ = try? connection?.scalar("SELECT count(*) FROM sqlite_schema")
        while true {
            condition.lock()
            while !requested && !stopping {
                condition.wait()
            }
            if stopping {
                // Closed before `stop()` returns: once this connection has
                // read, it holds the log open, and the writer's close is the
                // one that checkpoints the rest and removes the log only if
                // it is the last. Closed after, this close could copy pages
                // into a file its owner already took for closed.
                condition.unlock()
                connection?.close()
                condition.lock()
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            requested = false
            condition.unlock()

            var logFrames: Int32 = 0
            var copied: Int32 = 0
            // A busy or failed pass (disk full, I/O) is simply tried again at
            // the next wake: the log keeps every committed page meanwhile.
            if let handle = connection?.handle {
                _ = sqlite3_wal_checkpoint_v2(
                    handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copied)
            }
            condition.lock()
            statistics.passes += 1
            if logFrames > 0 && copied > 0 {
                statistics.copyingPasses += 1
            }
            statistics.lastLogFrames = Int(logFrames)
            statistics.lastCopiedFrames = Int(copied)
            condition.unlock()
        }
    }
}

/// What the background checkpoint did.
public struct CheckpointStatistics: Sendable, Equatable {
    /// Background passes run.
    public var passes = 0
    /// Passes that found pages in the log and copied at least one: a pass
    /// can also find the log busy, or already copied.
    public var copyingPasses = 0
    /// Pages in the log at the last pass, and how many of them it had copied.
    public var lastLogFrames = 0
    public var lastCopiedFrames = 0
}

/// Names the calling thread as `top -H`, `ps -L` and profilers show it (at
/// most 15 bytes are kept), so that an operator can tell the writer and the
/// checkpoint thread apart. A name set through Foundation's `Thread` does
/// not reach the kernel here; the thread's own `comm` file does.
func nameCurrentThread(_ name: String) {
    guard let file = fopen("/proc/thread-self/comm", "w") else { return }
    fputs(String(decoding: name.utf8.prefix(15), as: UTF8.self), file)
    fclose(file)
}
