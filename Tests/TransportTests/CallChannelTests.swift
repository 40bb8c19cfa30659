import Foundation
import Synchronization
import Testing
@testable import Transport

/// A call's channel between the caller's task and the event loop, without sockets.
@Suite struct CallChannelTests {
    /// A reader cancelled by its task group while the loop fails the call at the
    /// same moment (a connection dropping as a client shuts down) must end, every
    /// time. Waking the reader under the channel's lock once hung the two for good:
    /// the cancellation holds the runtime's lock on the reader's task and waits for
    /// the channel's, and the wake-up holds the channel's and waits for the task's.
    @Test(.timeLimit(.minutes(1)))
    func readerCancelledWhileTheCallFailsAlwaysEnds() async throws {
        for _ in 0..<5_000 {
            let channel = CallChannel(inboundMark: 1 << 16, outboundMark: 1 << 16) {}
            let messages = ResponseMessages(channel: channel)
            // The loop thread spins rather than sleeps, so that the failure and the
            // cancellation land within the same microsecond.
            let go = Atomic<Bool>(false)
            let failed = DispatchSemaphore(value: 0)
            let loop = Thread {
                while !go.load(ordering: .acquiring) {}
                channel.fail(RPCError(code: .unavailable, message: "connection lost"))
                failed.signal()
            }
            loop.start()
            let outcome = await withTaskGroup(of: RPCError?.self) { group in
                group.addTask {
                    do {
                        var iterator = messages.makeAsyncIterator()
                        _ = try await iterator.next()
                        return nil
                    } catch let error as RPCError {
                        return error
                    } catch {
                        return nil
                    }
                }
                try? await Task.sleep(for: .microseconds(50))
                go.store(true, ordering: .releasing)
                group.cancelAll()
                return await group.next() ?? nil
            }
            failed.wait()
            // Whichever came first, the reader learns the call is over.
            let code = try #require(outcome).code
            #expect(code == .cancelled || code == .unavailable)
        }
    }
}
