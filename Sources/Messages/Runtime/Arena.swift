import CProtobufC

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bump allocator that holds the C structs of one encode or one decode.
///
/// Converting a message to protobuf-c's C structs allocates many small blocks
/// (one struct per message, one buffer per string or repeated field), and all
/// of them die together right after packing. The arena hands them out from a
/// few large chunks and frees the chunks at once.
///
/// Invariant: every pointer the arena returned stays valid until the arena is
/// destroyed, and none is used after that; the arena is `~Copyable`, so no
/// second owner can free the chunks twice.
struct Arena: ~Copyable {
    /// The chunk being filled; `nil` until the first allocation.
    private var chunk: UnsafeMutableRawPointer?
    private var used = 0
    private var capacity = 0
    /// Chunks filled before `chunk`, freed with it.
    private var filled: [UnsafeMutableRawPointer] = []

    /// The size of the first chunk: enough for a typical case event and its
    /// strings, so that most encodes allocate exactly once.
    private static let firstChunkSize = 2048
    /// Every block is aligned for any C scalar or pointer.
    private static let alignment = 16

    init() {}

    deinit {
        for block in filled { free(block) }
        if let chunk { free(chunk) }
    }

    /// Returns `byteCount` uninitialised bytes, aligned to 16.
    mutating func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let start = (used + Arena.alignment - 1) & ~(Arena.alignment - 1)
        if let chunk, start + byteCount <= capacity {
            used = start + byteCount
            return chunk + start
        }
        return allocateInNewChunk(byteCount: byteCount)
    }

    private mutating func allocateInNewChunk(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = Swift.max(byteCount, capacity == 0 ? Arena.firstChunkSize : capacity * 2)
        guard let block = malloc(size) else {
            fatalError("out of memory allocating \(size) bytes for a protobuf message")
        }
        if let chunk { filled.append(chunk) }
        chunk = block
        capacity = size
        used = byteCount
        return block
    }

    /// Returns memory for `count` values of `T`, bound to `T`, uninitialised.
    mutating func allocate<T>(_: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        allocate(byteCount: Swift.max(1, count) * MemoryLayout<T>.stride)
            .bindMemory(to: T.self, capacity: Swift.max(1, count))
    }

    /// Copies `string` as a NUL-terminated UTF-8 C string.
    ///
    /// protobuf-c measures strings with `strlen`, so a string holding U+0000
    /// is cut at its first NUL on the wire.
    mutating func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        var string = string
        return string.withUTF8 { utf8 in
            let p = allocate(CChar.self, count: utf8.count + 1)
            if let base = utf8.baseAddress {
                UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: utf8.count)
            }
            p[utf8.count] = 0
            return p
        }
    }

    /// Copies `bytes` into protobuf-c's representation of a bytes field.
    mutating func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        let p = allocate(UInt8.self, count: bytes.count)
        bytes.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { p.update(from: base, count: buffer.count) }
        }
        return ProtobufCBinaryData(len: bytes.count, data: p)
    }

    /// Copies `values` into a C array, converting each; `nil` when empty.
    mutating func array<Value, C>(
        _ values: [Value], _ convert: (Value) -> C
    ) -> UnsafeMutablePointer<C>? {
        if values.isEmpty { return nil }
        let p = allocate(C.self, count: values.count)
        for (i, value) in values.enumerated() { (p + i).initialize(to: convert(value)) }
        return p
    }

    /// Copies C strings of `values` into a C array of pointers.
    mutating func stringArray(
        _ values: [String]
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        if values.isEmpty { return nil }
        let p = allocate(UnsafeMutablePointer<CChar>?.self, count: values.count)
        for (i, value) in values.enumerated() { (p + i).initialize(to: cString(value)) }
        return p
    }

    /// Copies bytes values into a C array of `ProtobufCBinaryData`.
    mutating func binaryArray(_ values: [[UInt8]]) -> UnsafeMutablePointer<ProtobufCBinaryData>? {
        if values.isEmpty { return nil }
        let p = allocate(ProtobufCBinaryData.self, count: values.count)
        for (i, value) in values.enumerated() { (p + i).initialize(to: binary(value)) }
        return p
    }

    /// Builds the C structs of `values` into a C array of pointers.
    mutating func messageArray<M: CMessageConvertible>(
        _ values: [M]
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<M.CMessage>?>? {
        if values.isEmpty { return nil }
        let p = allocate(UnsafeMutablePointer<M.CMessage>?.self, count: values.count)
        for (i, value) in values.enumerated() { (p + i).initialize(to: value.cMessage(in: &self)) }
        return p
    }
}
