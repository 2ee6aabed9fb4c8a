import Foundation
import SOPDiagnostics
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
    /// The child run `child` has ended; the parent takes its outcome and ticket if it still
    /// waits for that child.
    case childEnded(child: String, outcome: String, ticket: JSONValue)
}

/// Why a step was refused, and what is possible instead. A rejected step changes nothing.
public struct StepRejection: Error, Sendable, CustomStringConvertible {
    public var reason: String
    /// What the actor could do instead (events enabled now, allowed values…).
    public var instead: [String]

    /// Each refused input of a step, with its own reason: every bad input of a form is reported
    /// at once, not only the first (empty for a refusal that is not about inputs).
    public var inputs: [InputRejection]

    /// One refused input: its name, why, and what it takes instead.
    public struct InputRejection: Sendable, Equatable {
        public var input: String
        public var reason: String
        public var instead: [String]

        public init(input: String, reason: String, instead: [String] = []) {
            self.input = input
            self.reason = reason
            self.instead = instead
        }
    }

    public init(_ reason: String, instead: [String] = [], inputs: [InputRejection] = []) {
        self.reason = reason
        self.instead = instead
        self.inputs = inputs
    }

    /// The refusal of a step's inputs: one input's own reason and alternatives (as before there
    /// could be several), or for several inputs a count with each one's reason as a line.
    public init(inputs: [InputRejection]) {
        precondition(!inputs.isEmpty, "a refusal of inputs names at least one")
        if inputs.count == 1 {
            self.init(inputs[0].reason, instead: inputs[0].instead, inputs: inputs)
        } else {
            self.init("\(inputs.count) inputs are not valid: \(inputs.map { "'\($0.input)'" }.joined(separator: ", "))",
                      instead: inputs.map(\.reason), inputs: inputs)
        }
    }

    public var description: String {
        instead.isEmpty ? reason : reason + "\n" + instead.map { "  - " + $0 }.joined(separator: "\n")
    }
}

/// Something a step asks of other runs, carried out by the store in the same transaction, each
/// at the time of the record that asked for it (a timer's due time, not the tick's).
public enum StepEffect: Sendable {
    case startChild(sop: String, runID: String, at: Int64)
    case startRun(sop: String, at: Int64)
    case childEnded(parent: String, outcome: String, at: Int64)
}

/// The decided step: the new run state, its journal records (not yet chained) and its effects.
public struct StepDecision: Sendable {
    public var run: RunState
    public var records: [JournalRecord]
    public var effects: [StepEffect]

    /// False when the step changed nothing (a tick with nothing due).
    public var changed: Bool { !records.isEmpty }

    /// The new run state, moved out rather than copied (for callers that step one run in a loop).
    public mutating func takeRun() -> RunState {
        var out = RunState.vacant
        swap(&out, &run)
        return out
    }
}

/// The interpreter: decides steps with the run semantics of docs/format.md and docs/runtime.md. It is pure: given a run,
/// a command, an actor and a time it returns the next run state and journal records, or a
/// rejection; applying them is the store's job.
public struct Engine: Sendable {
    public let sop: CompiledSOP
    public let schema: TicketSchema?
    /// More automatic transitions than this in one step is a livelock.
    public static let livelockBound = 100
    /// At most this many timers are taken in one step. A timer that leads back to its own state
    /// fires again and again to catch up with a late tick (a daily reminder ticked a week late
    /// fires seven times); this bounds what one step writes. A tick takes this many and leaves
    /// the rest to the next tick; any other command is refused until ticks have caught up.
    public static let timerBound = 1_000

    /// Records a ticket update that changes nothing (a record without a move), as sopkit did
    /// before 2026-12; only replay sets it, for journals written then.
    public var recordsUnchangedUpdates = false

    /// Takes a computed timer whose deadline had passed when its state was entered at that
    /// deadline, before the entry, as sopkit did before 2026-12; only replay sets it, for
    /// journals written then.
    public var timersBeforeEntry = false

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
        step.beginRecord(from: nil, trigger: JournalTrigger(kind: .start), inputs: [], at: now, actor: actor)
        try step.enter(sop.definition.start.value, at: now)
        step.finishRecord()
        try step.settle(firstTrigger: nil)
        try step.fireSLAEvents()
        return step.decision()
    }

    /// Applies a command to a run: due timers first, then the command.
    public func apply(_ command: StepCommand, to run: consuming RunState, actor: Actor, now: Int64) throws(StepRejection) -> StepDecision {
        guard run.sopDigest == sop.digest else {
            throw StepRejection("the run is pinned to \(run.sopDigest), not to this SOP source (\(sop.digest))")
        }
        var step = Step(engine: self, run: run, now: now, actor: actor)
        try step.fireTimers(upTo: Self.timerBound)
        // A tick leaves what is still due to the next tick; a command must not act on a run
        // whose timers have not caught up.
        if case .tick = command {} else if step.timersTaken == Self.timerBound, try step.timerDue() {
            throw StepRejection("more than \(Self.timerBound) timers of this run are due; they are taken by ticks, \(Self.timerBound) at a time",
                                instead: ["run `sop tick` until the run has caught up, then try again"])
        }
        switch command {
        case .tick:
            break
        case .submit(let inputs, let event, let checks):
            try step.submit(inputs: inputs, event: event, checks: checks)
        case .update(let patch):
            try step.update(patch)
        case .childEnded(let child, let outcome, let ticket):
            try step.childEnded(child: child, outcome: outcome, ticket: ticket)
        }
        // A clock the command moved past its due time (a reclassification) breaches now.
        try step.fireSLAEvents()
        return step.decision()
    }

    /// The events the actor may send now, with their labels (in document order, once each).
    public func enabledEvents(_ run: RunState, actor: Actor?) -> [(event: String, label: String)] {
        guard !run.isEnded, let state = sop.state(run.state) else { return [] }
        var order: [String] = []
        var labels: [String: String] = [:]
        for t in state.transitions {
            guard let on = t.definition.on?.value, SLAEvent.parse(on) == nil else { continue }
            if let actor, actor.role != t.role { continue }
            if !order.contains(on) { order.append(on) }
            if labels[on] == nil, let label = t.definition.label { labels[on] = label }
        }
        return order.map { ($0, labels[$0] ?? $0) }
    }

    /// The timers of the current state with their due times.
    public func pendingTimers(_ run: RunState) -> [(to: String, due: Int64)] {
        guard !run.isEnded, let state = sop.state(run.state) else { return [] }
        let context = timerContext(run)
        return state.transitions.compactMap { t in
            timerDue(t, of: run, context).map { (t.definition.to.value, $0) }
        }
    }

    /// Required inputs of the current state not yet submitted since it was entered.
    public func inputsNeeded(_ run: RunState) -> [String] {
        guard !run.isEnded, let state = sop.state(run.state) else { return [] }
        return state.definition.inputs.filter { $0.required && !run.submitted.contains($0.id.value) }.map(\.id.value)
    }

    /// The checklist items (1-based) still to confirm before the state's automatic transitions
    /// are tried: empty when the state has none, or when it waits for inputs or a child run first.
    public func checklistHolding(_ run: RunState) -> [Int] {
        guard !run.isEnded, run.child == nil, let state = sop.state(run.state), !state.automatic.isEmpty,
              inputsNeeded(run).isEmpty else { return [] }
        return state.checklist.indices.filter { !run.confirmed.contains($0) }.map { $0 + 1 }
    }

    /// Fills the `${{ }}` templates of a text (a title, instructions) from the run; nil when an
    /// expression fails.
    public func renderTemplate(_ text: String, run: RunState, now: Int64) -> String? {
        guard Template.containsTemplate(text) else { return text }
        return Template.render(text, in: evaluationContext(run, now: now))
    }

    /// The SOP's title for this run: its templates filled in from the run (as written, without
    /// the template syntax, if an expression fails).
    public func title(_ run: RunState, now: Int64) -> String {
        renderTemplate(sop.definition.title, run: run, now: now) ?? Template.withoutExpressions(sop.definition.title)
    }

    func evaluationContext(_ run: RunState, now: Int64) -> EvaluationContext {
        EvaluationContext(ticket: run.ticketValue, vars: run.vars, inputs: run.inputs, childOutcome: run.childOutcome,
                          runStartedAt: run.startedAt, runEnteredAt: run.enteredAt, runState: run.state, now: now)
    }

    /// The context a computed timer length is evaluated in: the run's data as it is now, with
    /// `now` read as the time the state was entered. So a due time depends on the run, never on
    /// when a command happens to ask (which would make replay depend on when ticks ran).
    func timerContext(_ run: RunState) -> EvaluationContext {
        evaluationContext(run, now: run.enteredAt)
    }

    /// When a timer of the state entered at `enteredAt` falls due: that long after entering it,
    /// in elapsed time or, for a business timer, in its calendar's open hours. Nil for no timer, a
    /// computed length that is not a duration, or a calendar with no open hours ahead.
    func timerDue(_ t: CompiledTransition, of run: RunState, _ context: EvaluationContext) -> Int64? {
        guard let due = timerDue(t, enteredAt: run.enteredAt, context) else { return nil }
        // A run migrated in this state: a timer the migration found overdue falls due at the
        // migration, so the journal's times never go back (docs/runtime.md, "Migrating a run").
        if let migrated = run.migratedAt, due < migrated { return migrated }
        // A computed timer whose deadline had passed when the state was entered falls due at the
        // entry, not before it: a run's records never go back in time.
        if due < run.enteredAt, !timersBeforeEntry { return run.enteredAt }
        return due
    }

    func timerDue(_ t: CompiledTransition, enteredAt: Int64, _ context: EvaluationContext) -> Int64? {
        switch t.timer {
        case .fixed(let ms)?: return enteredAt + ms
        case .computed(let e)?:
            if case .duration(let ms)? = try? e.evaluate(context) { return enteredAt + ms }
            return nil
        case .business(let duration, let calendar)?: return calendar.add(duration, to: enteredAt)
        case nil: return nil
        }
    }
}

/// One step in the making: a working copy of the run, the records written so far, the effects.
struct Step: ~Copyable {
    let engine: Engine
    var run: RunState
    let now: Int64
    let actor: Actor
    var records: [JournalRecord] = []
    var effects: [StepEffect] = []
    /// True while the last of `records` is being written (between begin and finish).
    var recordOpen = false
    var automaticCount = 0
    var timersTaken = 0
    /// True while SLA records are being written (they do not look at the clocks again).
    var syncingSLAs = false
    /// The compiled state the run is in (nil only for a run whose state the SOP lacks).
    var here: CompiledState?

    init(engine: Engine, run: consuming RunState, now: Int64, actor: Actor) {
        self.engine = engine
        here = engine.sop.state(run.state, hint: run.stateHint)
        self.run = run
        self.now = now
        self.actor = actor
    }

    var sop: CompiledSOP { engine.sop }

    consuming func decision() -> StepDecision {
        if !records.isEmpty {
            run.version += 1
            run.updatedAt = max(run.updatedAt, now)
        }
        // Hand the run over by swapping it with an empty one: copying it retained and later
        // released every field (a step took 1.26 µs with the copy, 1.07 µs without: docs/benchmarks.md,
        // "Interpreter and store (issue 5)").
        var out = RunState.vacant
        swap(&out, &run)
        var outRecords: [JournalRecord] = [], outEffects: [StepEffect] = []
        swap(&outRecords, &records)
        swap(&outEffects, &effects)
        return StepDecision(run: out, records: outRecords, effects: outEffects)
    }

    // MARK: Records

    /// Opens a record. Every record of a step carries the version the step brings the run to.
    mutating func beginRecord(from: String?, trigger: JournalTrigger, inputs: JSONObject, at: Int64, actor: Actor) {
        records.append(JournalRecord(run: run.id, seq: run.nextSeq, version: run.version + 1, at: at, actor: actor, sop: sop.id,
                                     sopVersion: sop.version, sopDigest: sop.digest, from: from, to: run.state, trigger: trigger,
                                     inputs: inputs))
        recordOpen = true
        run.nextSeq += 1
    }

    mutating func finishRecord() {
        guard recordOpen else { return }
        records[records.count - 1].to = run.state
        recordOpen = false
        if !sop.slaTargets.isEmpty { syncSLAs(at: records[records.count - 1].at) }
    }

    mutating func change(_ path: String, _ old: JSONValue, _ new: JSONValue) {
        guard recordOpen else { return }
        records[records.count - 1].change(path, from: old, to: new)
    }

    /// Notes an effect in the record being written.
    mutating func recordEffect(_ effect: JSONValue) {
        guard recordOpen else { return }
        records[records.count - 1].effects.append(effect)
    }

    // MARK: Commands

    mutating func submit(inputs raw: [(String, String)], event: String?, checks: ChecklistSelection?) throws(StepRejection) {
        guard !run.isEnded else { throw StepRejection("the run has ended with outcome '\(run.outcome ?? "")'") }
        guard let state = here else { throw StepRejection("the run is in an unknown state '\(run.state)'") }
        let stateRole = state.role
        if (!raw.isEmpty || checks != nil) && actor.role != stateRole {
            throw StepRejection("state '\(run.state)' is acted on by the role '\(stateRole)', not '\(actor.role)'")
        }
        let parsed = try parseInputs(raw, in: state)
        let confirm = try checklistItems(checks, in: state)
        let inputsJSON = JSONObject(parsed.map { ($0.0, ValueJSON.json($0.1)) })
        for (name, value) in parsed {
            run.inputs[name] = value
            run.submitted.insert(name)
        }
        run.confirmed.formUnion(confirm)
        let checkNumbers: [Int]? = checks.map { _ in confirm.sorted().map { $0 + 1 } }

        if let event {
            // Chosen after the inputs and checks are applied: guards and the checklist see them.
            let taken = try transition(for: event, in: state)
            try take(taken, trigger: JournalTrigger(kind: .event, event: event, checks: checkNumbers), inputs: inputsJSON, at: now,
                     actor: actor)
            try settle(firstTrigger: nil)
        } else {
            guard !raw.isEmpty || checks != nil else {
                throw StepRejection("nothing to do: give --event, --input or --check",
                                    instead: engine.enabledEvents(run, actor: actor).map { "event \($0.event) (\($0.label))" })
            }
            try settle(firstTrigger: JournalTrigger(kind: .input, checks: checkNumbers), firstInputs: inputsJSON)
        }
    }

    /// The inputs, parsed by their declared types; each at most once, or which one would count?
    /// Every bad input is reported, so a form can show each beside its field.
    private func parseInputs(_ raw: [(String, String)], in state: CompiledState) throws(StepRejection) -> [(String, Value)] {
        var parsed: [(String, Value)] = []
        var refused: [StepRejection.InputRejection] = []
        var seen = Set<String>()
        for (name, text) in raw {
            guard seen.insert(name).inserted else {
                if !refused.contains(where: { $0.input == name }) {
                    refused.append(.init(input: name, reason: "input '\(name)' is given more than once; give each input once"))
                }
                continue
            }
            guard let spec = state.definition.inputs.first(where: { $0.id.value == name }) else {
                let names = state.definition.inputs.map(\.id.value)
                refused.append(.init(input: name, reason: "state '\(run.state)' has no input '\(name)'",
                                     instead: names.isEmpty ? ["this state takes no inputs"] : names.map { "input \($0)" }))
                continue
            }
            do {
                parsed.append((name, try InputParser.parse(text, spec: spec)))
            } catch {
                refused.append(.init(input: name, reason: error.reason, instead: error.instead))
            }
        }
        if !refused.isEmpty { throw StepRejection(inputs: refused) }
        return parsed
    }

    /// The checklist items (0-based) a selection confirms; a number the state lacks is refused.
    private func checklistItems(_ checks: ChecklistSelection?, in state: CompiledState) throws(StepRejection) -> Set<Int> {
        let items = state.checklist
        switch checks {
        case .all?: return Set(items.indices)
        case .items(let numbers)?:
            var confirm = Set<Int>()
            for n in numbers {
                guard n >= 1, n <= items.count else {
                    throw StepRejection("state '\(run.state)' has no checklist item \(n)",
                                        instead: items.enumerated().map { "\($0.offset + 1). \($0.element)" })
                }
                confirm.insert(n - 1)
            }
            return confirm
        case nil: return []
        }
    }

    /// The transition an event takes: the first of the event's transitions the actor's role may
    /// take whose guard holds, once the checklist is confirmed. Each refusal says why.
    private mutating func transition(for event: String, in state: CompiledState) throws(StepRejection) -> CompiledTransition {
        if SLAEvent.parse(event) != nil {
            throw StepRejection("event '\(event)' comes from the SLA clock; it cannot be sent",
                                instead: engine.enabledEvents(run, actor: actor).map { "event \($0.event) (\($0.label))" })
        }
        let candidates = state.byEvent.first { $0.event == event }?.transitions ?? []
        guard !candidates.isEmpty else {
            let enabled = engine.enabledEvents(run, actor: actor)
            var instead = enabled.isEmpty ? ["no event can be sent now"] : enabled.map { "event \($0.event) (\($0.label))" }
            if let guess = Suggestions.didYouMean(event, in: enabled.map(\.event)) { instead.insert(guess, at: 0) }
            if let child = run.child { instead.append("the run waits for its child run \(child): step that run") }
            throw StepRejection("event '\(event)' is not possible in state '\(run.state)'", instead: instead)
        }
        let role = actor.role
        let allowed = candidates.allSatisfy { $0.role == role } ? candidates : candidates.filter { $0.role == role }
        guard !allowed.isEmpty else {
            let roles = Set(candidates.map(\.role)).sorted()
            throw StepRejection("event '\(event)' needs the role \(roles.map { "'\($0)'" }.joined(separator: " or ")), not '\(actor.role)'")
        }
        let items = state.checklist
        let unconfirmed = items.isEmpty ? [] : items.indices.filter { !run.confirmed.contains($0) }
        guard unconfirmed.isEmpty else {
            throw StepRejection("confirm the checklist before leaving state '\(run.state)'",
                                instead: unconfirmed.map { "\($0 + 1). \(items[$0])" })
        }
        for t in allowed where try holds(t) { return t }
        // Each transition the event could take names the first condition of its guard that
        // failed: a policy guard is a long `and` chain, and the actor must learn which rule it broke.
        var failed: [String] = []
        for t in allowed {
            let condition = "`\(failedCondition(t))` does not hold"
            failed.append(allowed.count == 1 ? condition : condition + " (transition \(t.index + 1), to '\(t.definition.to.value)')")
        }
        // What else the actor may send now: the events with a transition the actor may take whose
        // guard holds (the refused event is not an alternative to itself, and an event bound to
        // be refused is none either).
        var enabled: [(event: String, label: String)] = []
        for other in engine.enabledEvents(run, actor: actor) where other.event != event {
            let ways = state.byEvent.first { $0.event == other.event }?.transitions ?? []
            var possible = false
            for t in ways where t.role == role && !possible { possible = (try? holds(t)) ?? false }
            if possible { enabled.append(other) }
        }
        throw StepRejection("event '\(event)' is not enabled in state '\(run.state)': " + failed.joined(separator: "; "),
                            instead: enabled.isEmpty ? ["no event can be sent now"] : enabled.map { "event \($0.event) (\($0.label))" })
    }

    /// The first conjunct of a guard's top-level `and` chain that does not hold, as the SOP
    /// writes it (the whole guard when it is no chain). Called once the whole guard was false:
    /// the conjuncts before the failing one evaluate as they did in it, with the same context
    /// and null rules (null does not hold).
    private mutating func failedCondition(_ t: CompiledTransition) -> String {
        guard let when = t.definition.when else { return "true" }
        guard let expression = CompiledSOP.expression(when) else { return when.text }
        for conjunct in expression.conjuncts(in: when.text) {
            let condition = Evaluator.compile(conjunct.expression)
            let holds = withContext(at: now) { c throws(EvaluationError) in try condition.holds(c) }
            if case .success(true) = holds { continue }
            return conjunct.text
        }
        return when.text
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
        // A patch that changes nothing (the values it sets are already there, in any key order)
        // is no step: it writes no record and moves nothing.
        guard updated != old || engine.recordsUnchangedUpdates else { return }
        setTicket(updated)
        var changes: [JournalChange] = []
        if case .object(let patchMembers) = patch {
            for (key, _) in patchMembers where old[key] != updated[key] {
                changes.append(JournalChange(path: "ticket." + key, old: old[key] ?? .null, new: updated[key] ?? .null))
            }
        }
        try settle(firstTrigger: JournalTrigger(kind: .input, ticket: patch), firstChanges: changes)
    }

    mutating func childEnded(child: String, outcome: String, ticket: JSONValue) throws(StepRejection) {
        // A timer taken first may have moved the parent on: then it no longer waits for the child.
        guard !run.isEnded, run.child == child else { return }
        let old = run.ticket
        run.childOutcome = outcome
        run.child = nil
        setTicket(ticket)
        // The record keeps the ticket the parent takes over (so replay needs nothing else) and,
        // for people, each top-level field it changes (a field the child removed reads as null).
        var changes: [JournalChange] = []
        if case .object(let members) = ticket {
            for (key, value) in members where old[key] != value {
                changes.append(JournalChange(path: "ticket." + key, old: old[key] ?? .null, new: value))
            }
        }
        if case .object(let members) = old {
            for (key, value) in members where ticket[key] == nil {
                changes.append(JournalChange(path: "ticket." + key, old: value, new: .null))
            }
        }
        try settle(firstTrigger: JournalTrigger(kind: .child, outcome: outcome, ticket: ticket), firstChanges: changes, actor: .system)
    }

    // MARK: Moving

    /// Tries automatic transitions until none holds. The first record of the step may carry the
    /// step's own trigger (inputs, a ticket update, a child's end); when no transition is taken
    /// and there is such a trigger, a record without a move keeps the data change in the journal.
    mutating func settle(firstTrigger: JournalTrigger?, firstInputs: JSONObject = [], firstChanges: [JournalChange] = [],
                         actor stepActor: Actor? = nil, at: Int64? = nil) throws(StepRejection) {
        var pendingTrigger = firstTrigger
        let when = at ?? now
        while let t = try nextAutomatic(at: when) {
            automaticCount += 1
            if automaticCount > Engine.livelockBound {
                throw StepRejection("livelock: more than \(Engine.livelockBound) automatic transitions in one step (last in state '\(run.state)')",
                                    instead: ["make the automatic guards of the states in this loop exclusive"])
            }
            let trigger = pendingTrigger ?? JournalTrigger(kind: .auto)
            try take(t, trigger: trigger, inputs: pendingTrigger == nil ? [] : firstInputs, at: when, actor: stepActor ?? actor,
                     changesFirst: pendingTrigger == nil ? [] : firstChanges)
            pendingTrigger = nil
        }
        if var trigger = pendingTrigger {
            // No transition was taken: the record keeps the data the step brought, and says so.
            trigger.moved = false
            beginRecord(from: run.state, trigger: trigger, inputs: firstInputs, at: when, actor: stepActor ?? actor)
            for c in firstChanges { change(c.path, c.old, c.new) }
            finishRecord()
        }
    }

    private mutating func nextAutomatic(at: Int64) throws(StepRejection) -> CompiledTransition? {
        guard !run.isEnded, let state = here else { return nil }
        guard !state.automatic.isEmpty else { return nil }
        if state.call != nil && run.childOutcome == nil { return nil }  // waits for the child
        guard state.requiredInputs.allSatisfy(run.submitted.contains),
              run.confirmed.count >= state.checklist.count,
              state.checklist.indices.allSatisfy(run.confirmed.contains) else { return nil }
        for t in state.automatic {
            if try holds(t, at: at) { return t }
        }
        return nil
    }

    /// Takes due timers, earliest first (then in document order), each at its due time, at most
    /// `bound` of them.
    mutating func fireTimers(upTo bound: Int) throws(StepRejection) {
        while timersTaken < bound {
            let timer = try nextTimer()
            // SLA events due by now go in time order with the timers, an SLA event first at a tie.
            if let sla = engine.nextSLAEvent(run), sla.at <= now, !run.isEnded, timer.map({ sla.at <= $0.1 }) ?? true {
                timersTaken += 1
                try fireSLA(sla.target, sla.event, at: sla.at)
                try settle(firstTrigger: nil, actor: .system, at: sla.at)
                continue
            }
            guard let (t, due) = timer else { break }
            timersTaken += 1
            try take(t, trigger: JournalTrigger(kind: .timer, after: t.definition.timerText ?? ""), inputs: [], at: due,
                     actor: .system)
            try settle(firstTrigger: nil, actor: .system, at: due)
        }
    }

    /// Whether a timer is still due (after `fireTimers` stopped at its bound).
    mutating func timerDue() throws(StepRejection) -> Bool {
        if !run.isEnded, let sla = engine.nextSLAEvent(run), sla.at <= now { return true }
        return try nextTimer() != nil
    }

    /// The due timer to take next: the earliest due by now whose guard holds at its due time.
    private mutating func nextTimer() throws(StepRejection) -> (CompiledTransition, Int64)? {
        guard !run.isEnded, let state = here, !state.timed.isEmpty else { return nil }
        var best: (t: CompiledTransition, due: Int64)?
        let context = engine.timerContext(run)
        for t in state.timed {
            guard let due = engine.timerDue(t, of: run, context), due <= now else { continue }
            if best == nil || due < best!.due {
                if try holds(t, at: due) { best = (t, due) }
            }
        }
        return best.map { ($0.t, $0.due) }
    }

    mutating func holds(_ t: CompiledTransition, at: Int64? = nil) throws(StepRejection) -> Bool {
        guard let condition = t.condition else { return true }
        do {
            return try withContext(at: at ?? now) { c throws(EvaluationError) in try condition.holds(c) }.get()
        } catch {
            throw StepRejection("the guard '\(t.definition.when?.text ?? "")' of state '\(run.state)' failed: \(error.message)")
        }
    }

    /// Runs `body` with a context that borrows the run's data: the data is swapped into the
    /// context and back, not copied (a copy retains each part, and a later write to the run would
    /// then copy its dictionaries; docs/benchmarks.md, "Interpreter and store (issue 5)"). `body`
    /// must not touch the run.
    mutating func withContext<T>(at: Int64, _ body: (borrowing EvaluationContext) throws(EvaluationError) -> T) -> Result<T, EvaluationError> {
        var context = EvaluationContext(runStartedAt: run.startedAt, runEnteredAt: run.enteredAt, runState: run.state, now: at)
        swap(&context.ticket, &run.ticketValue)
        swap(&context.vars, &run.vars)
        swap(&context.inputs, &run.inputs)
        swap(&context.childOutcome, &run.childOutcome)
        let result = Result { () throws(EvaluationError) -> T in try body(context) }
        swap(&context.ticket, &run.ticketValue)
        swap(&context.vars, &run.vars)
        swap(&context.inputs, &run.inputs)
        swap(&context.childOutcome, &run.childOutcome)
        return result
    }

    mutating func take(_ t: CompiledTransition, trigger: JournalTrigger, inputs: JSONObject, at: Int64, actor: Actor,
                       changesFirst: [JournalChange] = []) throws(StepRejection) {
        beginRecord(from: run.state, trigger: trigger, inputs: inputs, at: at, actor: actor)
        // The trigger names the transition taken (1-based, in its state), for audits and coverage.
        records[records.count - 1].trigger.transition = t.index + 1
        for c in changesFirst { change(c.path, c.old, c.new) }
        try perform(t.actions, at: at)
        try enter(t.definition.to.value, index: t.target, at: at)
        finishRecord()
    }

    /// Enters a state: its `enter` actions, then its `call`, or its end.
    mutating func enter(_ stateID: String, index: Int? = nil, at: Int64) throws(StepRejection) {
        guard let state = sop.state(stateID, hint: index) else { throw StepRejection("state '\(stateID)' does not exist") }
        here = state
        run.stateHint = index ?? sop.stateIndex[stateID]
        run.state = stateID
        run.enteredAt = at
        if !run.submitted.isEmpty { run.submitted = [] }
        if !run.confirmed.isEmpty { run.confirmed = [] }
        // A visit input is forgotten on every entry, a loop back to the same state included:
        // an answer given for the last visit must be given again (docs/format.md, "Inputs").
        for name in state.visitInputs { run.inputs[name] = nil }
        run.childOutcome = nil
        // A parent that leaves a call state no longer waits for its child (whose end is then
        // ignored by this run); the child goes on as a run of its own.
        run.child = nil
        if !state.enter.isEmpty { try perform(state.enter, at: at) }
        if let end = state.end {
            run.status = .ended
            run.outcome = end
            if let parent = run.parent {
                effects.append(.childEnded(parent: parent, outcome: end, at: at))
            }
        } else if let call = state.call {
            run.childCount += 1
            let childID = "\(run.id).\(run.childCount)"
            run.child = childID
            effects.append(.startChild(sop: call, runID: childID, at: at))
            recordEffect(.object([("call", .object([("sop", .string(call)), ("run", .string(childID))]))]))
        }
    }

    // MARK: Actions

    mutating func perform(_ actions: [CompiledAction], at: Int64) throws(StepRejection) {
        for action in actions {
            let context = engine.evaluationContext(run, now: at)
            switch action {
            case .set(let assignments):
                for (path, target, value) in assignments {
                    let json: JSONValue
                    switch value {
                    case .literal(let j): json = j
                    case .expression(let e): json = ValueJSON.json(try evaluate(e, context))
                    case .template(let t): json = .string(try render(t, context))
                    }
                    switch target {
                    case .ticket(let keys):
                        let old = run.ticket.value(at: keys[...]) ?? .null
                        setTicket(run.ticket.setting(keys[...], to: json))
                        change(path, old, json)
                    case .variable(let name, let type):
                        let old = ValueJSON.json(run.vars[name] ?? .null)
                        run.vars[name] = ValueJSON.value(json, as: type)
                        change(path, old, json)
                    case .none:
                        break
                    }
                }
            case .notify(let to, let template):
                let message = JSONValue.object([("to", .string(to)), ("text", .string(try render(template, context))),
                                                ("at", .string(CivilTime.formatDateTime(at))), ("state", .string(run.state))])
                run.outbox.append(message)
                recordEffect(.object([("notify", message)]))
            case .assign(let role, let queue):
                var members = JSONObject()
                if let role { run.ownerRole = role; members["role"] = .string(role) }
                if let queue { let q = try render(queue, context); run.ownerQueue = q; members["queue"] = .string(q) }
                recordEffect(.object([("assign", .object(members))]))
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
                effects.append(.startRun(sop: other, at: at))
                recordEffect(.object([("start", .object([("sop", .string(other))]))]))
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
