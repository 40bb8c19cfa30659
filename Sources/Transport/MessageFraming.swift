/// The gRPC length-prefixed message: one flag byte (bit 0: compressed), a four-byte
/// big-endian length, then the message.
enum MessageFraming {
    /// The size of the prefix in front of every message.
    static let prefixLength = 5

    /// Appends `message` with its prefix to `buffer`, uncompressed. The buffer grows
    /// geometrically: reserving the exact size here would copy it on every append.
    static func append(_ message: [UInt8], to buffer: inout [UInt8]) {
        let length = UInt32(message.count)
        buffer.append(0)
        buffer.append(UInt8(truncatingIfNeeded: length >> 24))
        buffer.append(UInt8(truncatingIfNeeded: length >> 16))
        buffer.append(UInt8(truncatingIfNeeded: length >> 8))
        buffer.append(UInt8(truncatingIfNeeded: length))
        buffer.append(contentsOf: message)
    }

    /// The message with its prefix, as one array.
    static func framed(_ message: [UInt8]) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(prefixLength + message.count)
        append(message, to: &buffer)
        return buffer
    }
}

/// Reassembles length-prefixed messages from DATA frame payloads cut at any byte.
///
/// The limit is checked on the prefix, before any of the message is buffered, so a
/// peer announcing a huge message costs five bytes of memory, not the announced size.
/// Memory held: at most one partial message, which the limit bounds.
struct MessageDeframer {
    /// Why a stream of bytes is not a stream of acceptable messages.
    enum Failure: Error, Equatable {
        /// The announced length is above the receive limit.
        case tooLarge(length: Int, limit: Int)
        /// The compressed flag is set, but no compression was negotiated.
        case compressed
        /// The flag byte has bits the protocol does not define.
        case invalidFlags(UInt8)

        /// The status the protocol prescribes for this failure.
        var error: RPCError {
            switch self {
            case .tooLarge(let length, let limit):
                return RPCError(
                    code: .resourceExhausted,
                    message: "message of \(length) bytes is larger than the limit of "
                        + "\(limit) bytes")
            case .compressed:
                return RPCError(
                    code: .internal,
                    message: "message is flagged compressed, but no compression was "
                        + "negotiated (grpc-encoding is identity)")
            case .invalidFlags(let flags):
                return RPCError(
                    code: .internal, message: "message prefix has unknown flags \(flags)")
            }
        }
    }

    /// The largest message accepted, in bytes.
    let limit: Int
    private var prefix: [UInt8] = []
    private var body: [UInt8] = []
    private var bodyLength: Int? = nil
    private var failure: Failure? = nil

    /// Makes a deframer that refuses messages longer than `limit` bytes.
    init(limit: Int) {
        self.limit = limit
        prefix.reserveCapacity(MessageFraming.prefixLength)
    }

    /// Whether bytes of an unfinished message are held: at the end of a stream this
    /// means the peer truncated a message.
    var hasPartialMessage: Bool {
        !prefix.isEmpty || bodyLength != nil
    }

    /// Feeds a chunk and hands each completed message to `deliver`, in order. After a
    /// failure the deframer refuses everything: the stream is finished.
    mutating func process(
        _ chunk: UnsafeRawBufferPointer, deliver: ([UInt8]) -> Void
    ) throws(Failure) {
        if let failure { throw failure }
        var index = 0
        let count = chunk.count
        while index < count {
            if let length = bodyLength {
                let take = min(length - body.count, count - index)
                body.append(
                    contentsOf: UnsafeRawBufferPointer(rebasing: chunk[index..<index + take]))
                index += take
                if body.count == length {
                    deliver(body)
                    body = []
                    bodyLength = nil
                }
                continue
            }

            // Fast path: a whole prefix in this chunk.
            if prefix.isEmpty && count - index >= MessageFraming.prefixLength {
                try startMessage(
                    flags: chunk[index], b0: chunk[index + 1], b1: chunk[index + 2],
                    b2: chunk[index + 3], b3: chunk[index + 4])
                index += MessageFraming.prefixLength
            } else {
                prefix.append(chunk[index])
                index += 1
                if prefix.count == MessageFraming.prefixLength {
                    let bytes = prefix
                    prefix.removeAll(keepingCapacity: true)
                    try startMessage(
                        flags: bytes[0], b0: bytes[1], b1: bytes[2], b2: bytes[3], b3: bytes[4])
                }
            }
            if bodyLength == 0 {
                deliver([])
                bodyLength = nil
            }
        }
    }

    /// Convenience for arrays, as the tests feed it.
    mutating func process(_ chunk: [UInt8], deliver: ([UInt8]) -> Void) throws(Failure) {
        var failure: Failure? = nil
        chunk.withUnsafeBytes { raw in
            do {
                try process(raw, deliver: deliver)
            } catch {
                failure = error as? Failure
            }
        }
        if let failure { throw failure }
    }

    private mutating func startMessage(
        flags: UInt8, b0: UInt8, b1: UInt8, b2: UInt8, b3: UInt8
    ) throws(Failure) {
        if flags == 1 {
            failure = .compressed
            throw .compressed
        }
        if flags != 0 {
            failure = .invalidFlags(flags)
            throw .invalidFlags(flags)
        }
        let length = Int(b0) << 24 | Int(b1) << 16 | Int(b2) << 8 | Int(b3)
        if length > limit {
            failure = .tooLarge(length: length, limit: limit)
            throw .tooLarge(length: length, limit: limit)
        }
        bodyLength = length
        body = []
        // Grow with the bytes that arrive, not with what the prefix announces: a peer
        // that announces much and sends little must not cost the announced size.
        body.reserveCapacity(min(length, 64 * 1024))
    }
}
