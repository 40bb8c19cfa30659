import Dispatch
import Store

@testable import Server

/// Holds the server's writer thread inside one write, so that the writes
/// queued meanwhile run together in the next batch.
final class WriterHold: Sendable {
    private let entered = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)
    private let held: PendingWrite<Void>

    /// Returns once the writer is inside the holding write.
    init(_ runtime: Runtime) async throws {
        let (entered, released) = (self.entered, self.released)
        held = try await runtime.submit { _ in
            entered.signal()
            released.wait()
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                entered.wait()
                done.resume()
            }
        }
    }

    /// Lets the writer go on, and returns once the holding write is durable.
    func release() async throws {
        released.signal()
        try await held.value
    }
}
