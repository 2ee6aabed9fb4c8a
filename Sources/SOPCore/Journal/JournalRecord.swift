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

/// What made a journal record: the `trigger` of docs/runtime.md, typed.
public struct JournalTrigger: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case start, event, auto, timer, input, child, sla, migrate
    }

    public var kind: Kind
    /// The event sent (`event`), the timer's `after` as written (`timer`) or the child run's
    /// outcome (`child`): one field, since a trigger has at most one of them (a smaller record
    /// is cheaper to build on every step).
    private var name: String?
    /// The merge patch of a ticket update (`input` from `sop update`).
    public var ticket: JSONValue?
    /// The checklist items (1-based) the step confirmed.
    public var checks: [Int]?
    /// The 1-based number of the transition taken among its state's transitions.
    public var transition: Int?
    /// What an SLA clock did (`sla`): its target, event, due time, and the digests of its
    /// calendar and policy (docs/sla.md).
    public var sla: JSONValue?
    /// False for a record that keeps data a step brought without taking a transition.
    public var moved: Bool
    /// What a migration did (`migrate`): the SOP source and ticket schema the run was pinned to
    /// before and after, and the SLA clocks it dropped (docs/runtime.md, "Migrating a run").
    public var migration: JSONValue?

    public init(kind: Kind, event: String? = nil, after: String? = nil, outcome: String? = nil, ticket: JSONValue? = nil,
                checks: [Int]? = nil, transition: Int? = nil, moved: Bool = true, sla: JSONValue? = nil, migration: JSONValue? = nil) {
        self.kind = kind
        switch kind {
        case .event: name = event
        case .timer: name = after
        case .child: name = outcome
        default: name = nil
        }
        self.ticket = ticket
        self.checks = checks
        self.transition = transition
        self.moved = moved
        self.sla = sla
        self.migration = migration
    }

    /// The event sent, for an `event` trigger.
    public var event: String? { kind == .event ? name : nil }
    /// The timer's `after` as written, for a `timer` trigger.
    public var after: String? { kind == .timer ? name : nil }
    /// The child run's outcome, for a `child` trigger.
    public var outcome: String? { kind == .child ? name : nil }

    /// True for the record of the command a step carried out (as opposed to the timers it took
    /// first and the automatic transitions that followed).
    public var isCommand: Bool { kind == .start || kind == .event || kind == .input || kind == .child || kind == .migrate }

    public func json() -> JSONValue {
        var members: [(String, JSONValue)] = [("kind", .string(kind.rawValue))]
        if let name { members.append((kind == .event ? "event" : kind == .timer ? "after" : "outcome", .string(name))) }
        if let ticket { members.append(("ticket", ticket)) }
        if let checks { members.append(("checks", .array(checks.map { .int($0) }))) }
        if let transition { members.append(("transition", .int(transition))) }
        if !moved { members.append(("move", .bool(false))) }
        if let sla { members.append(("sla", sla)) }
        if let migration { members.append(("migration", migration)) }
        return .object(JSONObject(members))
    }

    /// `json()` with its members in canonical order (see `JournalRecord.canonicalContent`).
    func canonicalJSON() -> JSONValue {
        var members: [(String, JSONValue)] = []
        if kind == .timer, let name { members.append(("after", .string(name))) }
        if let checks { members.append(("checks", .array(checks.map { .int($0) }))) }
        if kind == .event, let name { members.append(("event", .string(name))) }
        members.append(("kind", .string(kind.rawValue)))
        if let migration { members.append(("migration", migration)) }
        if !moved { members.append(("move", .bool(false))) }
        if kind == .child, let name { members.append(("outcome", .string(name))) }
        if let sla { members.append(("sla", sla)) }
        if let ticket { members.append(("ticket", ticket)) }
        if let transition { members.append(("transition", .int(transition))) }
        return .object(JSONObject(members))
    }

    init(json: JSONValue) throws(JournalReadError.Reason) {
        var reader = try ObjectReader(json, what: "trigger")
        guard let kind = Kind(rawValue: try reader.string("kind")) else {
            throw .init("trigger.kind is not one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let event = try reader.optionalString("event"), after = try reader.optionalString("after")
        let outcome = try reader.optionalString("outcome")
        if (event != nil && kind != .event) || (after != nil && kind != .timer) || (outcome != nil && kind != .child) {
            throw .init("a \(kind.rawValue) trigger has event, after or outcome of another kind")
        }
        let ticket = reader.take("ticket")
        var checks: [Int]?
        if let list = reader.take("checks") {
            guard case .array(let items) = list else { throw .init("trigger.checks is not a list of numbers") }
            checks = try items.map { item throws(JournalReadError.Reason) -> Int in
                guard case .int(let n) = item else { throw .init("trigger.checks is not a list of numbers") }
                return n
            }
        }
        let transition = try reader.optionalInt("transition")
        let sla = reader.take("sla")
        if (sla != nil) != (kind == .sla) { throw .init("an sla trigger, and only one, has 'sla'") }
        let migration = reader.take("migration")
        if (migration != nil) != (kind == .migrate) { throw .init("a migrate trigger, and only one, has 'migration'") }
        let moved: Bool
        switch reader.take("move") {
        case nil: moved = true
        case .bool(false)?: moved = false
        default: throw .init("trigger.move, when present, is false")
        }
        try reader.finish()
        self.init(kind: kind, event: event, after: after, outcome: outcome, ticket: ticket, checks: checks, transition: transition,
                  moved: moved, sla: sla, migration: migration)
    }
}

/// One change a record made: a ticket field or run variable, before and after.
public struct JournalChange: Sendable, Hashable {
    /// `ticket.a.b` or `var.x`.
    public var path: String
    public var old: JSONValue
    public var new: JSONValue

    public init(path: String, old: JSONValue, new: JSONValue) {
        self.path = path
        self.old = old
        self.new = new
    }
}

/// One entry of a run's journal: a transition (or a step that changed data without moving), as
/// docs/runtime.md defines it. Records are chained: `hash` is the SHA-256 of the record's canonical JSON
/// without `hash`, and `prev` is the hash of the record before it.
///
/// This is the only way sopkit reads a journal: the store hands records back through
/// `init(json:)`, which accepts exactly what `json()` writes, so a record read is a record that
/// renders to the same canonical bytes (and the same hash) it was stored with.
public struct JournalRecord: Sendable, Hashable {
    public var run: String
    public var seq: Int
    /// The run's version after the step that wrote this record. Every record of one step (the
    /// timers it took first, its command, the automatic transitions after) has the same version,
    /// and the versions of a journal are 1, 2, 3… in order: the version of the last record is
    /// the run's version. Records written before sopkit kept it have none.
    public var version: Int?
    /// Milliseconds since the epoch.
    public var at: Int64
    public var actor: Actor
    public var sop: String
    public var sopVersion: Int
    public var sopDigest: String
    public var from: String?
    public var to: String
    public var trigger: JournalTrigger
    /// The inputs the record's command submitted, by name (each once).
    public var inputs: JSONObject
    /// What the record changed, one entry per path in the order first changed: several changes
    /// of one path in one record are one change from its first old value to its last new one.
    public var changes: [JournalChange]
    public var effects: [JSONValue]
    public var prev: String?
    public var hash: String?

    public init(run: String, seq: Int, version: Int?, at: Int64, actor: Actor, sop: String, sopVersion: Int, sopDigest: String,
                from: String?, to: String, trigger: JournalTrigger, inputs: JSONObject = [], changes: [JournalChange] = [],
                effects: [JSONValue] = [], prev: String? = nil, hash: String? = nil) {
        self.run = run
        self.seq = seq
        self.version = version
        self.at = at
        self.actor = actor
        self.sop = sop
        self.sopVersion = sopVersion
        self.sopDigest = sopDigest
        self.from = from
        self.to = to
        self.trigger = trigger
        self.inputs = inputs
        self.changes = changes
        self.effects = effects
        self.prev = prev
        self.hash = hash
    }

    /// Notes a change of `path`; a path changed before in this record keeps its first old value,
    /// and a path changed back to that value drops out.
    public mutating func change(_ path: String, from old: JSONValue, to new: JSONValue) {
        if let i = changes.firstIndex(where: { $0.path == path }) {
            if changes[i].old == new { changes.remove(at: i) } else { changes[i].new = new }
        } else if old != new {
            changes.append(JournalChange(path: path, old: old, new: new))
        }
    }

    /// The record as `sop log --format json` prints it (docs/cli.md), keys in the contract's order.
    public func json(includeHash: Bool = true) -> JSONValue {
        var members: [(String, JSONValue)] = []
        members.reserveCapacity(16)
        members.append(("run", .string(run)))
        members.append(("seq", .int(seq)))
        if let version { members.append(("version", .int(version))) }
        members.append(("at", .string(CivilTime.formatDateTime(at))))
        members.append(("actor", .object([("id", .string(actor.id)), ("role", .string(actor.role))])))
        members.append(("sop", .string(sop)))
        members.append(("sop_version", .int(sopVersion)))
        members.append(("sop_digest", .string(sopDigest)))
        members.append(("from", .optional(from)))
        members.append(("to", .string(to)))
        members.append(("trigger", trigger.json()))
        members.append(("inputs", .object(inputs)))
        members.append(("changes", .object(JSONObject(changes.map { ($0.path, .array([$0.old, $0.new])) }))))
        members.append(("effects", .array(effects)))
        members.append(("prev", .optional(prev)))
        if includeHash { members.append(("hash", .optional(hash))) }
        return .object(JSONObject(members))
    }

    /// Chains the record after `prev` and computes its hash.
    public mutating func seal(after prev: String?) {
        self.prev = prev
        hash = computedHash
    }

    /// Chains the record after `prev`, computes its hash, and returns the text the store keeps:
    /// the canonical content the hash is computed over, with `hash` as its last member, so one
    /// rendering serves both. (Readers take a record's members by name, in any order; `json()`
    /// is the order records are shown in.)
    public mutating func sealForStore(after prev: String?) -> String {
        self.prev = prev
        let content = canonicalContent().canonicalBytes()
        let hash = Digest.sha256(content)
        self.hash = hash
        return Self.storedText(content, hash: hash)
    }

    /// The text the store keeps for this record, sealed as it is (`sealForStore`).
    public var storedText: String {
        Self.storedText(canonicalContent().canonicalBytes(), hash: hash ?? "")
    }

    private static func storedText(_ content: [UInt8], hash: String) -> String {
        var bytes = content
        bytes.removeLast()  // the object's closing brace
        bytes.append(contentsOf: #","hash":""#.utf8)
        bytes.append(contentsOf: hash.utf8)
        bytes.append(contentsOf: #""}"#.utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The hash the record's content gives (what `hash` must be): the SHA-256 of its canonical
    /// JSON without `hash`.
    public var computedHash: String {
        Digest.sha256(canonicalContent().canonicalBytes())
    }

    /// `json(includeHash: false)` with its members (and the trigger's and actor's) already in
    /// canonical order, so hashing a record does not sort it first. A test holds the two to the
    /// same canonical bytes.
    func canonicalContent() -> JSONValue {
        var members: [(String, JSONValue)] = []
        members.reserveCapacity(15)
        members.append(("actor", .object([("id", .string(actor.id)), ("role", .string(actor.role))])))
        members.append(("at", .string(CivilTime.formatDateTime(at))))
        members.append(("changes", .object(JSONObject(changes.map { ($0.path, .array([$0.old, $0.new])) }))))
        members.append(("effects", .array(effects)))
        members.append(("from", .optional(from)))
        members.append(("inputs", .object(inputs)))
        members.append(("prev", .optional(prev)))
        members.append(("run", .string(run)))
        members.append(("seq", .int(seq)))
        members.append(("sop", .string(sop)))
        members.append(("sop_digest", .string(sopDigest)))
        members.append(("sop_version", .int(sopVersion)))
        members.append(("to", .string(to)))
        members.append(("trigger", trigger.canonicalJSON()))
        if let version { members.append(("version", .int(version))) }
        return .object(JSONObject(members))
    }

    /// Reads a stored record: exactly the members `json()` writes, each of its type, and nothing
    /// else (a member added behind the store's back would not be covered by the hash check).
    public init(json: JSONValue) throws(JournalReadError.Reason) {
        var reader = try ObjectReader(json, what: "record")
        run = try reader.string("run")
        seq = try reader.int("seq")
        version = try reader.optionalInt("version")
        let atText = try reader.string("at")
        guard let at = CivilTime.parseDateTime(atText), CivilTime.formatDateTime(at) == atText else {
            throw .init("at is not a UTC time as the journal writes it (such as 2026-11-02T09:00:00Z)")
        }
        self.at = at
        guard let actorJSON = reader.take("actor") else { throw .init("the record has no actor") }
        var actorReader = try ObjectReader(actorJSON, what: "actor")
        actor = Actor(id: try actorReader.string("id"), role: try actorReader.string("role"))
        try actorReader.finish()
        sop = try reader.string("sop")
        sopVersion = try reader.int("sop_version")
        sopDigest = try reader.string("sop_digest")
        from = try reader.nullableString("from")
        to = try reader.string("to")
        guard let triggerJSON = reader.take("trigger") else { throw .init("the record has no trigger") }
        trigger = try JournalTrigger(json: triggerJSON)
        guard case .object(let inputs)? = reader.take("inputs") else { throw .init("inputs is not an object") }
        self.inputs = inputs
        guard case .object(let changeMembers)? = reader.take("changes") else { throw .init("changes is not an object") }
        changes = try changeMembers.map { member throws(JournalReadError.Reason) -> JournalChange in
            guard case .array(let pair) = member.value, pair.count == 2 else {
                throw .init("the change of \(member.key) is not [old, new]")
            }
            return JournalChange(path: member.key, old: pair[0], new: pair[1])
        }
        guard case .array(let effects)? = reader.take("effects") else { throw .init("effects is not a list") }
        self.effects = effects
        prev = try reader.nullableString("prev")
        hash = try reader.string("hash")
        try reader.finish()
    }
}

/// A journal record that cannot be read, named by its run and position.
public struct JournalReadError: Error, Sendable, CustomStringConvertible {
    /// Why a record's JSON is not a journal record.
    public struct Reason: Error, Sendable {
        public var text: String
        public init(_ text: String) { self.text = text }
    }

    public var run: String
    /// The record's position in the journal (its expected seq).
    public var seq: Int
    public var reason: String

    public init(run: String, seq: Int, reason: String) {
        self.run = run
        self.seq = seq
        self.reason = reason
    }

    public var description: String { "record \(seq) of run '\(run)' cannot be read: \(reason)" }

    /// Parses and reads one stored line.
    public static func decode(_ text: String, run: String, seq: Int) throws(JournalReadError) -> JournalRecord {
        let json: JSONValue
        do { json = try JSONParser.parse(text) } catch {
            throw JournalReadError(run: run, seq: seq, reason: "it is not valid JSON (\(error))")
        }
        do { return try JournalRecord(json: json) } catch {
            throw JournalReadError(run: run, seq: seq, reason: error.text)
        }
    }
}

/// Reads an object's members one by one and refuses the ones nobody asked for.
private struct ObjectReader {
    var members: JSONObject
    let what: String

    init(_ json: JSONValue, what: String) throws(JournalReadError.Reason) {
        guard case .object(let members) = json else { throw .init("the \(what) is not an object") }
        self.members = members
        self.what = what
    }

    mutating func take(_ key: String) -> JSONValue? {
        defer { members[key] = nil }
        return members[key]
    }

    mutating func string(_ key: String) throws(JournalReadError.Reason) -> String {
        guard case .string(let s)? = take(key) else { throw .init("\(key) is missing or not a string") }
        return s
    }

    mutating func optionalString(_ key: String) throws(JournalReadError.Reason) -> String? {
        switch take(key) {
        case nil: return nil
        case .string(let s)?: return s
        default: throw .init("\(key) is not a string")
        }
    }

    mutating func nullableString(_ key: String) throws(JournalReadError.Reason) -> String? {
        switch take(key) {
        case .null?: return nil
        case .string(let s)?: return s
        default: throw .init("\(key) is missing or not a string or null")
        }
    }

    mutating func int(_ key: String) throws(JournalReadError.Reason) -> Int {
        guard case .int(let i)? = take(key) else { throw .init("\(key) is missing or not a whole number") }
        return i
    }

    mutating func optionalInt(_ key: String) throws(JournalReadError.Reason) -> Int? {
        switch take(key) {
        case nil: return nil
        case .int(let i)?: return i
        default: throw .init("\(key) is not a whole number")
        }
    }

    func finish() throws(JournalReadError.Reason) {
        if let extra = members.first {
            throw .init("the \(what) has a member sopkit does not write: '\(extra.key)'")
        }
    }
}
