import Foundation
import SOPCore
import SOPStore

/// Bearer tokens: made for an actor with roles, kept as the SHA-256 of their secret, revoked by
/// id; and the console's sessions, which stand for a token.
extension RunService {
    /// Makes a token for an actor with roles: its id and its secret, which is shown once and
    /// never stored (the store keeps its SHA-256).
    public func createToken(actor: String, roles: [String], now: Int64) throws -> (id: String, secret: String) {
        guard !actor.isEmpty, !actor.contains(":"), actor != Actor.system.id else {
            throw RunError.badRequest("the actor must be a name without ':' and not 'system', found '\(actor)'")
        }
        let roles = roles.filter { !$0.isEmpty }
        guard !roles.isEmpty, !roles.contains(Actor.system.role) else {
            throw RunError.badRequest("give the token at least one role, and not 'system'")
        }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let secret = "sop_" + Self.base64URL(bytes)
        let id = "tok-" + String(Self.runID(generator.next()).dropFirst(2))
        try write { tx in try tx.insertToken(id: id, hash: Self.tokenHash(secret), actor: actor, roles: roles, at: now) }
        return (id, secret)
    }

    /// The caller a token secret stands for; nil for an unknown or revoked token.
    public func authenticate(token secret: String) throws -> Caller? {
        try TokenCheck.caller(secret, in: store)
    }

    public func tokens() throws -> [StoredToken] {
        try store.read { tx in try tx.tokens() }
    }

    public func revokeToken(_ id: String, now: Int64) throws -> Bool {
        try write { tx in try tx.revokeToken(id: id, at: now) }
    }

    public static func tokenHash(_ secret: String) -> String { Digest.sha256(secret) }

    /// Checks tokens and console sessions on this service's store, from any thread.
    public func tokenCheck() -> TokenCheck { TokenCheck(store: store) }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// Checks bearer tokens and console sessions on a store of its own, on the caller's thread: a
/// request's token is looked up without waiting behind the steps queued for the writer, and
/// checks run side by side (a store is safe to share between threads; a server opens this one
/// with reader connections). SQLite in WAL mode, like PostgreSQL, lets the reader see every
/// committed revocation at once.
public final class TokenCheck: Sendable {
    private let store: any RunStore

    /// - Parameter store: the store the tokens are in (a store may be shared between threads).
    public init(store: any RunStore) {
        self.store = store
    }

    /// The caller a token secret stands for; nil for an unknown or revoked token, or for text
    /// that cannot be a token.
    public func caller(_ secret: String) throws -> Caller? {
        try Self.caller(secret, in: store)
    }

    static func caller(_ secret: String, in store: any RunStore) throws -> Caller? {
        guard secret.hasPrefix("sop_"), secret.utf8.count < 200 else { return nil }
        return try caller(hash: RunService.tokenHash(secret), in: store)
    }

    private static func caller(hash: String, in store: any RunStore) throws -> Caller? {
        try store.readOneStatement { tx in try tx.token(hash: hash) }.map { Caller(id: $0.actor, roles: $0.roles) }
    }

    // MARK: Console sessions (by the SHA-256 of their id: the cookie's secret is not stored)

    /// Keeps a session of the token whose secret hashes to `tokenHash` until `expires`.
    public func createSession(id: String, tokenHash: String, expires: Int64) throws {
        try store.transaction { tx in try tx.insertSession(hash: Digest.sha256(id), tokenHash: tokenHash, expires: expires) }
    }

    /// The caller of a live session (its token live too) at `now`.
    public func session(id: String, now: Int64) throws -> Caller? {
        // One read: the session and its token as of one moment.
        try store.read { tx in
            guard let tokenHash = try tx.session(hash: Digest.sha256(id), at: now) else { return nil }
            return try tx.token(hash: tokenHash).map { Caller(id: $0.actor, roles: $0.roles) }
        }
    }

    public func endSession(id: String) throws {
        try store.transaction { tx in try tx.deleteSession(hash: Digest.sha256(id)) }
    }
}
