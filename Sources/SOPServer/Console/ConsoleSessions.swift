import Foundation
import Synchronization
import SOPStore

/// The console's sessions: a random id in an HttpOnly, SameSite=Strict cookie names the caller a
/// token signed in as, and a CSRF token every form must carry. Kept in memory: a server restart
/// signs everyone out. The token itself is never kept, only the caller it stands for, and its
/// hash, so that a revoked token ends its sessions.
final class ConsoleSessions: Sendable {
    struct Session: Sendable {
        var caller: Caller
        var tokenHash: String
        var csrf: String
        var expires: Date
    }

    static let cookie = "sop_session"
    static let lifetime: TimeInterval = 8 * 3600

    private let sessions = Mutex<[String: Session]>([:])

    func create(_ caller: Caller, tokenHash: String) -> (id: String, session: Session) {
        let id = Self.random(), session = Session(caller: caller, tokenHash: tokenHash, csrf: Self.random(), expires: Date() + Self.lifetime)
        sessions.withLock { all in
            all = all.filter { $0.value.expires > Date() }
            all[id] = session
        }
        return (id, session)
    }

    func session(_ id: String) -> Session? {
        sessions.withLock { all in
            guard let s = all[id], s.expires > Date() else {
                all[id] = nil
                return nil
            }
            return s
        }
    }

    func end(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
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
