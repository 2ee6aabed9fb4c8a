import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON
import SOPStore

/// Someone acting through a token: an actor id and every role the token grants. The service
/// picks, for each step, the role that may take it; a caller never names their own role.
public struct Caller: Sendable, Hashable {
    public var id: String
    public var roles: [String]

    public init(id: String, roles: [String]) {
        self.id = id
        self.roles = roles
    }
}

/// Who takes a step: one actor with one role (the command line's `--actor`), or a caller with
/// several roles (a token), for whom the service chooses the role and refuses (403) a step none
/// of them may take.
public enum Acting: Sendable {
    case actor(Actor)
    case caller(Caller)
}

/// One step as every interface asks for it: the command line, the HTTP API and the MCP server.
public struct StepRequest: Sendable {
    public var run: String
    public var command: StepCommand
    public var who: Acting
    public var now: Int64
    /// The same id twice applies once (`--request-id`, `Idempotency-Key`).
    public var requestID: String?
    /// The run versions the caller accepts (`If-Match`: the step is taken if the run is at any of
    /// them); nil to step whatever is stored. Empty when the caller's entity tags name no version
    /// (`If-Match: "abc"`): a condition that is false, so the step is refused as stale.
    public var expectedVersions: Set<Int>?

    public init(run: String, command: StepCommand, who: Acting, now: Int64, requestID: String? = nil, expectedVersion: Int? = nil,
                expectedVersions: Set<Int>? = nil) {
        self.run = run
        self.command = command
        self.who = who
        self.now = now
        self.requestID = requestID
        self.expectedVersions = expectedVersions ?? expectedVersion.map { [$0] }
    }
}

/// The operations behind `sop serve` and `sop mcp` (and the command line where it has them):
/// each checks the caller's roles against the SOP, then does what the command line does. No
/// HTTP or MCP handler decides anything about a run.
extension RunService {
    // MARK: Who may do what

    /// The actor a step is taken as.
    static func actor(_ who: Acting, for command: StepCommand, run: RunState, engine: Engine, now: Int64) throws -> Actor {
        switch who {
        case .actor(let actor):
            return actor
        case .caller(let caller):
            try Self.authorize(caller, engine)
            let acts: Bool, event: String?
            switch command {
            case .submit(let inputs, let e, let checks): acts = !inputs.isEmpty || checks != nil; event = e
            default: acts = false; event = nil
            }
            guard let role = engine.actingRole(run, roles: caller.roles, acts: acts, event: event, now: now) else {
                throw RunError.forbidden(engine.missingRoleReason(run, roles: caller.roles, acts: acts, event: event, now: now))
            }
            return Actor(id: caller.id, role: role)
        }
    }

    /// A caller may see and act on runs of an SOP only with one of the roles the SOP names.
    static func authorize(_ caller: Caller, _ engine: Engine) throws {
        let roles = engine.roles
        guard caller.roles.contains(where: roles.contains) else {
            throw RunError.forbidden("SOP '\(engine.sop.id)' is acted on by the roles \(roles.map { "'\($0)'" }.joined(separator: ", ")); "
                                     + "you hold \(caller.roles.map { "'\($0)'" }.joined(separator: ", "))")
        }
    }

    /// The run with its engine, if the caller may see it.
    func authorizedRun(_ id: String, _ caller: Caller?) throws -> (RunState, Engine) {
        let (run, engine) = try self.run(id)
        if let caller { try Self.authorize(caller, engine) }
        return (run, engine)
    }

    // MARK: SOPs

    /// Every SOP file of the folder: id, version, title, category and lint status; for a
    /// caller, the SOPs they hold a role in.
    public func sopList(caller: Caller? = nil) -> [JSONValue] {
        let visible = caller.map { Set(visibleSOPs($0)) }
        return catalogue.entries().filter { entry in visible.map { v in entry.id.map(v.contains) ?? false } ?? true }.map { entry in
            // As `sop lint` counts them: a suppressed finding is not a problem.
            let errors = entry.diagnostics.filter { $0.severity == .error && $0.suppression == nil }.count + (entry.unreadable == nil ? 0 : 1)
            let warnings = entry.diagnostics.filter { $0.severity == .warning && $0.suppression == nil }.count
            let definition = entry.compiled?.definition
            return .object([
                ("id", .optional(entry.id)), ("path", .string(entry.path)),
                ("version", definition.map { .int($0.version) } ?? .null), ("title", .optional(definition.map { Template.withoutExpressions($0.title) })),
                ("category", .optional(definition?.category)),
                ("lint", .object([("status", .string(errors > 0 ? "errors" : warnings > 0 ? "warnings" : "ok")),
                                  ("errors", .int(errors)), ("warnings", .int(warnings))])),
            ])
        }
    }

    /// One SOP as a client needs to show it: its states with their inputs and transitions, and
    /// its graph (Mermaid).
    public func sopDetail(_ id: String) throws -> JSONValue {
        let sop = try currentSOP(id)
        let d = sop.definition
        let engine = self.engine(sop)
        let states: [JSONValue] = d.states.map { state in
            var members: JSONObject = [("id", .string(state.id.value)), ("title", .string(state.title))]
            members["role"] = .optional(engine.stateRole(state.id.value))
            members["instructions"] = .optional(state.instructions)
            members["checklist"] = .array(state.checklist.map { .string($0.value) })
            members["inputs"] = .array(state.inputs.map { RunStatus.spec(spec: $0, given: false, { $0 }) })
            members["end"] = .optional(state.end?.value)
            members["call"] = .optional(state.call?.value)
            members["transitions"] = .array(state.transitions.map { t in
                .object([("to", .string(t.to.value)), ("on", .optional(t.on?.value)), ("when", .optional(t.when?.text)),
                         ("after", .optional(t.after?.text)), ("business_calendar", .optional(t.business?.calendar.value)),
                         ("label", .optional(t.label)),
                         ("role", .string(t.role?.value ?? engine.stateRole(state.id.value) ?? "agent"))])
            })
            return .object(members)
        }
        return .object([
            ("id", .string(sop.id)), ("version", .int(sop.version)), ("title", .string(Template.withoutExpressions(d.title))), ("description", .optional(d.description)),
            ("category", .optional(d.category)), ("digest", .string(sop.digest)), ("roles", .array(engine.roles.map { .string($0) })),
            ("start", .string(d.start.value)), ("states", .array(states)),
            ("graph", .object([("mermaid", .string(GraphExport.mermaid(d)))])),
        ])
    }

    /// The SOPs a caller may see runs of (every SOP for the command line).
    public func visibleSOPs(_ caller: Caller) -> [String] {
        catalogue.entries().compactMap { entry in
            guard let sop = entry.compiled else { return nil }
            let roles = engine(sop).roles
            return caller.roles.contains(where: roles.contains) ? sop.id : nil
        }
    }

    // MARK: Runs

    /// Starts a run as a caller (the acting role: the start state's, if the caller holds it).
    /// Returns the run and whether it already existed (an idempotent repeat).
    public func start(sop id: String, ticket: JSONValue, runID: String?, as who: Acting, now: Int64) throws -> (run: RunState, existed: Bool) {
        let sop = try currentSOP(id)
        let engine = self.engine(sop)
        let actor: Actor
        switch who {
        case .actor(let a):
            actor = a
        case .caller(let caller):
            try Self.authorize(caller, engine)
            let startRole = engine.stateRole(sop.definition.start.value)
            let role = caller.roles.first { $0 == startRole } ?? caller.roles.first { engine.roles.contains($0) } ?? "agent"
            actor = Actor(id: caller.id, role: role)
        }
        return try write { tx in
            if let runID, try tx.run(runID) != nil {
                return (try self.start(sop, ticket: ticket, runID: runID, actor: actor, now: now, parent: nil, tx), true)
            }
            return (try self.start(sop, ticket: ticket, runID: runID, actor: actor, now: now, parent: nil, tx), false)
        }
    }

    /// The `status` JSON of a run for a caller: the events shown are those the caller's roles may
    /// send. The run is shown with its due timers taken, as the next command will find it.
    public func status(_ id: String, caller: Caller?, now: Int64) throws -> (json: JSONValue, version: Int) {
        let (run, engine, due) = try projected(id, now: now)
        if let caller { try Self.authorize(caller, engine) }
        return (RunStatus.json(run, engine, actor: nil, roles: caller?.roles, now: now, dueRecords: due), run.version)
    }

    /// A page of runs; the caller sees only runs of SOPs one of their roles acts in. An SOP in the
    /// filter that the folder lacks is an error (not an empty list).
    public func runs(_ filter: RunFilter, caller: Caller?) throws -> RunPage {
        var filter = filter
        if let wanted = filter.sops {
            let known = Set(catalogue.entries().compactMap(\.id))
            if let unknown = wanted.first(where: { !known.contains($0) }) {
                throw RunError.badRequest(RunError.unknownSOP(unknown, known.sorted()).description)
            }
        }
        if let caller {
            let visible = visibleSOPs(caller)
            filter.sops = filter.sops.map { $0.filter(visible.contains) } ?? visible
        }
        if filter.role != nil { try backfillWaitingRoles() }
        return try store.read { tx in try tx.runPage(filter) }
    }

    /// How soon a run in a queue must be seen to: by its next deadline (`Engine.nextDeadline`,
    /// the earliest of its timers and its SLA clocks' due times).
    public enum Urgency: String, Sendable {
        case overdue, urgent, soon, ok, none

        /// Past due, under 30 minutes, under an hour, later, or no deadline.
        public init(due: Int64?, now: Int64) {
            guard let due else { self = .none; return }
            let left = due - now
            self = left < 0 ? .overdue : left < 30 * 60_000 ? .urgent : left < 60 * 60_000 ? .soon : .ok
        }
    }

    /// One run of a caller's queue (the console's "My queue").
    public struct QueueItem: Sendable {
        public var run: RunState
        public var engine: Engine
        /// The role of the caller's the run waits on.
        public var role: String
        /// The next deadline and whether it is an SLA target's (its id) or a timer's (nil).
        public var due: Int64?
        public var slaTarget: String?
        public var urgency: Urgency
        public var updatedAt: Int64
    }

    /// The runs waiting on a caller's roles, as work: most urgent first (the earliest deadline
    /// of timers and SLA due times, then the longest waiting). A run waiting on a run it called
    /// is not work for anyone (its child is) and is left out. At most `limit` runs per role.
    public func queue(caller: Caller, sop: String?, state: String?, now: Int64, limit: Int = 500) throws -> [QueueItem] {
        var seen = Set<String>()
        var items: [QueueItem] = []
        for role in caller.roles {
            let page = try runs(RunFilter(sops: sop.map { [$0] }, state: state, role: role, limit: limit), caller: caller)
            for summary in page.runs where seen.insert(summary.run).inserted {
                let (run, engine, _) = try projected(summary.run, now: now)
                guard !run.isEnded, run.child == nil else { continue }
                let deadline = engine.nextDeadline(run)
                items.append(QueueItem(run: run, engine: engine, role: role, due: deadline?.at, slaTarget: deadline?.slaTarget,
                                       urgency: Urgency(due: deadline?.at, now: now), updatedAt: summary.updatedAt))
            }
        }
        items.sort { a, b in
            switch (a.due, b.due) {
            case let (x?, y?) where x != y: return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.updatedAt < b.updatedAt
            }
        }
        return items
    }

    /// Sets the role waited on for runs stored before the store kept it.
    func backfillWaitingRoles() throws {
        let missing = try store.read { tx in try tx.runsWithoutRole() }
        guard !missing.isEmpty else { return }
        try write { tx in
            for id in missing {
                guard let stored = try tx.run(id) else { continue }
                let (run, engine) = try self.load(stored, tx)
                try tx.setWaitingRole(run: id, role: engine.stateRole(run.state))
            }
        }
    }

    /// A run's journal records after `after` (a sequence number), for a caller.
    public func journal(_ id: String, after: Int?, caller: Caller?) throws -> [JournalRecord] {
        _ = try authorizedRun(id, caller)
        let records = try journal(id)
        guard let after else { return records }
        return records.filter { $0.seq > after }
    }

    /// Verifies one run, for a caller.
    public func verify(_ id: String, caller: Caller?) throws -> Verification {
        _ = try authorizedRun(id, caller)
        guard let result = try verify(id).first else { throw RunError.unknownRun(id) }
        return result
    }

    // MARK: Tokens

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
        guard secret.hasPrefix("sop_"), secret.utf8.count < 200 else { return nil }
        return try store.read { tx in try tx.token(hash: Self.tokenHash(secret)) }.map { Caller(id: $0.actor, roles: $0.roles) }
    }

    public func tokens() throws -> [StoredToken] {
        try store.read { tx in try tx.tokens() }
    }

    public func revokeToken(_ id: String, now: Int64) throws -> Bool {
        try write { tx in try tx.revokeToken(id: id, at: now) }
    }

    public static func tokenHash(_ secret: String) -> String { Digest.sha256(secret) }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    // MARK: Helpdesk updates

    /// What an inbound helpdesk delivery did.
    public enum HelpdeskResult: Sendable {
        /// This delivery id was applied before: nothing done again.
        case duplicate
        /// A later update of the ticket was applied before: this one would move it backwards.
        case stale
        /// Carried to every open run of the ticket: the runs it changed, those it found already
        /// as it says (no record written), and those that refused it, with their reasons.
        case carried(runs: [String], unchanged: [String], refused: [(run: String, reason: String)])

        /// The answer's `result`: `applied` when some run changed, else `refused` when some run
        /// refused it, else `unchanged` (no run changed, or the ticket has no open run);
        /// `duplicate` and `stale` as they are.
        public var result: String {
            switch self {
            case .duplicate: return "duplicate"
            case .stale: return "stale"
            case .carried(let runs, _, let refused): return !runs.isEmpty ? "applied" : !refused.isEmpty ? "refused" : "unchanged"
            }
        }
    }

    /// Applies a helpdesk's ticket update to every open run of the ticket, as `sop update` would,
    /// in one transaction: a merge patch, or a full ticket (the patch is then what changed). The
    /// delivery id is claimed, and the sender's `updated_at` must be later than the last applied.
    public func applyHelpdeskUpdate(delivery: String, ticketID: String, updatedAt: Int64, patch: JSONValue?, ticket: JSONValue?,
                                    now: Int64) throws -> HelpdeskResult {
        try write { tx in
            guard try tx.claimHookDelivery(delivery, at: now) else { return .duplicate }
            guard try tx.advanceTicket(ticketID, updatedAt: updatedAt) else { return .stale }
            var applied: [String] = [], unchanged: [String] = [], refused: [(String, String)] = []
            for id in try tx.openRuns(ticketID: ticketID) {
                guard let stored = try tx.run(id) else { continue }
                let (run, _) = try self.load(stored, tx)
                let change = patch ?? JSONValue.mergePatch(from: run.ticket, to: ticket ?? .object(JSONObject()))
                do {
                    let result = try tx.savepoint {
                        try self.step(StepRequest(run: id, command: .update(patch: change), who: .actor(Self.helpdesk), now: now), tx)
                    }
                    if result.run.version == run.version { unchanged.append(id) } else { applied.append(id) }
                } catch let error as RunError {
                    if case .store = error { throw error }
                    self.pinnedInStore = []  // the savepoint undid any pin
                    refused.append((id, error.reason))
                }
            }
            return .carried(runs: applied, unchanged: unchanged, refused: refused)
        }
    }

    /// The actor a helpdesk's updates are recorded as.
    public static let helpdesk = Actor(id: "helpdesk", role: "system")

    // MARK: Outbox

    public func outbox() throws -> [(message: OutboxMessage, deliveries: [Delivery])] {
        try store.read { tx in try tx.outboxMessages().map { ($0, try tx.deliveries(message: $0.id)) } }
    }

    /// Puts a message's failed or pending deliveries (or one delivery) back in the queue, due now.
    public func retryOutbox(_ id: String, now: Int64) throws -> Int {
        try write { tx in
            if try tx.retryDelivery(id, at: now) { return 1 }
            guard try tx.outboxMessage(id) != nil else { throw RunError.badRequest("no outbox message or delivery has the id '\(id)'") }
            var count = 0
            for d in try tx.deliveries(message: id) where d.status != "delivered" {
                if try tx.retryDelivery(d.id, at: now) { count += 1 }
            }
            return count
        }
    }
}

extension JSONValue {
    /// The JSON merge patch (RFC 7396) that turns `old` into `new`: changed members, removed ones
    /// as null, objects compared member by member.
    public static func mergePatch(from old: JSONValue, to new: JSONValue) -> JSONValue {
        guard case .object(let before) = old, case .object(let after) = new else { return new }
        var patch = JSONObject()
        for (key, value) in after {
            guard let previous = before[key] else { patch[key] = value; continue }
            if previous.canonical() == value.canonical() { continue }
            if case .object = previous, case .object = value {
                patch[key] = mergePatch(from: previous, to: value)
            } else {
                patch[key] = value
            }
        }
        for (key, _) in before where after[key] == nil { patch[key] = .null }
        return .object(patch)
    }
}

extension RunService {
    /// The SOPs whose `applies_when` holds for a ticket (`sop route`), among those a caller may
    /// see; a ticket that does not fit the ticket schema is refused with its violations.
    public func route(ticket: JSONValue, caller: Caller?, now: Int64) throws -> [(sop: String, title: String)] {
        try catalogue.route(ticket: ticket, only: caller.map { Set(visibleSOPs($0)) }, now: now)
    }

    /// The JSON Schema of the inputs the run's current state takes (for an AI agent's tool call).
    public func inputSchema(_ id: String, now: Int64) throws -> JSONValue {
        let (run, engine, _) = try projected(id, now: now)
        let state = engine.sop.definition.state(run.state)
        var properties = JSONObject()
        var required: [JSONValue] = []
        for spec in run.isEnded ? [] : state?.inputs ?? [] {
            var p = JSONObject()
            switch spec.type {
            case .string: p["type"] = .string("string")
            case .integer: p["type"] = .string("integer")
            case .number: p["type"] = .string("number")
            case .boolean: p["type"] = .string("boolean")
            case .date: p["type"] = .string("string"); p["format"] = .string("date")
            case .datetime: p["type"] = .string("string"); p["format"] = .string("date-time")
            case .duration: p["type"] = .string("string"); p["description"] = .string("a duration such as 30m, 4h or 2d")
            case .enum: p["type"] = .string("string"); p["enum"] = .array(spec.values.map { .string($0.value) })
            case .list: p["type"] = .string("string"); p["description"] = .string("items separated by commas")
            }
            if let prompt = spec.prompt { p["description"] = .string(engine.renderTemplate(prompt, run: run, now: now) ?? prompt) }
            if let min = spec.min { p["minimum"] = .number(Decimal(min)) }
            if let max = spec.max { p["maximum"] = .number(Decimal(max)) }
            if let n = spec.minLength { p["minLength"] = .int(n) }
            if let n = spec.maxLength { p["maxLength"] = .int(n) }
            if let pattern = spec.pattern { p["pattern"] = .string(pattern) }
            properties[spec.id.value] = .object(p)
            if spec.required && !run.submitted.contains(spec.id.value) { required.append(.string(spec.id.value)) }
        }
        return .object([("type", .string("object")), ("properties", .object(properties)), ("required", .array(required)),
                        ("additionalProperties", .bool(false))])
    }
}

extension SOPCatalogue {
    /// The SOPs whose `applies_when` holds for a ticket, among `only` when given (`sop route`, the
    /// API and MCP's `route`, the console's start page); a ticket that does not fit the ticket
    /// schema is refused with its violations. An SOP with lint errors is not offered.
    public func route(ticket: JSONValue, only visible: Set<String>?, now: Int64) throws -> [(sop: String, title: String)] {
        if let schema {
            let violations = schema.validate(ticket)
            if !violations.isEmpty {
                throw RunError.rejected(StepRejection("the ticket does not fit the ticket schema", instead: violations.map(\.description)))
            }
        }
        let context = EvaluationContext(ticket: schema?.value(of: ticket) ?? TicketSchema.untypedValue(ticket), now: now)
        return entries().compactMap { entry in
            guard let sop = entry.compiled, visible?.contains(sop.id) ?? true, sop.applies(in: context) else { return nil }
            // The ticket is known: the title's templates are filled from it.
            return (sop.id, Template.render(sop.definition.title, in: context) ?? Template.withoutExpressions(sop.definition.title))
        }
    }
}
