import Engine
import Store

/// Raises alerts the moment a deadline passes with no event at all.
///
/// It sleeps until the earliest instant the supervision core has queued (a
/// threshold of some case, or a notice's feedback due), then asks the core,
/// on the writer thread, to evaluate what came due. It never scans: between
/// instants it sleeps, and a write that queues an earlier instant wakes it.
final class Scheduler: Sendable {
    private let runtime: Runtime
    private let wake = WakeSignal()

    init(runtime: Runtime) {
        self.runtime = runtime
    }

    /// Tells the scheduler the queue may have changed.
    func poke() { wake.signal() }

    /// Runs until cancelled.
    func run() async {
        while !Task.isCancelled {
            let next = runtime.core.published.withLock { $0.nextDueAt }
            let now = runtime.clock.now()
            if let next, next <= now {
                do {
                    try await runtime.tick()
                } catch {
                    runtime.log.error("scheduler tick failed", ["error": error])
                    // The store refused the write (disk full, read-only): wait
                    // before trying again rather than spinning.
                    try? await Task.sleep(for: .seconds(1))
                }
                continue
            }
            await sleep(until: next)
        }
    }

    /// Sleeps until `instant` or a poke, whichever is first.
    private func sleep(until instant: Instant?) async {
        let clock = runtime.clock
        let wake = self.wake
        await withTaskGroup(of: Void.self) { group in
            if let instant {
                group.addTask { try? await clock.sleep(until: instant) }
            }
            group.addTask { try? await wake.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}
