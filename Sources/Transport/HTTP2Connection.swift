import CNGHTTP2
import Glibc

/// One HTTP/2 connection and its nghttp2 session, owned by one event loop.
///
/// The loop's turn for a connection: read until the socket would block, feeding every
/// chunk to `nghttp2_session_mem_recv` (which calls back into the subclass); then, once
/// per turn, take `nghttp2_session_mem_send` output until it is empty, batching it into
/// large writes. Bytes the kernel does not take are kept, the connection waits for
/// EPOLLOUT, and no more output is produced until they are written: the pending write
/// buffer is bounded by one batch.
///
/// Subclasses (server, client) handle the session's callbacks. Everything here runs on
/// the owning loop's thread.
class HTTP2Connection: EventHandler, @unchecked Sendable {
    // Invariant for @unchecked Sendable: the object is created, used and released on
    // its loop thread; other threads only capture it into jobs that run on that loop.

    let loop: EventLoop
    let io: ByteStream
    var session: OpaquePointer? = nil
    private(set) var isClosed = false

    private var pending: [UInt8] = []
    private var pendingOffset = 0
    private var batch: [UInt8] = []
    private var waitingForWritable = false
    private var flushQueued = false
    /// Close once everything queued is written (after a final GOAWAY).
    var closeAfterFlush = false
    /// Connection-level window owed for streams that closed with unconsumed bytes;
    /// given back before the next output, outside nghttp2's callbacks.
    var connectionBytesToConsume = 0

    /// The size of one write batch; output beyond it waits for the next write.
    static let batchSize = 64 * 1024

    init(loop: EventLoop, io: ByteStream) {
        self.loop = loop
        self.io = io
    }

    /// A pointer to self for nghttp2's `user_data`; valid while the loop holds self.
    var userData: UnsafeMutableRawPointer {
        Unmanaged.passUnretained(self).toOpaque()
    }

    // MARK: Subclass hooks (the session's callbacks)

    func onBeginHeaders(streamID: Int32, category: nghttp2_headers_category) -> Int32 { 0 }
    func onHeader(streamID: Int32, name: UnsafeBufferPointer<UInt8>,
                  value: UnsafeBufferPointer<UInt8>) -> Int32 { 0 }
    func onFrameReceived(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 { 0 }
    func onDataChunk(streamID: Int32, data: UnsafeRawBufferPointer) -> Int32 { 0 }
    func onStreamClosed(streamID: Int32, errorCode: UInt32) -> Int32 { 0 }
    func onFrameSent(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 { 0 }
    func readData(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer,
                  flags: UnsafeMutablePointer<UInt32>) -> Int { 0 }
    /// Bytes arrived (any frame): keepalive counts it as activity.
    func onBytesRead(_ count: Int) {}
    /// Bytes left for the peer.
    func onBytesWritten(_ count: Int) {}
    /// The connection is closed: fail every stream. Called once.
    func onClosed(reason: String) {}

    // MARK: I/O

    func handleEvents(_ events: UInt32) {
        if events & EPOLLOUT.rawValue != 0 {
            writePending()
        }
        if events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            readAvailable()
        }
        scheduleFlush()
    }

    /// Reads what the socket has and feeds it to the session.
    func readAvailable() {
        let buffer = ReadBuffer.shared
        while !isClosed {
            switch io.read(into: buffer) {
            case .bytes(let count):
                onBytesRead(count)
                let consumed = nghttp2_session_mem_recv(
                    session, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count)
                if consumed < 0 {
                    failSession(code: Int32(consumed))
                    return
                }
                // Level-triggered epoll: a short read means the socket is drained for now,
                // and if it is not, the loop is woken again.
                if count < buffer.count { return }
            case .wouldBlock:
                return
            case .closed:
                close(reason: "peer closed the connection")
                return
            case .failed(let code):
                close(reason: "read failed: \(errnoText(code))")
                return
            }
        }
    }

    /// A fatal session error from nghttp2 (bad preface, flood, internal): tell the peer
    /// with GOAWAY when possible, then close.
    func failSession(code: Int32) {
        let text = String(cString: nghttp2_strerror(code))
        if code == NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue {
            nghttp2_session_terminate_session(session, NGHTTP2_PROTOCOL_ERROR.rawValue)
        }
        flushNow()
        close(reason: "HTTP/2 session failed: \(text)")
    }

    /// Flushes once at the end of this loop turn, however many events asked for it.
    func scheduleFlush() {
        guard !flushQueued, !isClosed else { return }
        flushQueued = true
        loop.runAfterTurn { [self] in
            flushQueued = false
            flushNow()
        }
    }

    /// Moves the session's output to the socket until either is exhausted.
    func flushNow() {
        guard !isClosed, let session else { return }
        if connectionBytesToConsume > 0 {
            nghttp2_session_consume_connection(session, connectionBytesToConsume)
            connectionBytesToConsume = 0
        }
        if pendingOffset < pending.count {
            writePending()
            if pendingOffset < pending.count { return }
        }
        while true {
            batch.removeAll(keepingCapacity: true)
            while batch.count < Self.batchSize {
                var chunk: UnsafePointer<UInt8>? = nil
                let count = nghttp2_session_mem_send(session, &chunk)
                if count < 0 {
                    let reason = String(cString: nghttp2_strerror(Int32(count)))
                    close(reason: "HTTP/2 send failed: \(reason)")
                    return
                }
                if count == 0 { break }
                batch.append(contentsOf: UnsafeBufferPointer(start: chunk, count: count))
            }
            if batch.isEmpty { break }
            let written = write(batch)
            if isClosed { return }
            if written < batch.count {
                pending = Array(batch[written...])
                pendingOffset = 0
                waitForWritable(true)
                return
            }
        }
        waitForWritable(false)
        if closeAfterFlush {
            close(reason: "connection ended after GOAWAY")
            return
        }
        if nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0 {
            close(reason: "HTTP/2 session finished")
        }
    }

    /// Writes as much of `bytes` as the socket takes; returns the count.
    private func write(_ bytes: [UInt8]) -> Int {
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                io.write(UnsafeRawBufferPointer(rebasing: raw[offset...]))
            }
            switch result {
            case .bytes(let count):
                offset += count
                onBytesWritten(count)
            case .wouldBlock:
                return offset
            case .closed, .failed:
                close(reason: "write failed")
                return offset
            }
        }
        return offset
    }

    private func writePending() {
        guard pendingOffset < pending.count else { return }
        let remaining = Array(pending[pendingOffset...])
        let written = write(remaining)
        pendingOffset += written
        if pendingOffset == pending.count {
            pending = []
            pendingOffset = 0
            waitForWritable(false)
        }
    }

    private func waitForWritable(_ wait: Bool) {
        guard wait != waitingForWritable, !isClosed else { return }
        waitingForWritable = wait
        var events = EPOLLIN.rawValue
        if wait { events |= EPOLLOUT.rawValue }
        loop.modify(io.fileDescriptor, events: events)
    }

    /// Closes the socket and the session; streams are failed by `onClosed`.
    func close(reason: String) {
        guard !isClosed else { return }
        isClosed = true
        loop.deregister(io.fileDescriptor)
        io.close()
        onClosed(reason: reason)
        if let session {
            nghttp2_session_del(session)
            self.session = nil
        }
    }

    // MARK: Submitting

    /// Calls `body` with `fields` as an nghttp2 header list; nghttp2 copies it.
    static func withHeaders<R>(
        _ fields: [(String, String)], _ body: (UnsafePointer<nghttp2_nv>, Int) -> R
    ) -> R {
        var total = 0
        for (name, value) in fields {
            total += name.utf8.count + value.utf8.count
        }
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(total, 1))
        let list = UnsafeMutablePointer<nghttp2_nv>.allocate(capacity: max(fields.count, 1))
        defer {
            bytes.deallocate()
            list.deallocate()
        }
        var cursor = bytes
        for (index, (name, value)) in fields.enumerated() {
            let namePointer = cursor
            let nameLength = copyUTF8(name, to: cursor)
            cursor += nameLength
            let valuePointer = cursor
            let valueLength = copyUTF8(value, to: cursor)
            cursor += valueLength
            list[index] = nghttp2_nv(
                name: namePointer, value: valuePointer, namelen: nameLength,
                valuelen: valueLength, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
        }
        return body(list, fields.count)
    }

    private static func copyUTF8(_ text: String, to target: UnsafeMutablePointer<UInt8>) -> Int {
        var text = text
        return text.withUTF8 { source in
            if source.count > 0 {
                target.update(from: source.baseAddress!, count: source.count)
            }
            return source.count
        }
    }

    /// A data provider whose reads go to `readData`.
    static var dataProvider: nghttp2_data_provider {
        nghttp2_data_provider(
            source: nghttp2_data_source(ptr: nil),
            read_callback: { _, streamID, buffer, length, flags, _, userData in
                let connection = HTTP2Connection.from(userData)
                let target = UnsafeMutableRawBufferPointer(start: buffer, count: length)
                return connection.readData(streamID: streamID, into: target, flags: flags!)
            })
    }

    static func from(_ userData: UnsafeMutableRawPointer?) -> HTTP2Connection {
        Unmanaged<HTTP2Connection>.fromOpaque(userData!).takeUnretainedValue()
    }

    /// The session callbacks shared by every connection; they dispatch to the hooks.
    static func makeCallbacks() -> OpaquePointer {
        var callbacks: OpaquePointer? = nil
        nghttp2_session_callbacks_new(&callbacks)
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) {
            _, frame, userData in
            let frame = frame!
            return HTTP2Connection.from(userData).onBeginHeaders(
                streamID: frame.pointee.hd.stream_id, category: frame.pointee.headers.cat)
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, userData in
            HTTP2Connection.from(userData).onHeader(
                streamID: frame!.pointee.hd.stream_id,
                name: UnsafeBufferPointer(start: name, count: nameLength),
                value: UnsafeBufferPointer(start: value, count: valueLength))
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) {
            _, frame, userData in
            HTTP2Connection.from(userData).onFrameReceived(frame!)
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) {
            _, _, streamID, data, length, userData in
            HTTP2Connection.from(userData).onDataChunk(
                streamID: streamID, data: UnsafeRawBufferPointer(start: data, count: length))
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) {
            _, streamID, errorCode, userData in
            HTTP2Connection.from(userData).onStreamClosed(streamID: streamID, errorCode: errorCode)
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) {
            _, frame, userData in
            HTTP2Connection.from(userData).onFrameSent(frame!)
        }
        return callbacks!
    }
}

/// The buffer every connection of a loop reads into; the loop reads one connection at
/// a time and nghttp2 copies what it keeps, so one buffer per thread is enough.
enum ReadBuffer {
    /// 64 KiB, allocated once per thread.
    static var shared: UnsafeMutableRawBufferPointer {
        if let existing = pthread_getspecific(key) {
            return UnsafeMutableRawBufferPointer(start: existing, count: size)
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        pthread_setspecific(key, buffer)
        return UnsafeMutableRawBufferPointer(start: buffer, count: size)
    }

    private static let size = 64 * 1024

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { $0?.deallocate() }
        return key
    }()
}

/// Settings and options both roles share.
enum SessionSetup {
    /// nghttp2 options: no automatic WINDOW_UPDATE, so window reopens only as the
    /// application consumes what it received (backpressure); bounded ACK floods.
    static func makeOptions() -> OpaquePointer {
        var option: OpaquePointer? = nil
        nghttp2_option_new(&option)
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_max_outbound_ack(option, 1000)
        return option!
    }

    /// Sends the SETTINGS frame and widens the connection-level receive window.
    static func submitSettings(
        _ session: OpaquePointer, maxConcurrentStreams: Int?, initialWindow: Int,
        connectionWindow: Int
    ) {
        var settings: [nghttp2_settings_entry] = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: UInt32(initialWindow)),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: 16 * 1024),
        ]
        if let maxConcurrentStreams {
            settings.append(
                nghttp2_settings_entry(
                    settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                    value: UInt32(maxConcurrentStreams)))
        } else {
            settings.append(
                nghttp2_settings_entry(
                    settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0))
        }
        nghttp2_submit_settings(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        nghttp2_session_set_local_window_size(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(connectionWindow))
    }
}
