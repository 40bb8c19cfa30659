import CNGHTTP2
import Glibc
import Synchronization

/// What every connection of one channel shares.
final class ClientCore: Sendable {
    let configuration: ClientConfiguration
    let authority: String
    let counters = CounterSet()
    let callbacks = SessionCallbacks(HTTP2Connection.makeCallbacks())
    let options: SessionOptions

    init(configuration: ClientConfiguration, authority: String) {
        self.configuration = configuration
        self.authority = authority
        let option = SessionSetup.makeOptions()
        options = SessionOptions(option)
    }
}

/// One call of a client connection, as the loop tracks it.
final class ClientStream: @unchecked Sendable {
    // Invariant for @unchecked Sendable: created by the caller, then touched only on
    // the connection's loop thread.
    let number: Int
    let channel: CallChannel
    let path: String
    let metadata: Metadata
    let deadline: UInt64?
    var id: Int32 = -1
    var state = ClientStreamState()
    var deframer: MessageDeframer
    var fields: [HeaderField] = []
    var deadlineTimer: TimerHeap.ID? = nil

    init(number: Int, channel: CallChannel, path: String, metadata: Metadata,
         deadline: UInt64?, limit: Int) {
        self.number = number
        self.channel = channel
        self.path = path
        self.metadata = metadata
        self.deadline = deadline
        self.deframer = MessageDeframer(limit: limit)
    }
}

/// The client side of one HTTP/2 connection: connects, multiplexes the channel's calls
/// and turns the server's frames into messages and statuses.
final class ClientConnection: HTTP2Connection, @unchecked Sendable {
    // Invariant for @unchecked Sendable: as for HTTP2Connection; `acceptsCalls` is
    // atomic because the channel reads it from callers' threads.

    private enum Phase {
        case idle, connecting, ready, closed
    }

    let core: ClientCore
    /// False once the connection closed or the server sent GOAWAY: the channel then
    /// opens a new connection for the next call.
    let acceptsCalls = Atomic<Bool>(true)
    /// Told when the connection stops accepting calls.
    let onRetired: @Sendable (ClientConnection) -> Void
    private var phase = Phase.idle
    private var addresses: [SocketAddress] = []
    /// The address being tried; the next is tried when it fails.
    private var addressIndex = 0
    /// Why each address tried so far failed, for the error if all do.
    private var connectFailures: [String] = []
    /// Why the connection closed, for a call handed to it afterwards: the
    /// channel gives a call to the connection it holds, and the loop may see
    /// every address refuse before the call reaches it (on loopback a refusal
    /// comes back at once).
    private var closedBecause: String?
    /// Calls waiting for the connection; at most one entry per caller.
    private var waiting: [ClientStream] = []
    private var calls: [Int: ClientStream] = [:]
    private var callByStream: [Int32: Int] = [:]
    private var connectTimer: TimerHeap.ID? = nil
    private var keepaliveTimer: TimerHeap.ID? = nil
    private var pingAckTimer: TimerHeap.ID? = nil
    private var lastReadAt = Monotonic.now()
    private var goingAway = false

    init(loop: EventLoop, core: ClientCore, addresses: [SocketAddress],
         onRetired: @escaping @Sendable (ClientConnection) -> Void) throws(RPCError) {
        self.core = core
        self.onRetired = onRetired
        let fd = try Self.socket(for: addresses[0])
        self.addresses = addresses
        super.init(loop: loop, io: TCPStream(adopting: fd))
    }

    private static func socket(for address: SocketAddress) throws(RPCError) -> Int32 {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else {
            throw RPCError(code: .unavailable, message: "cannot create a socket: \(errnoText())")
        }
        return fd
    }

    // MARK: Connecting

    /// Starts the non-blocking connect. Loop thread.
    func connect() {
        guard phase == .idle else { return }
        phase = .connecting
        let address = addresses[addressIndex]
        let result = address.withSockAddr { Glibc.connect(io.fileDescriptor, $0, $1) }
        if result != 0 && errno != EINPROGRESS {
            addressFailed("cannot connect to \(address): \(errnoText())")
            return
        }
        loop.register(io.fileDescriptor, events: EPOLLOUT.rawValue, handler: self)
        connectTimer = loop.schedule(at: Monotonic.after(core.configuration.connectTimeout)) {
            [self] in
            connectTimer = nil
            if phase == .connecting {
                addressFailed("connecting to \(address) timed out")
            }
        }
    }

    /// The address being tried failed: on to the host's next one, on a new
    /// socket, with the calls still waiting; after the last, the calls fail
    /// with every address's reason.
    private func addressFailed(_ reason: String) {
        connectFailures.append(reason)
        guard addressIndex + 1 < addresses.count, let stream = io as? TCPStream,
            let fd = try? Self.socket(for: addresses[addressIndex + 1])
        else {
            connectFailed(connectFailures.joined(separator: "; "))
            return
        }
        loop.cancelTimer(connectTimer)
        connectTimer = nil
        loop.deregister(io.fileDescriptor)
        addressIndex += 1
        stream.replace(with: fd)
        phase = .idle
        connect()
    }

    override func handleEvents(_ events: UInt32) {
        guard phase == .connecting else {
            super.handleEvents(events)
            return
        }
        var error: Int32 = 0
        var length = socklen_t(4)
        getsockopt(io.fileDescriptor, SOL_SOCKET, SO_ERROR, &error, &length)
        if error != 0 {
            addressFailed("cannot connect to \(addresses[addressIndex]): \(errnoText(error))")
            return
        }
        loop.cancelTimer(connectTimer)
        connectTimer = nil
        phase = .ready
        var session: OpaquePointer? = nil
        nghttp2_session_client_new2(&session, core.callbacks.pointer, userData,
            core.options.pointer)
        self.session = session
        SessionSetup.submitSettings(
            session!, maxConcurrentStreams: nil,
            initialWindow: core.configuration.initialWindowSize,
            connectionWindow: core.configuration.connectionWindowSize)
        loop.modify(io.fileDescriptor, events: EPOLLIN.rawValue)
        core.counters.connectionsOpen.add(1, ordering: .relaxed)
        core.counters.connectionsTotal.add(1, ordering: .relaxed)
        let ready = waiting
        waiting = []
        for stream in ready {
            submit(stream)
        }
        scheduleKeepalive()
        scheduleFlush()
    }

    private func connectFailed(_ reason: String) {
        phase = .closed
        closedBecause = reason
        retire()
        loop.cancelTimer(connectTimer)
        let status = CallStatus(code: .unavailable, message: reason)
        for stream in waiting {
            finish(stream, status)
        }
        waiting = []
        loop.deregister(io.fileDescriptor)
        io.close()
    }

    private func retire() {
        if acceptsCalls.exchange(false, ordering: .relaxed) {
            onRetired(self)
        }
    }

    // MARK: Calls

    /// Takes a new call. Loop thread.
    func start(_ stream: ClientStream) {
        core.counters.callsTotal.add(1, ordering: .relaxed)
        if let deadline = stream.deadline {
            stream.deadlineTimer = loop.schedule(at: deadline) { [self] in
                stream.deadlineTimer = nil
                guard !stream.state.isClosed else { return }
                reset(stream, NGHTTP2_CANCEL.rawValue)
                finish(stream, CallStatus(code: .deadlineExceeded, message: "deadline exceeded"))
            }
        }
        switch phase {
        case .idle:
            waiting.append(stream)
            connect()
        case .connecting:
            waiting.append(stream)
        case .ready:
            if goingAway {
                finish(stream, CallStatus(
                    code: .unavailable, message: "the connection is going away"))
            } else {
                submit(stream)
                scheduleFlush()
            }
        case .closed:
            finish(
                stream,
                CallStatus(
                    code: .unavailable, message: closedBecause ?? "the connection was lost"))
        }
    }

    private func submit(_ stream: ClientStream) {
        guard !stream.state.isClosed else { return }
        var fields: [(String, String)] = [
            (":method", "POST"), (":scheme", "http"), (":path", stream.path),
            (":authority", core.authority), ("content-type", "application/grpc"),
            ("te", "trailers"), ("user-agent", core.configuration.userAgent),
        ]
        if let deadline = stream.deadline {
            let now = Monotonic.now()
            let left = deadline > now ? deadline - now : 0
            fields.append(("grpc-timeout", GRPCTimeout.format(.nanoseconds(Int64(left)))))
        }
        fields += stream.metadata.wireFields()
        var provider = Self.dataProvider
        let id = Self.withHeaders(fields) { list, count in
            nghttp2_submit_request(session, nil, list, count, &provider, nil)
        }
        guard id > 0 else {
            finish(stream, CallStatus(
                code: .unavailable,
                message: "cannot start a stream: \(String(cString: nghttp2_strerror(id)))"))
            return
        }
        stream.id = id
        calls[stream.number] = stream
        callByStream[id] = stream.number
        core.counters.streamsOpen.add(1, ordering: .relaxed)
    }

    /// The caller has news for a call: data, half-close, cancellation, window.
    func visit(_ stream: ClientStream) {
        let work = stream.channel.takeLoopWork()
        guard !isClosed, stream.id > 0, calls[stream.number] != nil else {
            if work.cancel, let index = waiting.firstIndex(where: { $0 === stream }) {
                waiting.remove(at: index)
                loop.cancelTimer(stream.deadlineTimer)
            }
            return
        }
        if work.consume > 0 {
            nghttp2_session_consume(session, stream.id, work.consume)
        }
        if work.cancel && !stream.state.isClosed {
            stream.state.close()
            loop.cancelTimer(stream.deadlineTimer)
            reset(stream, NGHTTP2_CANCEL.rawValue)
        } else if work.cancel {
            reset(stream, NGHTTP2_CANCEL.rawValue)
        } else {
            nghttp2_session_resume_data(session, stream.id)
        }
        scheduleFlush()
    }

    private func reset(_ stream: ClientStream, _ code: UInt32) {
        guard stream.id > 0, session != nil else { return }
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, code)
        scheduleFlush()
    }

    /// Ends a call with `status` (idempotent). A status from the server lets the caller
    /// read the messages that came before it; a local end (deadline, cancellation,
    /// limit, lost connection) drops them and fails at once.
    private func finish(
        _ stream: ClientStream, _ status: CallStatus, trailers: Metadata = [:],
        fromServer: Bool = false
    ) {
        stream.state.close()
        loop.cancelTimer(stream.deadlineTimer)
        stream.deadlineTimer = nil
        if fromServer {
            stream.channel.complete(status, trailers: trailers)
        } else {
            stream.channel.fail(
                RPCError(code: status.code, message: status.message, metadata: trailers),
                result: status, trailers: trailers)
        }
    }

    private func stream(_ id: Int32) -> ClientStream? {
        guard let number = callByStream[id] else { return nil }
        return calls[number]
    }

    // MARK: Session callbacks

    override func onBeginHeaders(streamID: Int32, category: nghttp2_headers_category) -> Int32 {
        stream(streamID)?.fields = []
        return 0
    }

    override func onHeader(
        streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>
    ) -> Int32 {
        guard let stream = stream(streamID), stream.fields.count < 1024 else { return 0 }
        stream.fields.append(HeaderField(String(decoding: name, as: UTF8.self), Array(value)))
        return 0
    }

    override func onFrameReceived(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        let header = frame.pointee.hd
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            guard let stream = stream(header.stream_id), !stream.state.isClosed else { break }
            let fields = stream.fields
            stream.fields = []
            switch stream.state.receiveHeaders(fields, endStream: endStream) {
            case .initialMetadata(let metadata):
                stream.channel.receivedHead(metadata)
            case .status(let status, let trailers):
                if !endStream { reset(stream, NGHTTP2_CANCEL.rawValue) }
                finish(stream, status, trailers: trailers, fromServer: endStream)
            }
        case NGHTTP2_DATA.rawValue:
            guard endStream, let stream = stream(header.stream_id), !stream.state.isClosed else {
                break
            }
            finish(stream, stream.state.receiveEndWithoutStatus(), fromServer: true)
        case NGHTTP2_GOAWAY.rawValue:
            goingAway = true
            retire()
            if calls.isEmpty { closeAfterFlush = true }
        case NGHTTP2_PING.rawValue:
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 {
                loop.cancelTimer(pingAckTimer)
                pingAckTimer = nil
                scheduleKeepalive()
            }
        default:
            break
        }
        return 0
    }

    override func onDataChunk(streamID: Int32, data: UnsafeRawBufferPointer) -> Int32 {
        guard let stream = stream(streamID), !stream.state.isClosed else {
            nghttp2_session_consume(session, streamID, data.count)
            return 0
        }
        if let status = stream.state.receiveData() {
            nghttp2_session_consume(session, streamID, data.count)
            reset(stream, NGHTTP2_CANCEL.rawValue)
            finish(stream, status)
            return 0
        }
        var messages: [[UInt8]] = []
        do {
            try stream.deframer.process(data) { messages.append($0) }
        } catch {
            // Deliver what came before the bad message, then end the call.
            _ = stream.channel.deliver(messages, wireBytes: 0)
            nghttp2_session_consume(session, streamID, data.count)
            reset(stream, NGHTTP2_CANCEL.rawValue)
            finish(stream, CallStatus(error.error))
            return 0
        }
        let consumeNow = stream.channel.deliver(messages, wireBytes: data.count)
        if consumeNow > 0 {
            nghttp2_session_consume(session, streamID, consumeNow)
        }
        return 0
    }

    override func readData(
        streamID: Int32, into buffer: UnsafeMutableRawBufferPointer,
        flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard let stream = stream(streamID), !stream.state.isClosed else {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return 0
        }
        let (count, ended) = stream.channel.drainOutbound(into: buffer)
        if ended {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            stream.state.finishSending()
            return count
        }
        return count > 0 ? count : Int(NGHTTP2_ERR_DEFERRED.rawValue)
    }

    override func onStreamClosed(streamID: Int32, errorCode: UInt32) -> Int32 {
        guard let number = callByStream.removeValue(forKey: streamID),
            let stream = calls.removeValue(forKey: number)
        else { return 0 }
        core.counters.streamsOpen.add(-1, ordering: .relaxed)
        connectionBytesToConsume += stream.channel.takeOwedAtClose()
        if !stream.state.isClosed {
            let status = errorCode == NGHTTP2_NO_ERROR.rawValue
                ? stream.state.receiveEndWithoutStatus()
                : ClientStreamState.status(forReset: errorCode)
            finish(stream, status, fromServer: true)
        }
        if goingAway && calls.isEmpty {
            closeAfterFlush = true
            scheduleFlush()
        }
        return 0
    }

    override func onBytesRead(_ count: Int) {
        lastReadAt = Monotonic.now()
        core.counters.bytesReceived.add(count, ordering: .relaxed)
    }

    override func onBytesWritten(_ count: Int) {
        core.counters.bytesSent.add(count, ordering: .relaxed)
    }

    // MARK: Keepalive and shutdown

    private func scheduleKeepalive() {
        guard let interval = core.configuration.keepalive.interval, !isClosed else { return }
        loop.cancelTimer(keepaliveTimer)
        keepaliveTimer = loop.schedule(at: Monotonic.after(interval)) { [self] in
            keepaliveTimer = nil
            guard !isClosed, pingAckTimer == nil else { return }
            if calls.isEmpty && !core.configuration.keepalive.permitWithoutCalls {
                scheduleKeepalive()
                return
            }
            nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
            scheduleFlush()
            pingAckTimer = loop.schedule(
                at: Monotonic.after(core.configuration.keepalive.timeout)
            ) { [self] in
                pingAckTimer = nil
                close(reason: "keepalive timeout")
            }
        }
    }

    /// Stops taking calls and closes once the open ones end. Loop thread.
    func closeWhenIdle() {
        retire()
        switch phase {
        case .ready:
            goingAway = true
            if calls.isEmpty {
                closeAfterFlush = true
                scheduleFlush()
            }
        case .connecting, .idle:
            connectFailed("the channel was closed")
        case .closed:
            break
        }
    }

    override func onClosed(reason: String) {
        retire()
        if phase == .ready {
            core.counters.connectionsOpen.add(-1, ordering: .relaxed)
        }
        phase = .closed
        let lost = "the connection was lost: \(reason)"
        closedBecause = lost
        loop.cancelTimer(keepaliveTimer)
        loop.cancelTimer(pingAckTimer)
        let status = CallStatus(code: .unavailable, message: lost)
        for stream in calls.values {
            finish(stream, status)
        }
        for stream in waiting {
            finish(stream, status)
        }
        core.counters.streamsOpen.add(-calls.count, ordering: .relaxed)
        calls.removeAll()
        callByStream.removeAll()
        waiting.removeAll()
    }
}
