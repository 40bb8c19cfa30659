import Messages
import Services
import Store
import Synchronization
import Transport

/// Turns the bearer token of a call into a `Caller`, and refuses calls
/// without a valid one.
///
/// Tokens are looked up by the SHA-256 of their secret. Recent lookups are
/// cached so that a busy intake stream costs no store read per call; a
/// revocation drops the token from the cache at once.
final class Authenticator: Sendable {
    private let store: Store
    private let cache = Mutex<[String: Caller]>([:])
    /// Bounded so that a flood of made-up tokens cannot grow memory: when
    /// full, the cache starts again from empty.
    private let cacheLimit = 4096

    init(store: Store) {
        self.store = store
    }

    /// The caller behind the call's `authorization: Bearer <secret>`.
    ///
    /// - Throws: UNAUTHENTICATED when the metadata has no bearer token, or the
    ///   token is unknown or revoked.
    func caller(for metadata: Metadata) async throws -> Caller {
        guard let header = metadata["authorization"] else {
            throw RPCError(
                code: .unauthenticated,
                message: "no access token: send the metadata \"authorization: Bearer <token>\"")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw RPCError(
                code: .unauthenticated,
                message: "the authorization metadata must be \"Bearer <token>\"")
        }
        let digest = Secrets.hash(String(parts[1]))
        let key = Secrets.hex(digest)
        if let cached = cache.withLock({ $0[key] }) { return cached }

        guard let record = try await store.read({ try $0.token(secretHash: digest) }),
            record.revokedAt == nil
        else {
            throw RPCError(
                code: .unauthenticated, message: "the access token is unknown or revoked")
        }
        let caller = Caller(
            tokenID: record.tokenID, name: record.name, role: Role(rawValue: Int32(record.role)),
            departmentCode: record.department)
        cache.withLock { cache in
            if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[key] = caller
        }
        return caller
    }

    /// Authenticates the call and checks its role against the access policy.
    ///
    /// - Throws: UNAUTHENTICATED or PERMISSION_DENIED, each saying why.
    func authorize(_ context: ServerContext) async throws -> Caller {
        let caller = try await caller(for: context.metadata)
        let allowed = AccessPolicy.allowed[context.path] ?? []
        guard allowed.contains(caller.role) else {
            let names = allowed.map(\.displayName).sorted().joined(separator: ", ")
            throw RPCError(
                code: .permissionDenied,
                message: "a \(caller.role.displayName) token may not call \(context.path)"
                    + (names.isEmpty ? "" : "; it is for: \(names)"))
        }
        return caller
    }

    /// Forgets a revoked token so that its next call is refused.
    func revoked(tokenID: String) {
        cache.withLock { cache in
            cache = cache.filter { $0.value.tokenID != tokenID }
        }
    }
}
