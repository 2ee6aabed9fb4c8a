import Foundation
import SOPExpression
import SOPJSON

/// Checklist items an agent confirms in a step.
public enum ChecklistSelection: Sendable, Hashable {
    case all
    /// 1-based item numbers.
    case items([Int])
}

/// What a step asks of a run.
public enum StepCommand: Sendable {
    /// Inputs (as typed text, parsed by each input's type), checklist confirmations, and an event.
    case submit(inputs: [(String, String)], event: String?, checks: ChecklistSelection?)
    /// A JSON merge patch of the ticket.
    case update(patch: JSONValue)
    /// Only take due timers.
    case tick
    /// The child run this run waits for has ended.
    case childEnded(outcome: String, ticket: JSONValue)
}

/// Why a step was refused, and what is possible instead. A rejected step changes nothing.
public struct StepRejection: Error, Sendable, CustomStringConvertible {
    public var reason: String
    /// What the actor could do instead (events enabled now, allowed values…).
    public var instead: [String]

    public init(_ reason: String, instead: [String] = []) {
        self.reason = reason
        self.instead = instead
    }

    public var description: String {
        instead.isEmpty ? reason : reason + "\n" + instead.map { "  - " + $0 }.joined(separator: "\n")
    }
}

/// Something a step asks of other runs, carried out by the store in the same transaction.
public enum StepEffect: Sendable {
    case startChild(sop: String, runID: String)
    case startRun(sop: String)
    case childEnded(parent: String, outcome: String)
}

/// The decided step: the new run state, its journal records (not yet chained) and its effects.
public struct StepDecision: Sendable {
    public var run: RunState
    public var records: [JournalRecord]
    public var effects: [StepEffect]

    /// False when the step changed nothing (a tick with nothing due).
    public var changed: Bool { !records.isEmpty }
}

/// The interpreter: decides steps with SOP-FORMAT.md's run semantics. It is pure: given a run,
/// a command, an actor and a time it returns the next run state and journal records, or a
/// rejection; applying them is the store's job.
public struct Engine: Sendable {
    public let sop: CompiledSOP
    public let schema: TicketSchema?
    /// More automatic transitions than this in one step is a livelock.
    public static let livelockBound = 100

    public init(sop: CompiledSOP, schema: TicketSchema?) {
        self.sop = sop
        self.schema = schema
    }

    /// Starts a run: validates the ticket, enters the start state and settles.
    public func start(id: String, ticket: JSONValue, actor: Actor, now: Int64, parent: String? = nil) throws(StepRejection) -> StepDecision {
        if let schema {
            let violations = schema.validate(ticket)
            if !violations.isEmpty {
                throw StepRejection("the ticket does not fit the ticket schema", instead: violations.map(\.description))
            }
        }
        var step = Step(engine: self, run: RunState(id: id, sop: sop, ticket: ticket, schema: schema, now: now, parent: parent),
                        now: now, actor: actor)
        step.beginRecord(from: nil, trigger: .object([("kind", .string("start"))]), inputs: .object([]), at: now, actor: actor)
        try step.enter(sop.definition.start.value, at: now)
        step.finishRecord()
        try step.settle(firstTrigger: nil, firstInputs: nil)
        return step.decision()
    }

    /// Applies a command to a run: due timers first, then the command.
    public func apply(_ command: StepCommand, to run: RunState, actor: Actor, now: Int64) throws(StepRejection) -> StepDecision {
        guard run.sopDigest == sop.digest else {
            throw StepRejection("the run is pinned to \(run.sopDigest), not to this SOP source (\(sop.digest))")
        }
        var step = Step(engine: self, run: run, now: now, actor: actor)
        if case .childEnded = command {} else { try step.fireTimers() }
        switch command {
        case .tick:
            break
        case .submit(let inputs, let event, let checks):
            try step.submit(inputs: inputs, event: event, checks: checks)
        case .update(let patch):
            try step.update(patch)
        case .childEnded(let outcome, let ticket):
            try step.childEnded(outcome: outcome, ticket: ticket)
        }
        return step.decision()
    }

    /// The events the actor may send now, with their labels (in document order, once each).
    public func enabledEvents(_ run: RunState, actor: Actor?) -> [(event: String, label: String)] {
        guard !run.isEnded, let state = sop.state(run.state) else { return [] }
        var order: [String] = []
        var labels: [String: String] = [:]
        for t in state.transitions {
            guard let on = t.definition.on?.value else { continue }
            if let actor, !allows(actor, t.definition, state) { continue }
            if !order.contains(on) { order.append(on) }
            if labels[on] == nil, let label = t.definition.label { labels[on] = label }
        }
        return order.map { ($0, labels[$0] ?? $0) }
    }

    /// The timers of the current state with their due times.
    public func pendingTimers(_ run: RunState) -> [(to: String, due: Int64)] {
        guard !run.isEnded, let state = sop.state(run.state) else { return [] }
        let context = evaluationContext(run, now: run.updatedAt)
        return state.transitions.compactMap { t in
            guard let ms = timerLength(t, context) else { return nil }
            return (t.definition.to.value, run.enteredAt + ms)
        }
    }

    /// Required inputs of the current state not yet submitted since it was entered.
    public func inputsNeeded(_ run: RunState) -> [String] {
        guard !run.isEnded, let state = sop.state(run.state) else { return [] }
        return state.definition.inputs.filter { $0.required && !run.submitted.contains($0.id.value) }.map(\.id.value)
    }

    /// Fills the `${{ }}` templates of a text (a title, instructions) from the run; nil when an
    /// expression fails.
    public func renderTemplate(_ text: String, run: RunState, now: Int64) -> String? {
        guard Template.containsTemplate(text), case .success(let template) = Template.parse(text) else { return text }
        let context = evaluationContext(run, now: now)
        var out = ""
        for part in template.parts {
            switch part {
            case .text(let s): out += s
            case .expression(let e):
                guard let v = try? Evaluator.compile(e).evaluate(context) else { return nil }
                out += v.description
            }
        }
        return out
    }

    func allows(_ actor: Actor, _ t: TransitionDefinition, _ state: CompiledState) -> Bool {
        let required = t.role?.value ?? state.definition.role?.value ?? "agent"
        return actor.role == required
    }

    func evaluationContext(_ run: RunState, now: Int64) -> EvaluationContext {
        EvaluationContext(ticket: run.ticketValue, vars: run.vars, inputs: run.inputs, childOutcome: run.childOutcome,
                          runStartedAt: run.startedAt, runEnteredAt: run.enteredAt, runState: run.state, now: now)
    }

    func timerLength(_ t: CompiledTransition, _ context: EvaluationContext) -> Int64? {
        switch t.timer {
        case .fixed(let ms)?: return ms
        case .computed(let e)?:
            if case .duration(let ms)? = try? e.evaluate(context) { return ms }
            return nil
        case nil: return nil
        }
    }
}

/// One step in the making: a working copy of the run, the records written so far, the effects.
struct Step {
    let engine: Engine
    var run: RunState
    let now: Int64
    let actor: Actor
    var records: [JournalRecord] = []
    var effects: [StepEffect] = []
    var current: JournalRecord?
    var automaticCount = 0

    init(engine: Engine, run: RunState, now: Int64, actor: Actor) {
        self.engine = engine
        self.run = run
        self.now = now
        self.actor = actor
    }

    var sop: CompiledSOP { engine.sop }

    mutating func decision() -> StepDecision {
        if !records.isEmpty {
            run.version += 1
            run.updatedAt = max(run.updatedAt, now)
        }
        return StepDecision(run: run, records: records, effects: effects)
    }

    // MARK: Records

    mutating func beginRecord(from: String?, trigger: JSONValue, inputs: JSONValue, at: Int64, actor: Actor) {
        current = JournalRecord(run: run.id, seq: run.nextSeq, at: at, actor: actor, sop: sop.id, sopVersion: sop.version,
                                sopDigest: sop.digest, from: from, to: run.state, trigger: trigger, inputs: inputs,
                                changes: [], effects: [], prev: nil, hash: nil)
        run.nextSeq += 1
    }

    mutating func finishRecord() {
        guard var record = current else { return }
        record.to = run.state
        records.append(record)
        current = nil
    }

    mutating func change(_ path: String, _ old: JSONValue, _ new: JSONValue) {
        guard old != new else { return }
        current?.changes.append((path, old, new))
    }

    // MARK: Commands

    mutating func submit(inputs raw: [(String, String)], event: String?, checks: ChecklistSelection?) throws(StepRejection) {
        guard !run.isEnded else { throw StepRejection("the run has ended with outcome '\(run.outcome ?? "")'") }
        guard let state = sop.state(run.state) else { throw StepRejection("the run is in an unknown state '\(run.state)'") }
        let stateRole = state.definition.role?.value ?? "agent"
        if (!raw.isEmpty || checks != nil) && actor.role != stateRole {
            throw StepRejection("state '\(run.state)' is acted on by the role '\(stateRole)', not '\(actor.role)'")
        }
        // Inputs, parsed by their declared types.
        var parsed: [(String, Value)] = []
        for (name, text) in raw {
            guard let spec = state.definition.inputs.first(where: { $0.id.value == name }) else {
                let names = state.definition.inputs.map(\.id.value)
                throw StepRejection("state '\(run.state)' has no input '\(name)'",
                                    instead: names.isEmpty ? ["this state takes no inputs"] : names.map { "input \($0)" })
            }
            parsed.append((name, try InputParser.parse(text, spec: spec)))
        }
        // Checklist items.
        var confirm = Set<Int>()
        let items = state.definition.checklist
        switch checks {
        case .all?: confirm = Set(items.indices)
        case .items(let numbers)?:
            for n in numbers {
                guard n >= 1, n <= items.count else {
                    throw StepRejection("state '\(run.state)' has no checklist item \(n)",
                                        instead: items.enumerated().map { "\($0.offset + 1). \($0.element.value)" })
                }
                confirm.insert(n - 1)
            }
        case nil: break
        }
        let inputsJSON = JSONValue.object(parsed.map { ($0.0, ValueJSON.json($0.1)) })
        for (name, value) in parsed {
            run.inputs[name] = value
            run.submitted.insert(name)
        }
        run.confirmed.formUnion(confirm)
        let checkJSON: JSONValue? = checks.map { _ in .array(confirm.sorted().map { .int($0 + 1) }) }

        if let event {
            let candidates = state.transitions.filter { $0.event == event }
            guard !candidates.isEmpty else {
                let enabled = engine.enabledEvents(run, actor: actor).map { "\($0.event) (\($0.label))" }
                throw StepRejection("event '\(event)' is not possible in state '\(run.state)'",
                                    instead: enabled.isEmpty ? ["no event can be sent now"] : enabled.map { "event " + $0 })
            }
            let allowed = candidates.filter { engine.allows(actor, $0.definition, state) }
            guard !allowed.isEmpty else {
                let roles = Set(candidates.map { $0.definition.role?.value ?? stateRole }).sorted()
                throw StepRejection("event '\(event)' needs the role \(roles.map { "'\($0)'" }.joined(separator: " or ")), not '\(actor.role)'")
            }
            let unconfirmed = items.indices.filter { !run.confirmed.contains($0) }
            guard unconfirmed.isEmpty else {
                throw StepRejection("confirm the checklist before leaving state '\(run.state)'",
                                    instead: unconfirmed.map { "\($0 + 1). \(items[$0].value)" })
            }
            var taken: CompiledTransition?
            for t in allowed where try holds(t) { taken = t; break }
            guard let taken else {
                throw StepRejection("event '\(event)' is not enabled in state '\(run.state)': no guard of its transitions holds",
                                    instead: allowed.compactMap { $0.definition.when.map { "when: \($0.text)" } })
            }
            var trigger: [(String, JSONValue)] = [("kind", .string("event")), ("event", .string(event))]
            if let checkJSON { trigger.append(("checks", checkJSON)) }
            try take(taken, trigger: .object(trigger), inputs: inputsJSON, at: now, actor: actor)
            try settle(firstTrigger: nil, firstInputs: nil)
        } else {
            guard !raw.isEmpty || checks != nil else {
                throw StepRejection("nothing to do: give --event, --input or --check",
                                    instead: engine.enabledEvents(run, actor: actor).map { "event \($0.event) (\($0.label))" })
            }
            var trigger: [(String, JSONValue)] = [("kind", .string("input"))]
            if let checkJSON { trigger.append(("checks", checkJSON)) }
            try settle(firstTrigger: .object(trigger), firstInputs: inputsJSON)
        }
    }

    mutating func update(_ patch: JSONValue) throws(StepRejection) {
        guard case .object = patch else { throw StepRejection("a ticket patch must be a JSON object") }
        let updated = run.ticket.merged(with: patch)
        if let schema = engine.schema {
            let violations = schema.validate(updated)
            if !violations.isEmpty {
                throw StepRejection("the updated ticket does not fit the ticket schema", instead: violations.map(\.description))
            }
        }
        let old = run.ticket
        setTicket(updated)
        var changes: [(String, JSONValue, JSONValue)] = []
        if case .object(let patchMembers) = patch {
            for (key, _) in patchMembers {
                changes.append(("ticket." + key, old[key] ?? .null, updated[key] ?? .null))
            }
        }
        let trigger = JSONValue.object([("kind", .string("input")), ("ticket", patch)])
        try settle(firstTrigger: trigger, firstInputs: .object([]), firstChanges: changes)
    }

    mutating func childEnded(outcome: String, ticket: JSONValue) throws(StepRejection) {
        let old = run.ticket
        run.childOutcome = outcome
        run.child = nil
        setTicket(ticket)
        var changes: [(String, JSONValue, JSONValue)] = []
        if case .object(let members) = ticket {
            for (key, value) in members where old[key] != value { changes.append(("ticket." + key, old[key] ?? .null, value)) }
        }
        try settle(firstTrigger: .object([("kind", .string("child")), ("outcome", .string(outcome))]), firstInputs: .object([]),
                   firstChanges: changes, actor: .system)
    }

    // MARK: Moving

    /// Tries automatic transitions until none holds. The first record of the step may carry the
    /// step's own trigger (inputs, a ticket update, a child's end); when no transition is taken
    /// and there is such a trigger, a record without a move keeps the data change in the journal.
    mutating func settle(firstTrigger: JSONValue?, firstInputs: JSONValue?, firstChanges: [(String, JSONValue, JSONValue)] = [],
                         actor stepActor: Actor? = nil, at: Int64? = nil) throws(StepRejection) {
        var pendingTrigger = firstTrigger
        let when = at ?? now
        while let t = try nextAutomatic(at: when) {
            automaticCount += 1
            if automaticCount > Engine.livelockBound {
                throw StepRejection("livelock: more than \(Engine.livelockBound) automatic transitions in one step (last in state '\(run.state)')",
                                    instead: ["make the automatic guards of the states in this loop exclusive"])
            }
            let trigger = pendingTrigger ?? .object([("kind", .string("auto"))])
            let inputs = pendingTrigger == nil ? JSONValue.object([]) : (firstInputs ?? .object([]))
            try take(t, trigger: trigger, inputs: inputs, at: when, actor: stepActor ?? actor, changesFirst: pendingTrigger == nil ? [] : firstChanges)
            pendingTrigger = nil
        }
        if case .object(var members)? = pendingTrigger {
            // No transition was taken: the record keeps the data the step brought, and says so.
            members.append(("move", .bool(false)))
            beginRecord(from: run.state, trigger: .object(members), inputs: firstInputs ?? .object([]), at: when, actor: stepActor ?? actor)
            for c in firstChanges { change(c.0, c.1, c.2) }
            finishRecord()
        }
    }

    private mutating func nextAutomatic(at: Int64) throws(StepRejection) -> CompiledTransition? {
        guard !run.isEnded, let state = sop.state(run.state) else { return nil }
        if state.definition.call != nil && run.childOutcome == nil { return nil }  // waits for the child
        let required = state.definition.inputs.filter(\.required).map(\.id.value)
        guard required.allSatisfy(run.submitted.contains),
              state.definition.checklist.indices.allSatisfy(run.confirmed.contains) else { return nil }
        for t in state.transitions where t.isAutomatic {
            if try holds(t, at: at) { return t }
        }
        return nil
    }

    /// Takes due timers, earliest first (then in document order), each at its due time.
    mutating func fireTimers() throws(StepRejection) {
        while !run.isEnded, let state = sop.state(run.state) {
            var best: (t: CompiledTransition, due: Int64)?
            for t in state.transitions {
                let context = engine.evaluationContext(run, now: now)
                guard let ms = engine.timerLength(t, context) else { continue }
                let due = run.enteredAt + ms
                guard due <= now else { continue }
                if best == nil || due < best!.due {
                    if try holds(t, at: due) { best = (t, due) }
                }
            }
            guard let (t, due) = best else { return }
            try take(t, trigger: .object([("kind", .string("timer")), ("after", .string(t.definition.after?.text ?? ""))]),
                     inputs: .object([]), at: due, actor: .system)
            try settle(firstTrigger: nil, firstInputs: nil, actor: .system, at: due)
        }
    }

    mutating func holds(_ t: CompiledTransition, at: Int64? = nil) throws(StepRejection) -> Bool {
        guard let condition = t.condition else { return true }
        do {
            return try condition.holds(engine.evaluationContext(run, now: at ?? now))
        } catch {
            throw StepRejection("the guard '\(t.definition.when?.text ?? "")' of state '\(run.state)' failed: \(error.message)")
        }
    }

    mutating func take(_ t: CompiledTransition, trigger: JSONValue, inputs: JSONValue, at: Int64, actor: Actor,
                       changesFirst: [(String, JSONValue, JSONValue)] = []) throws(StepRejection) {
        // The trigger names the transition taken (1-based, in its state), for audits and coverage.
        var members: [(String, JSONValue)] = []
        if case .object(let m) = trigger { members = m }
        members.append(("transition", .int(t.index + 1)))
        beginRecord(from: run.state, trigger: .object(members), inputs: inputs, at: at, actor: actor)
        for c in changesFirst { change(c.0, c.1, c.2) }
        try perform(t.actions, at: at)
        try enter(t.definition.to.value, at: at)
        finishRecord()
    }

    /// Enters a state: its `enter` actions, then its `call`, or its end.
    mutating func enter(_ stateID: String, at: Int64) throws(StepRejection) {
        guard let state = sop.state(stateID) else { throw StepRejection("state '\(stateID)' does not exist") }
        run.state = stateID
        run.enteredAt = at
        run.submitted = []
        run.confirmed = []
        run.childOutcome = nil
        try perform(state.enter, at: at)
        if let end = state.definition.end {
            run.status = .ended
            run.outcome = end.value
            if let parent = run.parent {
                effects.append(.childEnded(parent: parent, outcome: end.value))
            }
        } else if let call = state.definition.call {
            run.childCount += 1
            let childID = "\(run.id).\(run.childCount)"
            run.child = childID
            effects.append(.startChild(sop: call.value, runID: childID))
            current?.effects.append(.object([("call", .object([("sop", .string(call.value)), ("run", .string(childID))]))]))
        }
    }

    // MARK: Actions

    mutating func perform(_ actions: [CompiledAction], at: Int64) throws(StepRejection) {
        for action in actions {
            let context = engine.evaluationContext(run, now: at)
            switch action {
            case .set(let assignments):
                for (path, value) in assignments {
                    let json: JSONValue
                    switch value {
                    case .literal(let j): json = j
                    case .expression(let e): json = ValueJSON.json(try evaluate(e, context))
                    case .template(let t): json = .string(try render(t, context))
                    }
                    let segments = path.split(separator: ".").map(String.init)
                    if segments.first == "ticket" {
                        let keys = segments.dropFirst()
                        let old = run.ticket.value(at: keys) ?? .null
                        setTicket(run.ticket.setting(keys, to: json))
                        change(path, old, json)
                    } else if segments.count == 2 {
                        let spec = sop.definition.vars.first { $0.id.value == segments[1] }
                        let old = ValueJSON.json(run.vars[segments[1]] ?? .null)
                        run.vars[segments[1]] = ValueJSON.value(json, as: spec?.type)
                        change(path, old, json)
                    }
                }
            case .notify(let to, let template):
                let message = JSONValue.object([("to", .string(to)), ("text", .string(try render(template, context))),
                                                ("at", .string(CivilTime.formatDateTime(at))), ("state", .string(run.state))])
                run.outbox.append(message)
                current?.effects.append(.object([("notify", message)]))
            case .assign(let role, let queue):
                var members: [(String, JSONValue)] = []
                if let role { run.ownerRole = role; members.append(("role", .string(role))) }
                if let queue { let q = try render(queue, context); run.ownerQueue = q; members.append(("queue", .string(q))) }
                current?.effects.append(.object([("assign", .object(members))]))
            case .tag(let tags):
                let old = run.ticket["tags"] ?? .array([])
                var list: [JSONValue] = []
                if case .array(let items) = old { list = items }
                for tag in tags {
                    let text = JSONValue.string(try render(tag, context))
                    if !list.contains(text) { list.append(text) }
                }
                setTicket(run.ticket.setting(["tags"], to: .array(list)))
                change("ticket.tags", old, .array(list))
            case .start(let other):
                effects.append(.startRun(sop: other))
                current?.effects.append(.object([("start", .object([("sop", .string(other))]))]))
            }
        }
    }

    private func evaluate(_ e: CompiledExpression, _ c: EvaluationContext) throws(StepRejection) -> Value {
        do { return try e.evaluate(c) } catch { throw StepRejection("an expression in state '\(run.state)' failed: \(error.message)") }
    }

    private func render(_ t: CompiledTemplate, _ c: EvaluationContext) throws(StepRejection) -> String {
        do { return try t.render(c) } catch { throw StepRejection("a template in state '\(run.state)' failed: \(error.message)") }
    }

    mutating func setTicket(_ ticket: JSONValue) {
        run.ticket = ticket
        run.ticketValue = engine.schema?.value(of: ticket) ?? TicketSchema.untypedValue(ticket)
    }
}
