/// Which of a caller's roles acts on a run: the questions a server asks before a step, for a
/// caller (a token) that holds several roles. The engine itself checks one actor's role.
extension Engine {
    /// The roles that act in this SOP: those it declares (`agent` when it declares none).
    public var roles: [String] {
        let declared = sop.definition.roles.map(\.value)
        return declared.isEmpty ? SOPDefinition.defaultRoles : declared
    }

    /// The role that acts on a state (its inputs and checklist); nil for a state the SOP lacks.
    public func stateRole(_ state: String) -> String? {
        sop.state(state)?.role
    }

    /// The roles that may send `event` in the run's current state; empty when no transition of
    /// the state takes it.
    public func eventRoles(_ run: RunState, event: String) -> [String] {
        guard let state = sop.state(run.state) else { return [] }
        var roles: [String] = []
        for t in state.byEvent.first(where: { $0.event == event })?.transitions ?? [] where !roles.contains(t.role) {
            roles.append(t.role)
        }
        return roles
    }

    /// The role that must act on the run now (the current state's inputs, checklist and events
    /// without a role of their own); nil for an ended run and for a run that waits for a child.
    public func roleToAct(_ run: RunState) -> String? {
        guard !run.isEnded, run.child == nil, let state = sop.state(run.state) else { return nil }
        return state.role
    }

    /// The events of the current state that none of `roles` may send, each with the roles that
    /// may: what a caller sees others can do, in document order.
    public func otherEvents(_ run: RunState, roles: [String]) -> [(event: String, label: String, roles: [String])] {
        enabledEvents(run, actor: nil).compactMap { e in
            let may = eventRoles(run, event: e.event)
            return may.contains(where: roles.contains) ? nil : (e.event, e.label, may)
        }
    }

    /// The events any of `roles` may send now, with their labels, in document order.
    public func enabledEvents(_ run: RunState, roles: [String]) -> [(event: String, label: String)] {
        let all = enabledEvents(run, actor: nil)
        return all.filter { e in eventRoles(run, event: e.event).contains(where: roles.contains) }
    }

    /// The role a caller holding `roles` acts as for a step that gives inputs or checks (`acts`)
    /// and/or sends `event`, in the run's state after its due timers: the state's role for
    /// inputs and checks, an event's role for an event. nil when the caller holds no role that
    /// may do it (the answer is then 403, not a refusal). With nothing asked of a role, the
    /// state's role if the caller holds it, else the caller's first role.
    public func actingRole(_ run: RunState, roles: [String], acts: Bool, event: String?, now: Int64) -> String? {
        let current = afterTimers(run, now: now)
        var needed: [String]? = nil
        if acts, let role = stateRole(current.state) { needed = [role] }
        if let event {
            let eventRoles = eventRoles(current, event: event)
            if !eventRoles.isEmpty {
                needed = needed.map { $0.filter(eventRoles.contains) } ?? eventRoles
            }
        }
        // Nothing asks for a particular role (an event the state lacks, say): act as the state's
        // role when the caller holds it, so that a refusal lists what that role may do.
        guard let needed else { return roles.first { $0 == stateRole(current.state) } ?? roles.first }
        return roles.first(where: needed.contains)
    }

    /// What a caller needs for the step `actingRole` found no role for, as a reason.
    public func missingRoleReason(_ run: RunState, roles: [String], acts: Bool, event: String?, now: Int64) -> String {
        let current = afterTimers(run, now: now)
        let held = roles.isEmpty ? "no role" : "the roles " + roles.map { "'\($0)'" }.joined(separator: ", ")
        if acts, let role = stateRole(current.state), !roles.contains(role) {
            return "state '\(current.state)' is acted on by the role '\(role)'; you hold \(held)"
        }
        if let event {
            let needed = eventRoles(current, event: event)
            return "event '\(event)' needs the role \(needed.map { "'\($0)'" }.joined(separator: " or ")); you hold \(held)"
        }
        return "you hold \(held)"
    }

    /// The run as a step at `now` finds it: its due timers taken (as stored when they fail).
    func afterTimers(_ run: RunState, now: Int64) -> RunState {
        guard var decision = try? apply(.tick, to: run, actor: .system, now: now), decision.changed else { return run }
        return decision.takeRun()
    }
}
