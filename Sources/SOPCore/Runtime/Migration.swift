import Foundation
import SOPExpression
import SOPJSON

/// Why a run cannot be migrated: a rule id (docs/cli.md, `sop migrate`) and a sentence.
public struct MigrationRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var rule: String
    public var message: String

    public init(_ rule: String, _ message: String) {
        self.rule = rule
        self.message = message
    }

    public var description: String { "\(message) [\(rule)]" }

    /// Every rule a migration is checked by, with what it checks: the one list the docs, the
    /// plan's output and the tests share.
    public static let rules: [(id: String, summary: String)] = [
        ("migrate/other-sop", "the target file is another SOP than the run's"),
        ("migrate/invalid-map", "a --map names a state the source or the target does not have"),
        ("migrate/invalid-set", "a --set names an input no state of the target declares, or gives a value its type refuses"),
        ("migrate/ended", "the run has ended: only runs in flight are migrated"),
        ("migrate/state-removed", "the run's state is not in the target and no --map moves it"),
        ("migrate/end-state", "the run's state maps to an end state of the target"),
        ("migrate/ticket-schema", "the run's ticket does not fit the ticket schema the target runs under"),
        ("migrate/input-required", "the target state requires an input the run's state did not, and the run has neither submitted it nor has it set"),
        ("migrate/input-invalid", "an input submitted in the run's state does not fit the target's declaration of it"),
        ("migrate/var-type", "a run variable's value does not fit the target's declaration of it"),
        ("migrate/call-changed", "the run waits for a child run and the target state does not call the same SOP, or the target state calls an SOP and the run has no child"),
        ("migrate/time", "the run was changed after the migration's time"),
        ("migrate/step", "an automatic transition of the target fails right after the migration (a guard's error, a livelock)"),
    ]
}

/// A migration's view of the versions involved, for its journal record: the SOP source and the
/// ticket schema a run is pinned to.
public struct MigrationPin: Sendable, Hashable {
    public var sopVersion: Int
    public var sopDigest: String
    public var schemaDigest: String

    public init(sopVersion: Int, sopDigest: String, schemaDigest: String) {
        self.sopVersion = sopVersion
        self.sopDigest = sopDigest
        self.schemaDigest = schemaDigest
    }

    func json() -> JSONValue {
        .object([("schema_digest", .string(schemaDigest)), ("sop_digest", .string(sopDigest)), ("sop_version", .int(sopVersion))])
    }

    init?(json: JSONValue?) {
        guard case .string(let schema)? = json?["schema_digest"], case .string(let sop)? = json?["sop_digest"],
              case .int(let version)? = json?["sop_version"] else { return nil }
        self.init(sopVersion: version, sopDigest: sop, schemaDigest: schema)
    }
}

extension JournalTrigger {
    /// The pins a `migrate` record moved its run between.
    public var migrationPins: (from: MigrationPin, to: MigrationPin)? {
        guard kind == .migrate, let from = MigrationPin(json: migration?["from"]), let to = MigrationPin(json: migration?["to"]) else {
            return nil
        }
        return (from, to)
    }
}

extension Engine {
    /// The digest a ticket schema is pinned by (`none` without one).
    public var schemaDigest: String { schema?.digest ?? TicketSchema.noneDigest }

    /// Moves a run in flight from the version of its SOP it is pinned to (`old`) to this one,
    /// into `state` of this version (docs/runtime.md, "Migrating a run"), with `set` giving inputs
    /// of that state by name, as an agent types them. Pure, like every step: the service applies
    /// the decision, and `sop verify` decides the same migration again from its journal record.
    ///
    /// The run keeps its ticket, data, SLA clocks and the time it entered its state (its timers
    /// count from then, by this version's rules, and none falls due before the migration); its
    /// record is a `migrate` record; then automatic transitions are tried as after any step.
    public func migrate(_ run: consuming RunState, from old: Engine, to state: String, set: [(String, String)], actor: Actor,
                        now: Int64) throws(MigrationRefusal) -> StepDecision {
        guard old.sop.id == sop.id else {
            throw MigrationRefusal("migrate/other-sop", "the run is of SOP '\(old.sop.id)', the target is '\(sop.id)'")
        }
        guard run.sopDigest == old.sop.digest else {
            throw MigrationRefusal("migrate/other-sop", "the run is pinned to \(run.sopDigest), not to \(old.sop.digest)")
        }
        guard !run.isEnded else { throw MigrationRefusal("migrate/ended", "the run has ended with outcome '\(run.outcome ?? "")'") }
        guard run.updatedAt <= now else {
            throw MigrationRefusal("migrate/time", "the run was changed at \(CivilTime.formatDateTime(run.updatedAt)), after the migration's time")
        }
        guard let target = sop.state(state) else {
            throw MigrationRefusal("migrate/state-removed", "the target has no state '\(state)'")
        }
        if let end = target.end {
            throw MigrationRefusal("migrate/end-state", "state '\(state)' of the target ends the run (outcome '\(end)')")
        }
        let source = old.sop.state(run.state, hint: run.stateHint)
        if let schema {
            let violations = schema.validate(run.ticket)
            if !violations.isEmpty {
                throw MigrationRefusal("migrate/ticket-schema",
                                       "the ticket does not fit the ticket schema: " + violations.map(\.description).joined(separator: "; "))
            }
        }
        // A parent waiting for its child keeps it only where the target state calls the same SOP.
        if let child = run.child {
            guard target.call == source?.call, target.call != nil else {
                throw MigrationRefusal("migrate/call-changed", "the run waits for its child run \(child) of SOP '\(source?.call ?? "?")'; "
                                       + (target.call.map { "state '\(state)' of the target calls '\($0)'" } ?? "state '\(state)' of the target calls no SOP"))
            }
        } else if let call = target.call, run.childOutcome == nil {
            throw MigrationRefusal("migrate/call-changed", "state '\(state)' of the target calls '\(call)', and the run has no child run to wait for")
        }

        var next = run
        var changes: [JournalChange] = []
        // Variables: declared ones keep their values when they fit; new ones start at their
        // initial value; those the target does not declare are dropped.
        var vars: [String: Value] = [:]
        for v in sop.definition.vars {
            let name = v.id.value
            if let value = next.vars[name] {
                let json = ValueJSON.json(value)
                if json != .null, !Self.fits(json, type: v.type, values: v.values.map(\.value)) {
                    throw MigrationRefusal("migrate/var-type", "variable '\(name)' holds \(json.render()), which is not a valid \(v.type.rawValue) of the target")
                }
                vars[name] = ValueJSON.value(json, as: v.type)
            } else {
                let initial = v.initial.map { ValueJSON.value($0.json, as: v.type) } ?? .null
                vars[name] = initial
                if initial != .null { changes.append(JournalChange(path: "var." + name, old: .null, new: ValueJSON.json(initial))) }
            }
        }
        for (name, value) in next.vars.sorted(by: { $0.key < $1.key }) where vars[name] == nil && value != .null {
            changes.append(JournalChange(path: "var." + name, old: ValueJSON.json(value), new: .null))
        }
        next.vars = vars

        // Inputs submitted in the state carry over where the target state declares them and
        // their values fit. `set` gives only what the run needs: an input whose value no longer
        // fits, and a required input the target state gained that the run has not submitted. A
        // set input the run does not need is not applied (it stays the agent's to give).
        var submitted = Set<String>()
        var misfits: [String: String] = [:]
        for name in next.submitted.sorted() {
            guard let spec = target.definition.inputs.first(where: { $0.id.value == name }) else { continue }
            let stored = next.inputs[name].map(ValueJSON.json) ?? .null
            let text: String
            if case .string(let s) = stored { text = s } else { text = stored.render() }
            do {
                next.inputs[name] = try InputParser.parse(text, spec: spec)
                submitted.insert(name)
            } catch {
                misfits[name] = "input '\(name)' was submitted as \(stored.render()): \(error.reason)"
            }
        }
        // A required input the run's state asked for too is still the agent's to give; one the
        // target state gained must be there already, or set.
        let askedBefore = Set(source?.definition.inputs.filter(\.required).map(\.id.value) ?? [])
        let gained = target.definition.inputs.filter { $0.required && !submitted.contains($0.id.value) && !askedBefore.contains($0.id.value) }
        let needed = Set(gained.map(\.id.value)).union(misfits.keys)
        var given: [(String, JSONValue)] = []
        for (name, text) in set where needed.contains(name) && !given.contains(where: { $0.0 == name }) {
            guard let spec = target.definition.inputs.first(where: { $0.id.value == name }) else { continue }
            let value: Value
            do { value = try InputParser.parse(text, spec: spec) } catch {
                throw MigrationRefusal("migrate/invalid-set", error.reason)
            }
            next.inputs[name] = value
            submitted.insert(name)
            misfits[name] = nil
            given.append((name, ValueJSON.json(value)))
        }
        if let (name, message) = misfits.min(by: { $0.key < $1.key }) {
            throw MigrationRefusal("migrate/input-invalid", message + " (set it again with --set \(name)=VALUE)")
        }
        for spec in gained where !submitted.contains(spec.id.value) {
            throw MigrationRefusal("migrate/input-required",
                                   "state '\(state)' of the target requires input '\(spec.id.value)', which state '\(next.state)' did not: set it (--set \(spec.id.value)=VALUE)")
        }
        next.submitted = submitted
        // A migration is no entry: the run stays in this visit of its state, so visit inputs
        // given in it carry over as above. A value the target's state declares `scope: visit`
        // and this visit did not give (an answer from an earlier visit, or from a state the old
        // version declared it in) is forgotten, as the target's rules would have on entering.
        for spec in target.definition.inputs where spec.scope == .visit && !submitted.contains(spec.id.value) {
            next.inputs[spec.id.value] = nil
        }
        // Checklist items confirmed carry over by their words.
        if let source {
            let confirmedTexts = Set(next.confirmed.filter { $0 < source.checklist.count }.map { source.checklist[$0] })
            next.confirmed = Set(target.checklist.indices.filter { confirmedTexts.contains(target.checklist[$0]) })
        } else {
            next.confirmed = []
        }
        // SLA clocks of targets the version keeps go on (no event of theirs before now); the
        // others stop counting for this run.
        var dropped: [String] = []
        for name in next.sla.keys.sorted() where !sop.slaTargets.contains(where: { $0.id == name }) {
            next.sla[name] = nil
            dropped.append(name)
        }
        for name in next.sla.keys { next.sla[name]!.changedAt = max(next.sla[name]!.changedAt, now) }

        let fromPin = MigrationPin(sopVersion: next.sopVersion, sopDigest: next.sopDigest, schemaDigest: old.schemaDigest)
        let toPin = MigrationPin(sopVersion: sop.version, sopDigest: sop.digest, schemaDigest: schemaDigest)
        var members: [(String, JSONValue)] = [("from", fromPin.json())]
        if !dropped.isEmpty { members.append(("sla_dropped", .array(dropped.map { .string($0) }))) }
        members.append(("to", toPin.json()))
        let from = next.state
        next.sopVersion = sop.version
        next.sopDigest = sop.digest
        next.state = state
        next.stateHint = sop.stateIndex[state]
        next.migratedAt = now
        next.ticketValue = schema?.value(of: next.ticket) ?? TicketSchema.untypedValue(next.ticket)

        var step = Step(engine: self, run: next, now: now, actor: actor)
        step.beginRecord(from: from, trigger: JournalTrigger(kind: .migrate, migration: .object(JSONObject(members))),
                         inputs: JSONObject(given), at: now, actor: actor)
        for c in changes { step.change(c.path, c.old, c.new) }
        step.finishRecord()
        do {
            try step.settle(firstTrigger: nil)
            try step.fireSLAEvents()
        } catch {
            throw MigrationRefusal("migrate/step", "right after the migration, \(error.reason)")
        }
        return step.decision()
    }

    /// Whether a stored value is a valid value of a declared type.
    static func fits(_ json: JSONValue, type: ValueType, values: [String]) -> Bool {
        switch (type, json) {
        case (.string, .string): return true
        case (.integer, .int): return true
        case (.number, .int), (.number, .number): return true
        case (.boolean, .bool): return true
        case (.date, .string(let s)): return CivilTime.parseDate(s) != nil
        case (.datetime, .string(let s)): return CivilTime.parseDateTime(s) != nil
        case (.duration, .string(let s)): return DurationFormat.parse(s) != nil
        case (.enum, .string(let s)): return values.isEmpty || values.contains(s)
        case (.list, .array): return true
        default: return false
        }
    }
}
