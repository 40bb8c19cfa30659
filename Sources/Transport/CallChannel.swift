import Synchronization

/// The meeting point of one call's two sides: the task that runs the handler (or the
/// client's caller) and the loop thread that owns the stream.
///
/// Inbound, the loop queues whole messages and the task takes them; the bytes of
/// queued messages are handed back to HTTP/2 flow control (`nghttp2_session_consume`)
/// only while the queue is below `inboundMark`, so a reader that stops makes the peer
/// stop after one stream window: the queue never exceeds `inboundMark` plus the
/// stream's receive window.
///
/// Outbound, the task appends framed messages and the loop copies them into DATA
/// frames as the peer's window allows; `send` suspends while more than `outboundMark`
/// bytes wait, so the buffer never exceeds `outboundMark` plus one message.
final class CallChannel: Sendable {
    /// What a waiting reader is given.
    enum Received: Sendable {
        case message([UInt8])
        case end
        case failure(RPCError)
    }

    /// How the inbound side ended.
    enum InboundEnd: Sendable {
        case finished
        case failed(RPCError)
    }

    /// What the loop must do for the stream on its next visit.
    struct LoopWork {
        /// Bytes whose window may be reopened.
        var consume = 0
        /// The outbound side has news (data, headers, status, cancellation).
        var outboundNews = false
        /// The task cancelled the call.
        var cancel = false
    }

    struct State {
        var inbound = RingBuffer<[UInt8]>()
        var inboundBytes = 0
        var owedBytes = 0
        var consumeRequested = 0
        var inboundEnd: InboundEnd? = nil
        var reader: CheckedContinuation<Received, Never>? = nil

        var outbound: [UInt8] = []
        var outboundOffset = 0
        var outboundEnded = false
        var writer: CheckedContinuation<Void, Never>? = nil

        /// Set when the call is over for the local task: reads and sends throw it.
        var failure: RPCError? = nil
        /// Whether the loop has a visit queued for this call (the job queue's bound).
        var scheduled = false
        var cancelRequested = false

        /// Server: metadata for the response headers, once the handler asks for them.
        var responseHeaders: Metadata? = nil
        /// Server: the handler's trailing metadata.
        var trailers: Metadata = [:]
        /// Server: the status to send, once known.
        var status: CallStatus? = nil

        /// Client: the response's initial metadata, once received.
        var initialMetadata: Metadata? = nil
        /// Client: the status and trailers, once the call ended.
        var result: (status: CallStatus, trailers: Metadata)? = nil
        var headWaiters: [CheckedContinuation<Void, Never>] = []
        var endWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let state = Mutex(State())
    let inboundMark: Int
    let outboundMark: Int
    /// Asks the owning loop to visit this call; set once before the call is shared.
    private let wake: @Sendable () -> Void

    init(inboundMark: Int, outboundMark: Int, wake: @escaping @Sendable () -> Void) {
        self.inboundMark = inboundMark
        self.outboundMark = outboundMark
        self.wake = wake
    }

    // MARK: The task's side

    /// Takes the next inbound message if one is ready, without suspending: `.some(nil)`
    /// at the end of the stream, nil when the caller must wait.
    func tryReceive() throws(RPCError) -> [UInt8]?? {
        let ready: Received? = state.withLock { state in takeInbound(&state) }
        switch ready {
        case .message(let message): return .some(message)
        case .end: return .some(nil)
        case .failure(let error): throw error
        case nil: return nil
        }
    }

    /// Takes the next inbound message; nil at the end of the stream.
    func receive() async throws(RPCError) -> [UInt8]? {
        let immediate: Received? = state.withLock { state in
            takeInbound(&state)
        }
        let received: Received
        if let immediate {
            received = immediate
        } else {
            received = await withCheckedContinuation { continuation in
                let now: Received? = state.withLock { state in
                    if let ready = takeInbound(&state) { return ready }
                    state.reader = continuation
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        }
        switch received {
        case .message(let message): return message
        case .end: return nil
        case .failure(let error): throw error
        }
    }

    /// Pops a message or the end, under the lock; wakes the loop when the queue drops
    /// below the mark with window still owed.
    private func takeInbound(_ state: inout State) -> Received? {
        if let failure = state.failure { return .failure(failure) }
        if let message = state.inbound.popFirst() {
            state.inboundBytes -= message.count + MessageFraming.prefixLength
            if state.owedBytes > 0 && state.inboundBytes <= inboundMark {
                state.consumeRequested += state.owedBytes
                state.owedBytes = 0
                scheduleLocked(&state)
            }
            return .message(message)
        }
        switch state.inboundEnd {
        case .finished: return .end
        case .failed(let error): return .failure(error)
        case nil: return nil
        }
    }

    /// Appends one framed message; suspends while the outbound buffer is above the mark.
    func send(_ message: [UInt8], startsResponse: Bool) async throws(RPCError) {
        if try enqueue(message, startsResponse: startsResponse) {
            try await waitForRoom()
        }
    }

    /// Appends one framed message without suspending; returns whether the caller must
    /// wait for room (`waitForRoom`) before sending more.
    func enqueue(_ message: [UInt8], startsResponse: Bool) throws(RPCError) -> Bool {
        try state.withLock { (state) throws(RPCError) -> Bool in
            if let error = Self.sendError(state) { throw error }
            if state.outboundEnded {
                throw RPCError(code: .internal, message: "the call already finished sending")
            }
            if startsResponse && state.responseHeaders == nil {
                state.responseHeaders = [:]
            }
            MessageFraming.append(message, to: &state.outbound)
            scheduleLocked(&state)
            return state.outbound.count - state.outboundOffset > outboundMark
        }
    }

    /// Suspends until the outbound buffer is back under the mark or the call is over.
    func waitForRoom() async throws(RPCError) {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.failure != nil || state.result != nil
                    || state.outbound.count - state.outboundOffset <= outboundMark
                {
                    return true
                }
                state.writer = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        if let error = state.withLock({ Self.sendError($0) }) { throw error }
    }

    /// Why a send cannot go on: the call failed locally or its status arrived.
    private static func sendError(_ state: State) -> RPCError? {
        if let failure = state.failure { return failure }
        guard let result = state.result else { return nil }
        if result.status.code == .ok {
            return RPCError(code: .internal, message: "the call already ended with OK")
        }
        return RPCError(
            code: result.status.code, message: result.status.message, metadata: result.trailers)
    }

    /// Marks the outbound side finished (client half-close).
    func finishSending() throws(RPCError) {
        try state.withLock { (state) throws(RPCError) in
            if let failure = state.failure { throw failure }
            if state.outboundEnded { return }
            state.outboundEnded = true
            scheduleLocked(&state)
        }
    }

    /// Server: asks for the response headers with `metadata` now.
    func sendResponseHeaders(_ metadata: Metadata) throws(RPCError) {
        try state.withLock { (state) throws(RPCError) in
            if let failure = state.failure { throw failure }
            guard state.responseHeaders == nil, state.status == nil else {
                throw RPCError(
                    code: .internal, message: "the response headers were already sent")
            }
            state.responseHeaders = metadata
            scheduleLocked(&state)
        }
    }

    /// Server: the handler's trailing metadata, sent with the status.
    func setTrailers(_ metadata: Metadata) {
        state.withLock { $0.trailers = metadata }
    }

    /// Server: the handler is done; queue its status (ignored once a status is set).
    func finish(_ status: CallStatus, extraTrailers: Metadata = [:]) {
        state.withLock { state in
            guard state.status == nil else { return }
            state.status = status
            for (key, value) in extraTrailers {
                switch value {
                case .string(let text): state.trailers.add(key, text)
                case .binary(let bytes): state.trailers.add(key, bytes: bytes)
                }
            }
            state.outboundEnded = true
            scheduleLocked(&state)
        }
    }

    /// Client: the caller gives up; the loop resets the stream.
    func cancelByCaller() {
        let woken = state.withLock { state -> Woken in
            guard state.result == nil, state.failure == nil else { return Woken() }
            state.cancelRequested = true
            scheduleLocked(&state)
            let error = RPCError(code: .cancelled, message: "the call was cancelled")
            return failLocked(&state, error, result: CallStatus(error), trailers: [:])
        }
        woken.resume()
    }

    /// Client: waits until the response headers arrived or the call ended.
    func waitForHead() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.initialMetadata != nil || state.result != nil { return true }
                state.headWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Client: waits until the call's status is known.
    func waitForEnd() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.result != nil { return true }
                state.endWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private func scheduleLocked(_ state: inout State) {
        if !state.scheduled {
            state.scheduled = true
            // Waking under the lock keeps the flag and the queued job in step; the
            // wake-up only appends to the loop's queue.
            wake()
        }
    }

    // MARK: The loop's side

    /// Takes what the loop must do for this call and clears the visit flag.
    func takeLoopWork() -> LoopWork {
        state.withLock { state in
            state.scheduled = false
            var work = LoopWork()
            work.consume = state.consumeRequested
            state.consumeRequested = 0
            work.outboundNews = true
            work.cancel = state.cancelRequested
            return work
        }
    }

    /// Queues messages from the wire and returns how many of `wireBytes` may be
    /// consumed now; the rest is owed until the reader catches up.
    func deliver(_ messages: [[UInt8]], wireBytes: Int) -> Int {
        let (consumeNow, reader, handed) = state.withLock {
            state -> (Int, CheckedContinuation<Received, Never>?, [UInt8]?) in
            if state.failure != nil { return (wireBytes, nil, nil) }
            var pending = messages[...]
            var reader: CheckedContinuation<Received, Never>? = nil
            var handed: [UInt8]? = nil
            if state.reader != nil, let first = pending.first {
                reader = state.reader
                state.reader = nil
                handed = first
                pending = pending.dropFirst()
            }
            for message in pending {
                state.inbound.append(message)
                state.inboundBytes += message.count + MessageFraming.prefixLength
            }
            if state.inboundBytes <= inboundMark {
                return (wireBytes, reader, handed)
            }
            state.owedBytes += wireBytes
            return (0, reader, handed)
        }
        if let reader, let handed { reader.resume(returning: .message(handed)) }
        return consumeNow
    }

    /// The inbound side ended (cleanly, or with the status the reader should see once
    /// the queued messages are read).
    func endInbound(_ end: InboundEnd) {
        let reader = state.withLock { state -> CheckedContinuation<Received, Never>? in
            guard state.inboundEnd == nil else { return nil }
            state.inboundEnd = end
            guard let reader = state.reader else { return nil }
            state.reader = nil
            return reader
        }
        guard let reader else { return }
        switch end {
        case .finished: reader.resume(returning: .end)
        case .failed(let error): reader.resume(returning: .failure(error))
        }
    }

    /// Copies up to `capacity` outbound bytes into `target`; resumes a writer that
    /// waited for room. Returns the count and whether the outbound side is finished
    /// with nothing left.
    func drainOutbound(into target: UnsafeMutableRawBufferPointer) -> (count: Int, ended: Bool) {
        // The buffer is nghttp2's, valid for this synchronous call only.
        nonisolated(unsafe) let target = target
        let (count, ended, writer) = state.withLock {
            state -> (Int, Bool, CheckedContinuation<Void, Never>?) in
            let available = state.outbound.count - state.outboundOffset
            let count = min(available, target.count)
            if count > 0 {
                let offset = state.outboundOffset
                state.outbound.withUnsafeBytes { source in
                    target.baseAddress!.copyMemory(
                        from: source.baseAddress! + offset, byteCount: count)
                }
                state.outboundOffset += count
                if state.outboundOffset == state.outbound.count {
                    state.outbound.removeAll(keepingCapacity: state.outbound.capacity <= 1 << 20)
                    state.outboundOffset = 0
                } else if state.outboundOffset >= 1 << 16 {
                    state.outbound.removeFirst(state.outboundOffset)
                    state.outboundOffset = 0
                }
            }
            let left = state.outbound.count - state.outboundOffset
            var writer: CheckedContinuation<Void, Never>? = nil
            if left <= outboundMark {
                writer = state.writer
                state.writer = nil
            }
            return (count, left == 0 && state.outboundEnded, writer)
        }
        writer?.resume()
        return (count, ended)
    }

    /// Whether unsent outbound bytes are queued.
    var hasOutbound: Bool {
        state.withLock { $0.outbound.count > $0.outboundOffset }
    }

    /// Server: drops unsent messages and sets a status that overrides the handler's
    /// (deadline, receive limit).
    func overrideStatus(_ status: CallStatus) {
        state.withLock { state in
            state.outbound.removeAll()
            state.outboundOffset = 0
            state.status = status
            state.outboundEnded = true
        }
    }

    /// Ends the call for the local task with `error`: readers and writers wake and
    /// throw. On a client, `result` becomes the call's status unless one is known.
    func fail(_ error: RPCError, result: CallStatus? = nil, trailers: Metadata = [:]) {
        let woken = state.withLock { state in
            failLocked(&state, error, result: result, trailers: trailers)
        }
        woken.resume()
    }

    /// The tasks a failure wakes, resumed only once the lock is released: resuming
    /// takes the runtime's lock on the waiting task, and a cancellation handler holds
    /// that lock while it waits for ours (`cancelByCaller`), so resuming under our
    /// lock can deadlock the two.
    private struct Woken {
        var reader: (CheckedContinuation<Received, Never>, RPCError)? = nil
        var waiters: [CheckedContinuation<Void, Never>] = []

        func resume() {
            if let (reader, error) = reader { reader.resume(returning: .failure(error)) }
            for waiter in waiters { waiter.resume() }
        }
    }

    private func failLocked(
        _ state: inout State, _ error: RPCError, result: CallStatus?, trailers: Metadata
    ) -> Woken {
        if state.failure == nil { state.failure = error }
        state.inbound.removeAll()
        state.inboundBytes = 0
        var woken = Woken()
        if let reader = state.reader {
            state.reader = nil
            woken.reader = (reader, state.failure!)
        }
        if let writer = state.writer {
            state.writer = nil
            woken.waiters.append(writer)
        }
        if let result, state.result == nil {
            state.result = (result, trailers)
        }
        if state.result != nil {
            woken.waiters += state.headWaiters + state.endWaiters
            state.headWaiters = []
            state.endWaiters = []
        }
        return woken
    }

    /// Client: the response headers arrived.
    func receivedHead(_ metadata: Metadata) {
        let waiters = state.withLock { state in
            state.initialMetadata = metadata
            let waiters = state.headWaiters
            state.headWaiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Client: the call ended with `status`; the reader sees it after queued messages.
    func complete(_ status: CallStatus, trailers: Metadata) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard state.result == nil else { return [] }
            state.result = (status, trailers)
            var waiters = state.headWaiters + state.endWaiters
            state.headWaiters = []
            state.endWaiters = []
            if let writer = state.writer {
                state.writer = nil
                waiters.append(writer)
            }
            return waiters
        }
        if status.code == .ok {
            endInbound(.finished)
        } else {
            endInbound(
                .failed(RPCError(code: status.code, message: status.message, metadata: trailers)))
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Bytes the loop must still hand back to the connection's window when the
    /// stream closes. Nothing is delivered after the close, so nothing is owed again;
    /// how the reader's side ends is up to the caller (`complete` or `fail`).
    func takeOwedAtClose() -> Int {
        state.withLock { state in
            let owed = state.owedBytes + state.consumeRequested
            state.owedBytes = 0
            state.consumeRequested = 0
            return owed
        }
    }
}

/// A first-in first-out queue on an array with a moving head, compacted as it drains.
/// It holds what its owner puts in; the owner states the bound.
struct RingBuffer<Element> {
    private var storage: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == storage.count }
    var count: Int { storage.count - head }

    mutating func append(_ element: Element) {
        storage.append(element)
    }

    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    mutating func removeAll() {
        storage.removeAll()
        head = 0
    }
}
