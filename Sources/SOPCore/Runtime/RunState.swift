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

    /// The ticket as expressions read it (dates typed by the schema); derived, not stored.
    var ticketValue: Value = .null
    /// Where the current state is in the compiled SOP, to skip a lookup by name; not stored.
    var stateHint: Int?

    public var isEnded: Bool { status == .ended }

    // MARK: Storage form

    /// The run as one JSON object, for the store.
    public func json() -> JSONValue {
        return .object([
            ("id", .string(id)), ("sop", .string(sop)), ("sop_version", .int(sopVersion)), ("sop_digest", .string(sopDigest)),
            ("state", .string(state)), ("status", .string(status.rawValue)), ("outcome", .optional(outcome)),
            ("version", .int(version)), ("next_seq", .int(nextSeq)), ("last_hash", .optional(lastHash)),
            ("ticket", ticket), ("vars", ValueJSON.object(vars)), ("inputs", ValueJSON.object(inputs)),
            ("submitted", .array(submitted.sorted().map { .string($0) })), ("confirmed", .array(confirmed.sorted().map { .int($0) })),
            ("started_at", .int(Int(startedAt))), ("entered_at", .int(Int(enteredAt))), ("updated_at", .int(Int(updatedAt))),
            ("owner_role", .optional(ownerRole)), ("owner_queue", .optional(ownerQueue)), ("outbox", .array(outbox)),
            ("parent", .optional(parent)), ("child", .optional(child)), ("child_outcome", .optional(childOutcome)),
            ("child_count", .int(childCount)),
        ])
    }

    /// Reads a stored run back, typing its variables and inputs by the SOP's declarations.
    public init?(json j: JSONValue, sop compiled: CompiledSOP, schema: TicketSchema?) {
        func string(_ k: String) -> String? { if case .string(let s)? = j[k] { return s } else { return nil } }
        func int(_ k: String) -> Int? { if case .int(let i)? = j[k] { return i } else { return nil } }
        guard let id = string("id"), let sop = string("sop"), let digest = string("sop_digest"), let state = string("state"),
              let status = string("status").flatMap(Status.init), let version = int("version"), let nextSeq = int("next_seq"),
              let ticket = j["ticket"] else { return nil }
        func values(_ k: String, _ types: [String: ValueType]) -> [String: Value] {
            guard case .object(let members)? = j[k] else { return [:] }
            var out: [String: Value] = [:]
            for (name, value) in members { out[name] = ValueJSON.value(value, as: types[name]) }
            return out
        }
        self.id = id
        self.sop = sop
        self.sopVersion = int("sop_version") ?? compiled.version
        self.sopDigest = digest
        self.state = state
        self.status = status
        self.outcome = string("outcome")
        self.version = version
        self.nextSeq = nextSeq
        self.lastHash = string("last_hash")
        self.ticket = ticket
        self.vars = values("vars", compiled.varTypes)
        self.inputs = values("inputs", compiled.inputTypes)
        if case .array(let items)? = j["submitted"] { submitted = Set(items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }) } else { submitted = [] }
        if case .array(let items)? = j["confirmed"] { confirmed = Set(items.compactMap { if case .int(let i) = $0 { return i } else { return nil } }) } else { confirmed = [] }
        startedAt = Int64(int("started_at") ?? 0)
        enteredAt = Int64(int("entered_at") ?? 0)
        updatedAt = Int64(int("updated_at") ?? 0)
        ownerRole = string("owner_role")
        ownerQueue = string("owner_queue")
        if case .array(let items)? = j["outbox"] { outbox = items } else { outbox = [] }
        parent = string("parent")
        child = string("child")
        childOutcome = string("child_outcome")
        childCount = int("child_count") ?? 0
        ticketValue = schema?.value(of: ticket) ?? TicketSchema.untypedValue(ticket)
    }

    /// A placeholder holding nothing, to swap a run out of a step without copying it. Built
    /// afresh each time: copying a stored one retains and later releases each of its parts.
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
