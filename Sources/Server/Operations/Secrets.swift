import COpenSSL

/// Access token secrets and their hashes.
///
/// The server never stores a secret: it keeps the SHA-256 of it and compares
/// hashes, so a copy of the store gives nobody a working token.
enum Secrets {
    /// A new random secret: 32 bytes from OpenSSL's generator, as 64
    /// lowercase hex digits prefixed with "mon_" so that a leaked one is easy
    /// to recognise in logs and code.
    static func newSecret() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        let ok = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, 32) }
        precondition(ok == 1, "the system random generator failed")
        return "mon_" + hex(bytes)
    }

    /// The SHA-256 of a secret's UTF-8 bytes.
    static func hash(_ secret: String) -> [UInt8] {
        let input = Array(secret.utf8)
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        input.withUnsafeBufferPointer { source in
            digest.withUnsafeMutableBufferPointer { out in
                _ = SHA256(source.baseAddress, source.count, out.baseAddress)
            }
        }
        return digest
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
