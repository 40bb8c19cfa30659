import CNGHTTP2
import Glibc

/// What every connection of one server shares: configuration, routes, counters, log.
final class ServerCore: Sendable {
    let configuration: ServerConfiguration
    let router: MethodRouter
    let counters = CounterSet()
    let callbacks: SessionCallbacks
    let options: SessionOptions

    var logger: TransportLogger { configuration.logger }

    init(configuration: ServerConfiguration, router: MethodRouter) {
        self.configuration = configuration
        self.router = router
        callbacks = SessionCallbacks(HTTP2Connection.makeCallbacks())
        options = SessionOptions(SessionSetup.makeOptions())
    }
}

/// One stream of a server connection, as the loop tracks it.
final class ServerStream {
    let id: Int32
    var fields: [HeaderField] = []
    var headerBytes = 0
    var state = ServerStreamState()
    var deframer: MessageDeframer
    var channel: CallChannel? = nil
    var task: Task<Void, Never>? = nil
    var deadlineTimer: TimerHeap.ID? = nil
    var responseSubmitted = false
    var path = ""

    init(id: Int32, limit: Int) {
        self.id = id
        self.deframer = MessageDeframer(limit: limit)
    }
}

/// The server side of one HTTP/2 connection: validates requests, runs handlers as
/// tasks, and writes their responses.
final class ServerConnection: HTTP2Connection, @unchecked Sendable {
    let core: ServerCore
    let peer: String
    /// Told when the connection closes, so the loop can forget it.
    var onGone: ((ServerConnection) -> Void)? = nil
    private var streams: [Int32: ServerStream] = [:]
    private var draining = false

    private var lastReadAt = Monotonic.now()
    private var keepaliveTimer: TimerHeap.ID? = nil
    private var pingAckTimer: TimerHeap.ID? = nil
    private var lastClientPingAt: UInt64? = nil
    private var pingStrikes = 0

    /// The maximum size of a request's header list, as advertised in SETTINGS.
    static let maxHeaderListBytes = 16 * 1024

    init(loop: EventLoop, io: ByteStream, core: ServerCore) {
        self.core = core
        self.peer = SocketAddress.peer(of: io.fileDescriptor)?.description ?? "unknown"
        super.init(loop: loop, io: io)
    }

    /// Creates the session, sends SETTINGS and starts reading. Loop thread.
    func start() {
        var session: OpaquePointer? = nil
        nghttp2_session_server_new2(&session, core.callbacks.pointer, userData,
            core.options.pointer)
        self.session = session
        let configuration = core.configuration
        SessionSetup.submitSettings(
            session!, maxConcurrentStreams: configuration.maxConcurrentStreamsPerConnection,
            initialWindow: configuration.initialWindowSize,
            connectionWindow: configuration.connectionWindowSize)
        loop.register(io.fileDescriptor, events: EPOLLIN.rawValue, handler: self)
        core.counters.connectionsOpen.add(1, ordering: .relaxed)
        core.counters.connectionsTotal.add(1, ordering: .relaxed)
        scheduleKeepalive()
        scheduleFlush()
        core.logger.log(.debug, "connection opened", [("peer", peer)])
    }

    // MARK: Requests

    override func onBeginHeaders(streamID: Int32, category: nghttp2_headers_category) -> Int32 {
        if category == NGHTTP2_HCAT_REQUEST {
            streams[streamID] = ServerStream(
                id: streamID, limit: core.configuration.maxReceiveMessageBytes)
            core.counters.streamsOpen.add(1, ordering: .relaxed)
        }
        return 0
    }

    override func onHeader(
        streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>
    ) -> Int32 {
        guard let stream = streams[streamID] else { return 0 }
        // Only the request headers matter; client trailers are not read.
        guard stream.channel == nil, stream.state.phase == .clientIdleServerIdle else {
            return 0
        }
        stream.headerBytes += name.count + value.count + 32
        if stream.headerBytes > Self.maxHeaderListBytes {
            return 0
        }
        stream.fields.append(
            HeaderField(String(decoding: name, as: UTF8.self), Array(value)))
        return 0
    }

    override func onFrameReceived(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        let header = frame.pointee.hd
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            guard let stream = streams[header.stream_id] else { return 0 }
            if frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
                requestHeadersComplete(stream, endStream: endStream)
            } else if endStream {
                requestEnded(stream)
            }
        case NGHTTP2_DATA.rawValue:
            if endStream, let stream = streams[header.stream_id] {
                requestEnded(stream)
            }
        case NGHTTP2_PING.rawValue:
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 {
                pingAcknowledged()
            } else {
                clientPinged()
            }
        default:
            break
        }
        return 0
    }

    private func requestHeadersComplete(_ stream: ServerStream, endStream: Bool) {
        guard stream.state.receiveRequestHeaders(endStream: endStream) else { return }
        if stream.headerBytes > Self.maxHeaderListBytes {
            reject(
                stream,
                RequestRejection(
                    code: .resourceExhausted,
                    message: "request headers exceed \(Self.maxHeaderListBytes) bytes"))
            return
        }
        let router = core.router
        let fields = stream.fields
        stream.fields = []
        switch RequestChecks.check(fields, isKnownPath: { router.handler(for: $0) != nil }) {
        case .failure(let rejection):
            reject(stream, rejection)
        case .success(let head):
            startCall(stream, head: head, endStream: endStream)
        }
    }

    private func reject(_ stream: ServerStream, _ rejection: RequestRejection) {
        core.logger.log(
            .debug, "request rejected",
            [("peer", peer), ("code", "\(rejection.error.code)"),
             ("message", rejection.error.message)])
        _ = stream.state.sendStatus()
        var fields: [(String, String)] = [
            (":status", String(rejection.httpStatus)), ("content-type", "application/grpc"),
        ]
        fields += rejection.extraHeaders
        fields.append(("grpc-status", String(rejection.error.code.rawValue)))
        fields.append(("grpc-message", PercentEncoding.encode(rejection.error.message)))
        stream.responseSubmitted = true
        Self.withHeaders(fields) { list, count in
            _ = nghttp2_submit_response(session, stream.id, list, count, nil)
        }
    }

    private func startCall(_ stream: ServerStream, head: RequestHead, endStream: Bool) {
        let configuration = core.configuration
        let streamID = stream.id
        let channel = CallChannel(
            inboundMark: configuration.inboundBufferMark,
            outboundMark: configuration.outboundBufferMark,
            wake: { [self] in loop.execute { self.visit(streamID) } })
        stream.channel = channel
        stream.path = head.path
        core.counters.callsTotal.add(1, ordering: .relaxed)
        if endStream {
            channel.endInbound(.finished)
        }

        var deadline: ContinuousClock.Instant? = nil
        if let timeout = head.timeout {
            deadline = ContinuousClock.now + timeout
            stream.deadlineTimer = loop.schedule(at: Monotonic.after(timeout)) {
                [self] in deadlineExpired(streamID)
            }
        }
        let context = ServerCallContext(
            path: head.path, requestMetadata: head.metadata, deadline: deadline, peer: peer)
        let call = ServerCall(context: context, channel: channel)
        let handler = core.router.handler(for: head.path)!
        let logger = core.logger
        stream.task = Task {
            await Self.run(handler, call: call, channel: channel, logger: logger)
        }
    }

    /// Runs a handler and turns its outcome into the call's status.
    private static func run(
        _ handler: ServerHandler, call: ServerCall, channel: CallChannel,
        logger: TransportLogger
    ) async {
        do {
            try await handler(call)
            channel.finish(.ok)
        } catch let error as RPCError {
            channel.finish(CallStatus(error), extraTrailers: error.metadata)
        } catch is CancellationError {
            channel.finish(CallStatus(code: .cancelled, message: "the call was cancelled"))
        } catch {
            logger.log(
                .warning, "handler failed",
                [("path", call.context.path), ("peer", call.context.peer),
                 ("error", String(describing: error))])
            channel.finish(CallStatus(code: .unknown, message: "the server's handler failed"))
        }
    }

    override func onDataChunk(streamID: Int32, data: UnsafeRawBufferPointer) -> Int32 {
        guard let stream = streams[streamID], let channel = stream.channel,
            stream.state.isServerOpen
        else {
            // A rejected or finished call: the bytes go nowhere, the window reopens.
            nghttp2_session_consume(session, streamID, data.count)
            return 0
        }
        var messages: [[UInt8]] = []
        do {
            try stream.deframer.process(data) { messages.append($0) }
        } catch {
            nghttp2_session_consume(session, streamID, data.count)
            endWithStatus(stream, CallStatus(error.error))
            return 0
        }
        let consumeNow = channel.deliver(messages, wireBytes: data.count)
        if consumeNow > 0 {
            nghttp2_session_consume(session, streamID, consumeNow)
        }
        return 0
    }

    private func requestEnded(_ stream: ServerStream) {
        stream.state.receiveEndOfRequest()
        guard let channel = stream.channel, stream.state.isServerOpen else { return }
        if stream.deframer.hasPartialMessage {
            endWithStatus(
                stream,
                CallStatus(code: .internal, message: "request ended inside a message"))
        } else {
            channel.endInbound(.finished)
        }
    }

    /// Ends a running call with `status` whatever its handler does: cancels the
    /// handler, drops unsent messages, and sends the status.
    private func endWithStatus(_ stream: ServerStream, _ status: CallStatus) {
        guard let channel = stream.channel, stream.state.isServerOpen else { return }
        stream.task?.cancel()
        channel.overrideStatus(status)
        channel.fail(RPCError(code: status.code, message: status.message))
        pushResponse(stream)
        scheduleFlush()
    }

    private func deadlineExpired(_ streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        stream.deadlineTimer = nil
        endWithStatus(stream, CallStatus(code: .deadlineExceeded, message: "deadline exceeded"))
        // A client that stopped reading holds the trailers behind flow control; the
        // call must end anyway.
        if stream.state.isServerOpen || stream.state.phase == .clientOpenServerClosed {
            if nghttp2_session_get_stream_remote_window_size(session, streamID) <= 0 {
                nghttp2_submit_rst_stream(
                    session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID,
                    NGHTTP2_CANCEL.rawValue)
            }
        }
    }

    // MARK: Responses

    /// A call's task has news: window to reopen, headers, messages or its status.
    private func visit(_ streamID: Int32) {
        guard !isClosed, let stream = streams[streamID], let channel = stream.channel else {
            return
        }
        let work = channel.takeLoopWork()
        if work.consume > 0 {
            nghttp2_session_consume(session, streamID, work.consume)
        }
        pushResponse(stream)
        scheduleFlush()
    }

    /// Submits the response headers, a Trailers-Only response, or resumes the data
    /// provider, whichever the call's state calls for.
    private func pushResponse(_ stream: ServerStream) {
        guard let channel = stream.channel, stream.state.isServerOpen else { return }
        if stream.responseSubmitted {
            nghttp2_session_resume_data(session, stream.id)
            return
        }
        let (headers, status, trailers, hasData) = channel.state.withLock {
            ($0.responseHeaders, $0.status, $0.trailers, $0.outbound.count > $0.outboundOffset)
        }
        if let status, headers == nil, !hasData {
            _ = stream.state.sendStatus()
            stream.responseSubmitted = true
            var fields: [(String, String)] = [
                (":status", "200"), ("content-type", "application/grpc"),
            ]
            fields += Self.statusFields(status, trailers: trailers)
            Self.withHeaders(fields) { list, count in
                _ = nghttp2_submit_response(session, stream.id, list, count, nil)
            }
            return
        }
        guard headers != nil || status != nil || hasData else { return }
        _ = stream.state.sendResponseHeaders()
        stream.responseSubmitted = true
        var fields: [(String, String)] = [
            (":status", "200"), ("content-type", "application/grpc"),
        ]
        fields += (headers ?? [:]).wireFields()
        var provider = Self.dataProvider
        Self.withHeaders(fields) { list, count in
            _ = nghttp2_submit_response(session, stream.id, list, count, &provider)
        }
    }

    static func statusFields(_ status: CallStatus, trailers: Metadata) -> [(String, String)] {
        var fields = [("grpc-status", String(status.code.rawValue))]
        if !status.message.isEmpty {
            fields.append(("grpc-message", PercentEncoding.encode(status.message)))
        }
        return fields + trailers.wireFields()
    }

    override func readData(
        streamID: Int32, into buffer: UnsafeMutableRawBufferPointer,
        flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard let stream = streams[streamID], let channel = stream.channel else {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return 0
        }
        let (count, ended) = channel.drainOutbound(into: buffer)
        if ended {
            flags.pointee |=
                NGHTTP2_DATA_FLAG_EOF.rawValue | NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
            let (status, trailers) = channel.state.withLock { ($0.status ?? .ok, $0.trailers) }
            _ = stream.state.sendStatus()
            Self.withHeaders(Self.statusFields(status, trailers: trailers)) { list, count in
                _ = nghttp2_submit_trailer(session, streamID, list, count)
            }
            return count
        }
        return count > 0 ? count : Int(NGHTTP2_ERR_DEFERRED.rawValue)
    }

    override func onFrameSent(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        let header = frame.pointee.hd
        let type = UInt32(header.type)
        if type == NGHTTP2_HEADERS.rawValue || type == NGHTTP2_DATA.rawValue {
            pingStrikes = 0
        }
        if type == NGHTTP2_HEADERS.rawValue,
            header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0,
            let stream = streams[header.stream_id], stream.state.needsResetAfterStatus
        {
            // The response is complete while the client may still send: tell it to
            // stop (RFC 9113, 8.1), which also frees the stream.
            nghttp2_submit_rst_stream(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), header.stream_id,
                NGHTTP2_NO_ERROR.rawValue)
        }
        return 0
    }

    override func onStreamClosed(streamID: Int32, errorCode: UInt32) -> Int32 {
        guard let stream = streams.removeValue(forKey: streamID) else { return 0 }
        core.counters.streamsOpen.add(-1, ordering: .relaxed)
        loop.cancelTimer(stream.deadlineTimer)
        let handlerStillRunning = stream.state.isServerOpen
        stream.state.reset()
        if let channel = stream.channel {
            connectionBytesToConsume += channel.takeOwedAtClose()
            if handlerStillRunning {
                stream.task?.cancel()
                let message = errorCode == NGHTTP2_CANCEL.rawValue
                    ? "the client cancelled the call"
                    : "the stream was reset (HTTP/2 error \(errorCode))"
                channel.fail(RPCError(code: .cancelled, message: message))
            } else {
                channel.fail(RPCError(code: .cancelled, message: "the call is over"))
            }
        }
        if draining && streams.isEmpty {
            closeAfterFlush = true
            scheduleFlush()
        }
        return 0
    }

    // MARK: Keepalive

    override func onBytesRead(_ count: Int) {
        lastReadAt = Monotonic.now()
        core.counters.bytesReceived.add(count, ordering: .relaxed)
    }

    override func onBytesWritten(_ count: Int) {
        core.counters.bytesSent.add(count, ordering: .relaxed)
    }

    private func scheduleKeepalive() {
        guard let interval = core.configuration.keepalive.interval else { return }
        let nanos = Monotonic.after(interval) - Monotonic.now()
        keepaliveTimer = loop.schedule(at: lastReadAt + nanos) { [self] in
            keepaliveTimer = nil
            keepaliveDue(interval: nanos)
        }
    }

    private func keepaliveDue(interval: UInt64) {
        guard !isClosed else { return }
        if Monotonic.now() - lastReadAt < interval {
            scheduleKeepalive()
            return
        }
        nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
        scheduleFlush()
        pingAckTimer = loop.schedule(at: Monotonic.after(core.configuration.keepalive.timeout)) {
            [self] in
            pingAckTimer = nil
            core.logger.log(.info, "keepalive timeout, closing connection", [("peer", peer)])
            close(reason: "keepalive timeout")
        }
    }

    private func pingAcknowledged() {
        guard pingAckTimer != nil else { return }
        loop.cancelTimer(pingAckTimer)
        pingAckTimer = nil
        scheduleKeepalive()
    }

    /// Counts a client's ping against the gRPC ping policy: pings closer together than
    /// the minimum interval are strikes; past the allowed strikes the client is told
    /// GOAWAY(ENHANCE_YOUR_CALM) and the connection closes.
    private func clientPinged() {
        let now = Monotonic.now()
        let policy = core.configuration.keepalive
        let minimum = Monotonic.after(policy.minimumClientPingInterval) - Monotonic.now()
        if let last = lastClientPingAt, now - last < minimum {
            pingStrikes += 1
        }
        lastClientPingAt = now
        guard pingStrikes > policy.maxPingStrikes, !closeAfterFlush else { return }
        core.logger.log(.warning, "client pings too often, sending GOAWAY", [("peer", peer)])
        let debug = Array("too_many_pings".utf8)
        nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue),
            nghttp2_session_get_last_proc_stream_id(session),
            NGHTTP2_ENHANCE_YOUR_CALM.rawValue, debug, debug.count)
        closeAfterFlush = true
        scheduleFlush()
    }

    // MARK: Shutdown

    /// Sends GOAWAY: calls in flight go on, new streams are refused. Loop thread.
    func beginShutdown() {
        guard !isClosed, !draining else { return }
        draining = true
        nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue),
            nghttp2_session_get_last_proc_stream_id(session), NGHTTP2_NO_ERROR.rawValue,
            nil, 0)
        if streams.isEmpty {
            closeAfterFlush = true
        }
        scheduleFlush()
    }

    /// Ends every call with UNAVAILABLE and closes the connection. Loop thread.
    func forceClose() {
        close(reason: "server shut down")
    }

    override func onClosed(reason: String) {
        loop.cancelTimer(keepaliveTimer)
        loop.cancelTimer(pingAckTimer)
        for stream in streams.values {
            loop.cancelTimer(stream.deadlineTimer)
            if stream.state.isServerOpen {
                stream.task?.cancel()
            }
            stream.channel?.fail(
                RPCError(code: .unavailable, message: "the connection closed: \(reason)"))
        }
        core.counters.streamsOpen.add(-streams.count, ordering: .relaxed)
        streams.removeAll()
        core.counters.connectionsOpen.add(-1, ordering: .relaxed)
        core.logger.log(.debug, "connection closed", [("peer", peer), ("reason", reason)])
        onGone?(self)
        onGone = nil
    }
}

/// nghttp2's callback table, created once per server or channel and only read after.
final class SessionCallbacks: @unchecked Sendable {
    // Invariant: nghttp2 only reads the table when creating sessions.
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { nghttp2_session_callbacks_del(pointer) }
}

/// nghttp2's option set, created once per server or channel and only read after.
final class SessionOptions: @unchecked Sendable {
    // Invariant: nghttp2 only reads the options when creating sessions.
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { nghttp2_option_del(pointer) }
}
