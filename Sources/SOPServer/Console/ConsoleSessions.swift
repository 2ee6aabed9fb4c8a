import Foundation
import SOPCore
import SOPService
import Synchronization

/// The console's sessions: a random id in an HttpOnly, SameSite=Strict cookie names the token a
/// person signed in with. The store keeps the SHA-256 of the id (never the id) with the
/// token's hash, so sessions outlive a restart and revoking the token ends them. Each session's
/// CSRF token is derived from its id, so nothing else needs keeping.
final class ConsoleSessions: Sendable {
    struct Session: Sendable {
        var caller: Caller
        var csrf: String
    }

    static let cookie = "sop_session"
    static let lifetime: TimeInterval = 8 * 3600

    private let tokens: TokenCheck

    init(tokens: TokenCheck) {
        self.tokens = tokens
    }

    /// Starts a session for a token; its id, for the cookie.
    func create(tokenHash: String) throws -> String {
        let id = Self.random()
        let expires = Int64((Date().timeIntervalSince1970 + Self.lifetime) * 1000)
        try tokens.createSession(id: id, tokenHash: tokenHash, expires: expires)
        return id
    }

    /// The session of a cookie's id, if it is live and its token still is.
    func session(_ id: String) throws -> Session? {
        guard id.utf8.count < 100 else { return nil }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        guard let caller = try tokens.session(id: id, now: now) else { return nil }
        return Session(caller: caller, csrf: Self.csrf(id))
    }

    func end(_ id: String) throws {
        try tokens.endSession(id: id)
    }

    /// A session's CSRF token: a digest of its id, which only the cookie's holder knows.
    static func csrf(_ id: String) -> String {
        String(Digest.sha256("csrf:" + id).dropFirst(7))
    }

    /// 32 random bytes as URL-safe base64.
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Compares two secrets in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for (p, q) in zip(x, y) { difference |= p ^ q }
        return difference == 0
    }
}
