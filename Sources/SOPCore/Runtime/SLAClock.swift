import Foundation
import SOPExpression
import SOPJSON

/// An SLA target ready to run (docs/sla.md).
struct CompiledSLATarget: Sendable {
    enum Length: Sendable {
        /// A business duration as written.
        case fixed(String)
        /// The value of an expression (as text) picks a duration; else the default, if any.
        case by(CompiledExpression, [String: String], String?)
    }

    let id: String
    let calendar: BusinessCalendar
    /// SHA-256 of the calendar's file and of the target's definition: every SLA record names
    /// both, so an audit knows which rules a clock ran by.
    let calendarDigest: String
    let policyDigest: String
    let length: Length
    let start: Set<String>
    let pause: Set<String>
    let stop: Set<String>
    let warningPercent: Int?

    /// The target that applies to the run now ("" when none does: no due time).
    func target(in context: borrowing EvaluationContext) -> String {
        switch length {
        case .fixed(let d): return d
        case .by(let e, let values, let fallback):
            let key: String
            switch try? e.evaluate(context) {
            case .string(let s)?: key = s
            case nil, .null?: return fallback ?? ""
            case let v?: key = v.description
            }
            return values[key] ?? fallback ?? ""
        }
    }
}

/// One SLA target's clock in a run. It starts once, may pause and resume, and stops once.
public struct SLAClock: Sendable, Equatable {
    public enum Phase: String, Sendable { case running, paused, stopped }

    public var phase: Phase
    public var startedAt: Int64
    /// The business duration that applies (as written); "" when the run's data picks none.
    public var target: String
    /// Business time of the pauses that have ended.
    public var pausedMs: Int64 = 0
    public var pausedSince: Int64?
    public var stoppedAt: Int64?
    /// When the clock last changed (started, paused, resumed, reclassified): its events never
    /// come before that, so the journal's times never go back.
    public var changedAt: Int64
    public var warned = false
    public var breached = false
    /// True when it stopped in one of its `stop` states (false when the run ended elsewhere).
    public var reachedStop = false

    /// `running | paused | met | breached | stopped | pending` as people read it.
    public var status: String {
        if breached { return "breached" }
        switch phase {
        case .running: return "running"
        case .paused: return "paused"
        case .stopped: return reachedStop ? "met" : "stopped"
        }
    }

    func json() -> JSONValue {
        var members: [(String, JSONValue)] = [("phase", .string(phase.rawValue)), ("started_at", .int(Int(startedAt))),
                                              ("target", .string(target)), ("changed_at", .int(Int(changedAt)))]
        if pausedMs != 0 { members.append(("paused_ms", .int(Int(pausedMs)))) }
        if let pausedSince { members.append(("paused_since", .int(Int(pausedSince)))) }
        if let stoppedAt { members.append(("stopped_at", .int(Int(stoppedAt)))) }
        if warned { members.append(("warned", .bool(true))) }
        if breached { members.append(("breached", .bool(true))) }
        if reachedStop { members.append(("met_stop", .bool(true))) }
        return .object(JSONObject(members))
    }

    init(phase: Phase, startedAt: Int64, target: String) {
        self.phase = phase
        self.startedAt = startedAt
        self.target = target
        changedAt = startedAt
    }

    init?(json: JSONValue) {
        guard case .object(let m) = json, case .string(let p)? = m["phase"], let phase = Phase(rawValue: p),
              case .int(let started)? = m["started_at"], case .string(let target)? = m["target"],
              case .int(let changed)? = m["changed_at"] else { return nil }
        self.init(phase: phase, startedAt: Int64(started), target: target)
        changedAt = Int64(changed)
        if case .int(let n)? = m["paused_ms"] { pausedMs = Int64(n) }
        if case .int(let n)? = m["paused_since"] { pausedSince = Int64(n) }
        if case .int(let n)? = m["stopped_at"] { stoppedAt = Int64(n) }
        warned = m["warned"] == .bool(true)
        breached = m["breached"] == .bool(true)
        reachedStop = m["met_stop"] == .bool(true)
    }
}

extension CompiledSLATarget {
    /// The instant the target is reached with no pause: start + target.
    func base(_ clock: SLAClock) -> Int64? {
        guard let d = BusinessDuration.parse(clock.target) else { return nil }
        return calendar.add(d, to: clock.startedAt)
    }

    /// The due time: start + target, then later by the business time spent paused. Nil while
    /// paused (it moves on), when stopped, or without a target.
    func due(_ clock: SLAClock) -> Int64? {
        guard clock.phase == .running, let base = base(clock) else { return nil }
        return later(base, by: clock.pausedMs)
    }

    /// `t` moved on by business time: not at all for none (so a due time at the end of open
    /// hours stays there, rather than moving to the next opening).
    func later(_ t: Int64, by ms: Int64) -> Int64? {
        ms == 0 ? t : calendar.add(ms, to: t)
    }

    /// When the warning threshold is crossed, if the target has one.
    func warningAt(_ clock: SLAClock) -> Int64? {
        guard clock.phase == .running, let percent = warningPercent, let base = base(clock) else { return nil }
        let total = calendar.between(clock.startedAt, base)
        return calendar.add(total * Int64(percent) / 100, to: clock.startedAt).flatMap { later($0, by: clock.pausedMs) }
    }

    /// Business time left before the due time, as of `now` (negative once past it).
    func remaining(_ clock: SLAClock, now: Int64) -> Int64? {
        guard let base = base(clock) else { return nil }
        let total = calendar.between(clock.startedAt, base)
        // Never before the clock's last change: a reader whose clock is behind the machine that
        // changed it would otherwise count negative time, and show more left than there is.
        let end = clock.stoppedAt ?? clock.pausedSince ?? max(now, clock.changedAt)
        let used = calendar.between(clock.startedAt, end) - clock.pausedMs
        return total - used
    }

    /// The next event this clock sends: a warning or a breach, no earlier than its last change.
    func nextEvent(_ clock: SLAClock) -> (event: SLAEvent, at: Int64)? {
        guard clock.phase == .running, !clock.breached, let d = due(clock) else { return nil }
        let breach = max(d, clock.changedAt)
        // A warning that would come with the breach (both passed when the target was
        // reclassified) is left out: the breach says more.
        if !clock.warned, let w = warningAt(clock), max(w, clock.changedAt) < breach { return (.warning, max(w, clock.changedAt)) }
        return (.breached, breach)
    }
}

extension Engine {
    /// The earliest SLA event of a run still to come, with its target.
    func nextSLAEvent(_ run: RunState) -> (target: CompiledSLATarget, event: SLAEvent, at: Int64)? {
        guard !run.sla.isEmpty else { return nil }
        var best: (target: CompiledSLATarget, event: SLAEvent, at: Int64)?
        for target in sop.slaTargets {
            guard let clock = run.sla[target.id], let next = target.nextEvent(clock) else { continue }
            if best == nil || next.at < best!.at { best = (target, next.event, next.at) }
        }
        return best
    }

    /// When a tick must next look at the run: its earliest timer or SLA event.
    public func nextDue(_ run: RunState) -> Int64? {
        guard !run.isEnded else { return nil }
        let timer = pendingTimers(run).map(\.due).min()
        guard let sla = nextSLAEvent(run)?.at else { return timer }
        return timer.map { min($0, sla) } ?? sla
    }

    /// What the store indexes of a run's clocks: the earliest due time of those still running
    /// and not breached, and whether any has breached.
    public func slaSummary(_ run: RunState) -> (due: Int64?, breached: Bool) {
        (nearestSLADue(run)?.due, sop.slaTargets.contains { run.sla[$0.id]?.breached == true })
    }

    /// The earliest due time of the run's clocks still running and not breached, with the
    /// calendar of its target, whose zone people read it in (`sop runs`, as `sop status`).
    public func nearestSLADue(_ run: RunState) -> (due: Int64, calendar: BusinessCalendar)? {
        var nearest: (due: Int64, calendar: BusinessCalendar)?
        for target in sop.slaTargets {
            guard let clock = run.sla[target.id], !clock.breached, let d = target.due(clock) else { continue }
            if nearest.map({ d < $0.due }) ?? true { nearest = (d, target.calendar) }
        }
        return nearest
    }

    /// The run's next deadline for the people working it: the earliest of its pending timers'
    /// due times and its running SLA clocks' due times (a breached clock's due time has passed),
    /// with what it is (`nil` target for a timer). Paused clocks have no due time.
    public func nextDeadline(_ run: RunState) -> (at: Int64, slaTarget: String?)? {
        guard !run.isEnded else { return nil }
        var best: (at: Int64, slaTarget: String?)? = pendingTimers(run).map(\.due).min().map { ($0, nil) }
        for target in sop.slaTargets {
            guard let clock = run.sla[target.id], let due = target.due(clock) else { continue }
            if best == nil || due < best!.at { best = (due, target.id) }
        }
        return best
    }

    /// Each SLA target's calendar, in the SOP's order.
    public var slaCalendars: [(target: String, calendar: BusinessCalendar)] { sop.slaTargets.map { ($0.id, $0.calendar) } }

    /// Each SLA target of the run as `sop status` shows it, as of `now`.
    public func slaStatus(_ run: RunState, now: Int64) -> [SLAStatus] {
        sop.slaTargets.map { target in
            guard let clock = run.sla[target.id] else {
                return SLAStatus(target: target.id, status: "pending", length: nil, due: nil, remaining: nil, calendar: target.calendar)
            }
            var due: Int64?
            if clock.phase == .running { due = target.due(clock) }
            return SLAStatus(target: target.id, status: clock.status, length: clock.target.isEmpty ? nil : clock.target, due: due,
                             remaining: target.remaining(clock, now: now), calendar: target.calendar, warned: clock.warned)
        }
    }
}

/// One SLA target of a run, for `sop status`, the guide and the API.
public struct SLAStatus: Sendable {
    public var target: String
    /// `pending | running | paused | met | breached | stopped`.
    public var status: String
    /// The business duration that applies.
    public var length: String?
    public var due: Int64?
    /// Business time left (negative once past due), in milliseconds.
    public var remaining: Int64?
    public var calendar: BusinessCalendar
    /// Whether the clock has sent its warning (not in `json()`, which stays as documented).
    public var warned = false

    /// `first_response: running, 4h, due 2025-01-14T11:00:00+01:00 (1h30m left)` for people.
    public var text: String {
        var parts = [status]
        if let length { parts.append(length) }
        if let due { parts.append("due " + calendar.format(due)) }
        if let remaining {
            // To the minute for people (the JSON keeps the milliseconds): time left rounds down,
            // time over up, so neither says more time than there is.
            let minute: Int64 = 60_000
            if remaining >= 0 {
                parts.append(remaining < minute ? "under 1m left" : "\(BusinessDuration.format(remaining / minute * minute)) left")
            } else {
                parts.append("\(BusinessDuration.format((-remaining + minute - 1) / minute * minute)) over")
            }
        }
        return "\(target): " + parts.joined(separator: ", ")
    }

    public func json() -> JSONValue {
        .object([("target", .string(target)), ("status", .string(status)), ("length", .optional(length)),
                 ("due", due.map { .string(calendar.format($0)) } ?? .null),
                 ("remaining", remaining.map { .string(BusinessDuration.format($0)) } ?? .null),
                 ("calendar", .string(calendar.id))])
    }
}

extension Step {
    /// An SLA record: its trigger names the target, what happened, the due time then, and the
    /// digests of the calendar and of the target's definition.
    mutating func beginSLARecord(_ target: CompiledSLATarget, _ event: String, at: Int64, extra: [(String, JSONValue)] = []) {
        var members: [(String, JSONValue)] = [("calendar", .string(target.calendarDigest)), ("event", .string(event))]
        if let clock = run.sla[target.id], let due = target.due(clock) { members.append(("due", .string(target.calendar.format(due)))) }
        members += extra
        members.append(("policy", .string(target.policyDigest)))
        members.append(("target", .string(target.id)))
        members.sort { $0.0 < $1.0 }
        var trigger = JournalTrigger(kind: .sla, sla: .object(JSONObject(members)))
        trigger.moved = false
        beginRecord(from: run.state, trigger: trigger, inputs: [], at: at, actor: .system)
    }

    /// Brings each clock in line with where the run is after a record written at `at`: starts,
    /// pauses, resumes, stops and reclassifies, each as a record of its own.
    mutating func syncSLAs(at: Int64) {
        guard !sop.slaTargets.isEmpty, !syncingSLAs else { return }
        syncingSLAs = true
        defer { syncingSLAs = false }
        let state = run.state
        let context = engine.evaluationContext(run, now: at)
        for target in sop.slaTargets {
            let length = target.target(in: context)
            guard var clock = run.sla[target.id] else {
                guard target.start.isEmpty || target.start.contains(state) else { continue }
                var clock = SLAClock(phase: .running, startedAt: at, target: length)
                if target.pause.contains(state) { clock.phase = .paused; clock.pausedSince = at }
                run.sla[target.id] = clock
                writeSLA(target, "started", at: at, extra: [("length", .string(length))])
                if target.stop.contains(state) || run.isEnded { stop(target, at: at) }
                continue
            }
            guard clock.phase != .stopped else { continue }
            if length != clock.target {
                let from = clock.target
                clock.target = length
                clock.changedAt = at
                run.sla[target.id] = clock
                writeSLA(target, "reclassified", at: at, extra: [("from", .string(from)), ("length", .string(length))])
            }
            if target.stop.contains(state) || run.isEnded {
                stop(target, at: at)
            } else if clock.phase == .running, target.pause.contains(state) {
                clock.phase = .paused
                clock.pausedSince = at
                clock.changedAt = at
                run.sla[target.id] = clock
                writeSLA(target, "paused", at: at)
            } else if clock.phase == .paused, !target.pause.contains(state), let since = clock.pausedSince {
                clock.phase = .running
                clock.pausedMs += target.calendar.between(since, at)
                clock.pausedSince = nil
                clock.changedAt = at
                run.sla[target.id] = clock
                writeSLA(target, "resumed", at: at)
            }
        }
    }

    private mutating func stop(_ target: CompiledSLATarget, at: Int64) {
        guard var clock = run.sla[target.id] else { return }
        if let since = clock.pausedSince { clock.pausedMs += target.calendar.between(since, at) }
        clock.pausedSince = nil
        // Met when it reaches a stop state by its due time (and no breach came first).
        if !clock.breached, let due = target.base(clock).flatMap({ target.later($0, by: clock.pausedMs) }), at > due { clock.breached = true }
        clock.phase = .stopped
        clock.stoppedAt = at
        clock.changedAt = at
        clock.reachedStop = target.stop.contains(run.state)
        run.sla[target.id] = clock
        writeSLA(target, clock.reachedStop && !clock.breached ? "met" : "stopped", at: at)
    }

    private mutating func writeSLA(_ target: CompiledSLATarget, _ event: String, at: Int64, extra: [(String, JSONValue)] = []) {
        beginSLARecord(target, event, at: at, extra: extra)
        finishRecord()
    }

    /// Sends a clock's warning or breach at its instant: an SLA record, which takes the state's
    /// first transition on `sla.ID.EVENT` whose guard holds, if there is one.
    mutating func fireSLA(_ target: CompiledSLATarget, _ event: SLAEvent, at: Int64) throws(StepRejection) {
        guard var clock = run.sla[target.id] else { return }
        var extra: [(String, JSONValue)] = []
        if event == .breached, let due = target.due(clock), due < at { extra.append(("reason", .string("reclassification"))) }
        beginSLARecord(target, event.rawValue, at: at, extra: extra)
        if event == .warning { clock.warned = true } else { clock.breached = true; clock.warned = clock.warned || target.warningPercent != nil }
        run.sla[target.id] = clock
        let name = "sla.\(target.id).\(event.rawValue)"
        if let state = here, let candidates = state.byEvent.first(where: { $0.event == name })?.transitions {
            for t in candidates where try holds(t, at: at) {
                records[records.count - 1].trigger.moved = true
                records[records.count - 1].trigger.transition = t.index + 1
                try perform(t.actions, at: at)
                try enter(t.definition.to.value, index: t.target, at: at)
                break
            }
        }
        finishRecord()
    }

    /// Sends the SLA events due by `now` (after a command, a breach by reclassification).
    mutating func fireSLAEvents() throws(StepRejection) {
        while timersTaken < Engine.timerBound, !run.isEnded, let next = engine.nextSLAEvent(run), next.at <= now {
            timersTaken += 1
            try fireSLA(next.target, next.event, at: next.at)
            try settle(firstTrigger: nil, actor: .system, at: next.at)
        }
    }
}
