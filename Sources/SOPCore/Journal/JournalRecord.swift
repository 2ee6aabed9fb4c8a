import Foundation
import SOPExpression
import SOPJSON

/// Who acts: an id and a role (`system` for timers).
public struct Actor: Sendable, Hashable, CustomStringConvertible {
    public var id: String
    public var role: String

    public init(id: String, role: String) {
        self.id = id
        self.role = role
    }

    public static let system = Actor(id: "system", role: "system")

    public var description: String { "\(id):\(role)" }
}

/// One entry of a run's journal: a transition (or a step that changed data without moving), as
/// CLI.md defines it. Records are chained: `hash` is the SHA-256 of the record's canonical JSON
/// without `hash`, and `prev` is the hash of the record before it.
public struct JournalRecord: Sendable {
    public var run: String
    public var seq: Int
    /// Milliseconds since the epoch.
    public var at: Int64
    public var actor: Actor
    public var sop: String
    public var sopVersion: Int
    public var sopDigest: String
    public var from: String?
    public var to: String
    /// `{"kind": "start" | "event" | "auto" | "timer" | "input" | "child", …}`
    public var trigger: JSONValue
    public var inputs: JSONValue
    /// `path → [old, new]`, in the order the changes were made.
    public var changes: [(String, JSONValue, JSONValue)]
    public var effects: [JSONValue]
    public var prev: String?
    public var hash: String?

    /// The record as CLI.md prints it (keys in the contract's order).
    public func json(includeHash: Bool = true) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("run", .string(run)), ("seq", .int(seq)), ("at", .string(CivilTime.formatDateTime(at))),
            ("actor", .object([("id", .string(actor.id)), ("role", .string(actor.role))])),
            ("sop", .string(sop)), ("sop_version", .int(sopVersion)), ("sop_digest", .string(sopDigest)),
            ("from", .optional(from)), ("to", .string(to)), ("trigger", trigger), ("inputs", inputs),
            ("changes", .object(changes.map { ($0.0, .array([$0.1, $0.2])) })), ("effects", .array(effects)),
            ("prev", .optional(prev)),
        ]
        if includeHash { members.append(("hash", .optional(hash))) }
        return .object(members)
    }

    /// Chains the record after `prev` and computes its hash.
    public mutating func seal(after prev: String?) {
        self.prev = prev
        hash = Self.hash(of: json(includeHash: false))
    }

    /// The hash of a record's JSON without its `hash` member.
    public static func hash(of recordWithoutHash: JSONValue) -> String {
        Digest.sha256(recordWithoutHash.canonicalBytes())
    }
}

extension JSONValue {
    /// The object without the member `key`.
    public func removing(_ key: String) -> JSONValue {
        guard case .object(let members) = self else { return self }
        return .object(members.filter { $0.0 != key })
    }
}
