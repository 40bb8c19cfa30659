import Synchronization

/// A first-in first-out queue between tasks that holds at most `capacity`
/// elements: `push` suspends while it is full, `pop` while it is empty.
///
/// It is how the server turns "too much arriving" into waiting instead of
/// memory: an intake stream stops reading requests (and HTTP/2 flow control
/// then stops the sender) while acknowledgements are outstanding.
/// One task pushes and one pops; `finish` ends it for the popper, `fail` for
/// both.
final class BoundedQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var head = 0
        var finished = false
        var failure: (any Error)?
        var waitingPopper: CheckedContinuation<Element?, any Error>?
        var waitingPusher: CheckedContinuation<Void, any Error>?
        var count: Int { items.count - head }
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        precondition(capacity > 0, "a queue holds at least one element")
        self.capacity = capacity
    }

    /// Adds an element, waiting while the queue is full.
    ///
    /// - Throws: the error the queue failed with.
    func push(_ element: Element) async throws {
        while true {
            let outcome = state.withLock { state -> PushOutcome in
                if let failure = state.failure { return .failed(failure) }
                if let popper = state.waitingPopper {
                    state.waitingPopper = nil
                    return .handedOver(popper)
                }
                if state.count < capacity {
                    state.items.append(element)
                    return .queued
                }
                return .full
            }
            switch outcome {
            case .failed(let error): throw error
            case .handedOver(let popper):
                popper.resume(returning: element)
                return
            case .queued: return
            case .full:
                try await withCheckedThrowingContinuation { continuation in
                    let resumeNow = state.withLock { state -> (any Error)?? in
                        if let failure = state.failure { return .some(failure) }
                        if state.count < capacity { return .some(nil) }
                        state.waitingPusher = continuation
                        return nil
                    }
                    switch resumeNow {
                    case .some(.some(let error)): continuation.resume(throwing: error)
                    case .some(.none): continuation.resume()
                    case .none: break
                    }
                }
            }
        }
    }

    private enum PushOutcome {
        case failed(any Error)
        case handedOver(CheckedContinuation<Element?, any Error>)
        case queued
        case full
    }

    /// Takes the oldest element, waiting while the queue is empty; nil once
    /// it is finished and drained.
    func pop() async throws -> Element? {
        try await withCheckedThrowingContinuation { continuation in
            let (result, pusher) = state.withLock {
                state -> (Result<Element?, any Error>?, CheckedContinuation<Void, any Error>?) in
                if let failure = state.failure { return (.failure(failure), nil) }
                if state.count > 0 {
                    let element = state.items[state.head]
                    state.head += 1
                    if state.head > 64, state.head * 2 > state.items.count {
                        state.items.removeFirst(state.head)
                        state.head = 0
                    }
                    let pusher = state.waitingPusher
                    state.waitingPusher = nil
                    return (.success(element), pusher)
                }
                if state.finished { return (.success(nil), nil) }
                state.waitingPopper = continuation
                return (nil, nil)
            }
            pusher?.resume()
            if let result { continuation.resume(with: result) }
        }
    }

    /// Ends the queue: the popper gets what is left, then nil.
    func finish() {
        let popper = state.withLock { state -> CheckedContinuation<Element?, any Error>? in
            state.finished = true
            guard state.count == 0 else { return nil }
            let popper = state.waitingPopper
            state.waitingPopper = nil
            return popper
        }
        popper?.resume(returning: nil)
    }

    /// Fails the queue: both sides get `error` from then on.
    func fail(_ error: any Error) {
        let (popper, pusher) = state.withLock { state in
            state.failure = state.failure ?? error
            let popper = state.waitingPopper
            let pusher = state.waitingPusher
            state.waitingPopper = nil
            state.waitingPusher = nil
            return (popper, pusher)
        }
        popper?.resume(throwing: error)
        pusher?.resume(throwing: error)
    }
}
