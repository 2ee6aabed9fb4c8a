import SOPCore

/// Who may do what: a caller sees and acts on the runs of an SOP only with one of the roles the
/// SOP names, and takes each step in the role of theirs that may take it. An actor (the command
/// line) sees everything; the engine still checks its one role against each step. Every
/// operation asks here; no interface decides it.
extension RunService {
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

    /// The actor a run is started as: a caller acts in the start state's role if they hold it,
    /// else in one of theirs the SOP names.
    static func starter(_ who: Acting, _ engine: Engine) throws -> Actor {
        switch who {
        case .actor(let actor):
            return actor
        case .caller(let caller):
            try Self.authorize(caller, engine)
            let startRole = engine.stateRole(engine.sop.definition.start.value)
            let role = caller.roles.first { $0 == startRole } ?? caller.roles.first { engine.roles.contains($0) } ?? "agent"
            return Actor(id: caller.id, role: role)
        }
    }

    /// A caller may see and act on runs of an SOP only with one of the roles the SOP names.
    static func authorize(_ caller: Caller, _ engine: Engine) throws {
        let roles = engine.roles
        guard caller.roles.contains(where: roles.contains) else {
            throw RunError.forbidden("SOP '\(engine.sop.id)' is acted on by the role\(roles.count == 1 ? "" : "s") \(roles.map { "'\($0)'" }.joined(separator: ", ")); "
                                     + "you hold \(caller.roles.map { "'\($0)'" }.joined(separator: ", "))")
        }
    }

    static func authorize(_ who: Acting, _ engine: Engine) throws {
        if let caller = who.caller { try authorize(caller, engine) }
    }

    /// The SOPs whose runs `who` may see: every SOP of the folder for an actor.
    public func visibleSOPs(_ who: Acting) -> [String] {
        catalogue.entries().compactMap { entry in
            guard let sop = entry.compiled else { return nil }
            guard let caller = who.caller else { return sop.id }
            let roles = engine(sop).roles
            return caller.roles.contains(where: roles.contains) ? sop.id : nil
        }
    }

    /// The service report covers every run of the store, so it is for supervisors (and for an
    /// actor, the command line: whoever can open the store can read every run).
    static func authorizeReport(_ who: Acting) throws {
        guard let caller = who.caller else { return }
        guard caller.roles.contains("supervisor") else { throw RunError.forbidden("the service report is for the role 'supervisor'") }
    }
}
