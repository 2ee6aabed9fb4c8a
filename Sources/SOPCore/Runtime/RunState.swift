import Foundation
import SOPExpression
import SOPJSON

/// Where a run is and everything it holds. A value: the engine computes a new one per step and
/// the store saves it in the same transaction as the step's journal records.
public struct RunState: Sendable {
    public enum Status: String, Sendable { case waiting, ended }

    public var id: String
    public var sop: String
    public var sopVersion: Int
    public var sopDigest: String
    public var state: String
    public var status: Status
    public var outcome: String?
    /// Grows by one per applied step.
    public var version: Int
    /// The seq the next journal record gets, and the hash of the last one.
    public var nextSeq: Int
    public var lastHash: String?
    public var ticket: JSONValue
    public var vars: [String: Value]
    public var inputs: [String: Value]
    /// Inputs submitted and checklist items (0-based) confirmed since the state was entered.
    public var submitted: Set<String>
    public var confirmed: Set<Int>
    public var startedAt: Int64
    public var enteredAt: Int64
    public var updatedAt: Int64
    public var ownerRole: String?
    public var ownerQueue: String?
    public var outbox: [JSONValue]
    /// The run that called this one, and the run this one is waiting for.
    public var parent: String?
    public var child: String?
    public var childOutcome: String?
    public var childCount: Int
    /// The clocks of the SOP's SLA targets that have started, by target.
    public var sla: [String: SLAClock] = [:]
    /// When the run was last migrated to another version of its SOP (`sop migrate`): a timer of
    /// the state it was migrated in falls due no earlier (docs/runtime.md, "Migrating a run").
    public var migratedAt: Int64?

    /// The ticket as expressions read it (dates typed by the schema); derived, not stored.
    var ticketValue: Value = .null
    /// Where the current state is in the compiled SOP, to skip a lookup by name; not stored.
    var stateHint: Int?

    public var isEnded: Bool { status == .ended }

    // MARK: Storage form

    /// The run as one JSON object, for the store.
    public func json() -> JSONValue {
        var members: JSONObject = [
            ("id", .string(id)), ("sop", .string(sop)), ("sop_version", .int(sopVersion)), ("sop_digest", .string(sopDigest)),
            ("state", .string(state)), ("status", .string(status.rawValue)), ("outcome", .optional(outcome)),
            ("version", .int(version)), ("next_seq", .int(nextSeq)), ("last_hash", .optional(lastHash)),
            ("ticket", ticket), ("vars", ValueJSON.object(vars)), ("inputs", ValueJSON.object(inputs)),
            ("submitted", .array(submitted.sorted().map { .string($0) })), ("confirmed", .array(confirmed.sorted().map { .int($0) })),
            ("started_at", .int(Int(startedAt))), ("entered_at", .int(Int(enteredAt))), ("updated_at", .int(Int(updatedAt))),
            ("owner_role", .optional(ownerRole)), ("owner_queue", .optional(ownerQueue)), ("outbox", .array(outbox)),
            ("parent", .optional(parent)), ("child", .optional(child)), ("child_outcome", .optional(childOutcome)),
            ("child_count", .int(childCount)),
        ]
        // Only for runs of SOPs with SLA targets: other runs' rows stay as they were.
        if !sla.isEmpty { members["sla"] = .object(JSONObject(sla.sorted { $0.key < $1.key }.map { ($0.key, $0.value.json()) })) }
        // Only for runs that were migrated.
        if let migratedAt { members["migrated_at"] = .int(Int(migratedAt)) }
        return .object(members)
    }

    /// Reads a stored run back, typing its variables and inputs by the SOP's declarations. One
    /// pass over the members (a tick reads every due run: looking up 25 keys one by one in a
    /// 26-member object cost more than parsing it; docs/benchmarks.md, "After issue 18's session").
    public init?(json j: JSONValue, sop compiled: CompiledSOP, schema: TicketSchema?) {
        guard case .object(let members) = j else { return nil }
        let stored = StoredRunMembers(members, sop: compiled)
        guard let id = stored.id, let sop = stored.sop, let digest = stored.digest, let state = stored.state,
              let status = stored.status, let version = stored.version, let nextSeq = stored.nextSeq,
              let ticket = stored.ticket else { return nil }
        self.id = id
        self.sop = sop
        self.sopVersion = stored.sopVersion ?? compiled.version
        self.sopDigest = digest
        self.state = state
        self.status = status
        self.outcome = stored.outcome
        self.version = version
        self.nextSeq = nextSeq
        self.lastHash = stored.lastHash
        self.ticket = ticket
        self.vars = stored.vars
        self.inputs = stored.inputs
        self.submitted = stored.submitted
        self.confirmed = stored.confirmed
        self.startedAt = Int64(stored.startedAt)
        self.enteredAt = Int64(stored.enteredAt)
        self.updatedAt = Int64(stored.updatedAt)
        self.ownerRole = stored.ownerRole
        self.ownerQueue = stored.ownerQueue
        self.outbox = stored.outbox
        self.parent = stored.parent
        self.child = stored.child
        self.childOutcome = stored.childOutcome
        self.childCount = stored.childCount
        self.sla = stored.sla
        self.migratedAt = stored.migratedAt.map(Int64.init)
        ticketValue = schema?.value(of: ticket) ?? TicketSchema.untypedValue(ticket)
    }

    /// A placeholder holding nothing, to swap a run out of a step without copying it. Built
    /// afresh each time: copying a stored one retains and later releases each of its parts
    /// (docs/benchmarks.md, "Interpreter and store (issue 5)").
    static var vacant: RunState {
        RunState(id: "", sop: "", sopVersion: 0, sopDigest: "", state: "", status: .waiting, version: 0, nextSeq: 0, ticket: .null,
                 vars: [:], inputs: [:], submitted: [], confirmed: [], startedAt: 0, enteredAt: 0, updatedAt: 0, outbox: [],
                 childCount: 0)
    }

    private init(id: String, sop: String, sopVersion: Int, sopDigest: String, state: String, status: Status, version: Int,
                 nextSeq: Int, ticket: JSONValue, vars: [String: Value], inputs: [String: Value], submitted: Set<String>,
                 confirmed: Set<Int>, startedAt: Int64, enteredAt: Int64, updatedAt: Int64, outbox: [JSONValue], childCount: Int) {
        self.id = id
        self.sop = sop
        self.sopVersion = sopVersion
        self.sopDigest = sopDigest
        self.state = state
        self.status = status
        self.version = version
        self.nextSeq = nextSeq
        self.ticket = ticket
        self.vars = vars
        self.inputs = inputs
        self.submitted = submitted
        self.confirmed = confirmed
        self.startedAt = startedAt
        self.enteredAt = enteredAt
        self.updatedAt = updatedAt
        self.outbox = outbox
        self.childCount = childCount
    }

    init(id: String, sop: CompiledSOP, ticket: JSONValue, schema: TicketSchema?, now: Int64, parent: String?) {
        self.id = id
        self.sop = sop.id
        sopVersion = sop.version
        sopDigest = sop.digest
        state = sop.definition.start.value
        status = .waiting
        version = 0
        nextSeq = 0
        self.ticket = ticket
        var vars: [String: Value] = [:]
        for v in sop.definition.vars {
            vars[v.id.value] = v.initial.map { ValueJSON.value($0.json, as: v.type) } ?? .null
        }
        self.vars = vars
        inputs = [:]
        submitted = []
        confirmed = []
        startedAt = now
        enteredAt = now
        updatedAt = now
        outbox = []
        self.parent = parent
        childCount = 0
        ticketValue = schema?.value(of: ticket) ?? TicketSchema.untypedValue(ticket)
    }
}

/// The members of a stored run (`RunState.json()`), read in one pass; a member that is missing
/// or of the wrong kind stays nil (or empty), and `RunState.init?(json:)` decides what it needs.
private struct StoredRunMembers {
    var id: String?, sop: String?, digest: String?, state: String?, status: RunState.Status?, version: Int?, nextSeq: Int?
    var ticket: JSONValue?, sopVersion: Int?
    var outcome: String?, lastHash: String?, ownerRole: String?, ownerQueue: String?
    var parent: String?, child: String?, childOutcome: String?
    var vars: [String: Value] = [:], inputs: [String: Value] = [:]
    var submitted = Set<String>(), confirmed = Set<Int>(), outbox: [JSONValue] = []
    var startedAt = 0, enteredAt = 0, updatedAt = 0, childCount = 0
    var sla: [String: SLAClock] = [:]
    var migratedAt: Int?

    init(_ members: JSONObject, sop compiled: CompiledSOP) {
        for (key, value) in members {
            switch key {
            case "id": id = Self.string(value)
            case "sop": sop = Self.string(value)
            case "sop_version": sopVersion = Self.int(value)
            case "sop_digest": digest = Self.string(value)
            case "state": state = Self.string(value)
            case "status": status = Self.string(value).flatMap(RunState.Status.init)
            case "outcome": outcome = Self.string(value)
            case "version": version = Self.int(value)
            case "next_seq": nextSeq = Self.int(value)
            case "last_hash": lastHash = Self.string(value)
            case "ticket": ticket = value
            case "vars": vars = Self.values(value, compiled.varTypes)
            case "inputs": inputs = Self.values(value, compiled.inputTypes)
            case "submitted":
                if case .array(let items) = value { submitted = Set(items.compactMap(Self.string)) }
            case "confirmed":
                if case .array(let items) = value { confirmed = Set(items.compactMap(Self.int)) }
            case "started_at": startedAt = Self.int(value) ?? 0
            case "entered_at": enteredAt = Self.int(value) ?? 0
            case "updated_at": updatedAt = Self.int(value) ?? 0
            case "owner_role": ownerRole = Self.string(value)
            case "owner_queue": ownerQueue = Self.string(value)
            case "outbox":
                if case .array(let items) = value { outbox = items }
            case "parent": parent = Self.string(value)
            case "child": child = Self.string(value)
            case "child_outcome": childOutcome = Self.string(value)
            case "child_count": childCount = Self.int(value) ?? 0
            case "sla":
                if case .object(let clocks) = value {
                    for (name, clock) in clocks { if let c = SLAClock(json: clock) { sla[name] = c } }
                }
            case "migrated_at": migratedAt = Self.int(value)
            default: break
            }
        }
    }

    private static func string(_ v: JSONValue) -> String? { if case .string(let s) = v { return s } else { return nil } }
    private static func int(_ v: JSONValue) -> Int? { if case .int(let i) = v { return i } else { return nil } }

    /// Stored values typed by their declarations (an undeclared name keeps its JSON kind).
    private static func values(_ v: JSONValue, _ types: [String: ValueType]) -> [String: Value] {
        guard case .object(let members) = v else { return [:] }
        var out: [String: Value] = [:]
        for (name, value) in members { out[name] = ValueJSON.value(value, as: types[name]) }
        return out
    }
}
