import CProtobufC

/// A message that converts to and from its protobuf-c C struct.
///
/// The generated code conforms every message to it; the binary form goes
/// through these conversions and protobuf-c's packer and parser.
protocol CMessageConvertible {
    /// The protoc-c struct of the message.
    associatedtype CMessage

    /// Builds the C struct in `arena`; valid as long as the arena is.
    func cMessage(in arena: inout Arena) -> UnsafeMutablePointer<CMessage>

    /// Reads the C struct that protobuf-c unpacked.
    init(cMessage: UnsafePointer<CMessage>) throws(FieldDecodingError)
}

/// Why a field read from protobuf-c could not become a Swift value.
///
/// Thrown inside the conversion and turned into a `MessageDecodingError` that
/// names the message being decoded.
struct FieldDecodingError: Error {
    /// The full proto name of the message holding the field.
    var message: StaticString
    /// The field's proto name, e.g. "title".
    var field: StaticString
    var reason: StaticString
}

/// The signature of protoc-c's generated `..._unpack` functions.
typealias CUnpackFunction<C> = (
    UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?
) -> UnsafeMutablePointer<C>?

/// Packs `message` through protobuf-c.
@inline(__always)
func packMessage<M: CMessageConvertible>(_ message: M) -> [UInt8] {
    var arena = Arena()
    let c = message.cMessage(in: &arena)

    // Every protoc-c struct starts with its ProtobufCMessage header.
    let base = UnsafeRawPointer(c).assumingMemoryBound(to: ProtobufCMessage.self)
    let size = protobuf_c_message_get_packed_size(base)
    return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
        count = protobuf_c_message_pack(base, buffer.baseAddress)
    }
}

/// Unpacks `bytes` through protobuf-c and converts the result.
@inline(__always)
func unpackMessage<M: CMessageConvertible>(
    _ bytes: UnsafeRawBufferPointer, as _: M.Type, name: String,
    unpack: CUnpackFunction<M.CMessage>
) throws(MessageDecodingError) -> M {
    var arena = Arena()
    let result: Result<M, MessageDecodingError> = withUnsafeMutablePointer(to: &arena) {
        arenaPointer in
        // protobuf-c allocates everything it unpacks from the arena; freeing
        // is left to the arena, which drops every block at once.
        var allocator = ProtobufCAllocator(
            alloc: { data, size in
                data!.assumingMemoryBound(to: Arena.self).pointee.allocate(byteCount: size)
            },
            free: { _, _ in },
            allocator_data: UnsafeMutableRawPointer(arenaPointer))
        let data = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard let c = unpack(&allocator, bytes.count, data) else {
            return .failure(MessageDecodingError(
                messageName: name, byteCount: bytes.count, field: nil,
                reason: "not valid protobuf wire format for this message"))
        }
        do throws(FieldDecodingError) {
            return .success(try M(cMessage: c))
        } catch {
            return .failure(MessageDecodingError(
                messageName: name, byteCount: bytes.count,
                field: "\(error.message).\(error.field)", reason: "\(error.reason)"))
        }
    }
    return try result.get()
}

/// Reads a C string that protobuf-c unpacked, rejecting invalid UTF-8.
@inline(__always)
func decodeString(
    _ p: UnsafePointer<CChar>?, message: StaticString, field: StaticString
) throws(FieldDecodingError) -> String {
    guard let p, p.pointee != 0 else { return "" }
    guard let string = String(validatingCString: p) else {
        throw FieldDecodingError(
            message: message, field: field, reason: "string field is not valid UTF-8")
    }
    return string
}

/// Reads a bytes field that protobuf-c unpacked.
@inline(__always)
func decodeBytes(_ data: ProtobufCBinaryData) -> [UInt8] {
    guard data.len > 0, let p = data.data else { return [] }
    return Array(UnsafeBufferPointer(start: p, count: data.len))
}

/// Reads a C array of `count` values, converting each.
@inline(__always)
func decodeArray<C, Value>(
    _ p: UnsafePointer<C>?, count: Int, _ convert: (C) throws(FieldDecodingError) -> Value
) throws(FieldDecodingError) -> [Value] {
    guard count > 0, let p else { return [] }
    var values: [Value] = []
    values.reserveCapacity(count)
    for i in 0..<count { values.append(try convert(p[i])) }
    return values
}

/// Reads a C array of message pointers.
@inline(__always)
func decodeMessages<M: CMessageConvertible>(
    _ p: UnsafePointer<UnsafeMutablePointer<M.CMessage>?>?, count: Int, as _: M.Type
) throws(FieldDecodingError) -> [M] {
    guard count > 0, let p else { return [] }
    var values: [M] = []
    values.reserveCapacity(count)
    for i in 0..<count {
        // protobuf-c never leaves a NULL element in a repeated message field.
        values.append(try M(cMessage: p[i]!))
    }
    return values
}
