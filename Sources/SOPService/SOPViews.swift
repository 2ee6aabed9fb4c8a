import SOPCore
import SOPExpression
import SOPJSON

/// The SOPs as an interface shows them: the folder's list, one SOP's states and graph, each for
/// who asks (a caller sees the SOPs one of their roles acts in).
extension RunService {
    /// Every SOP file of the folder: id, version, title, category and lint status; for a
    /// caller, the SOPs they hold a role in.
    public func sopList(as who: Acting) -> [JSONValue] {
        let visible = who.caller.map { _ in Set(visibleSOPs(who)) }
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
    public func sopDetail(_ id: String, as who: Acting) throws -> JSONValue {
        let sop = try self.sop(id, as: who)
        let d = sop.definition
        let engine = self.engine(sop)
        let states: [JSONValue] = d.states.map { state in
            // No ticket here: titles are shown without their templates, as the SOP's own title.
            var members: JSONObject = [("id", .string(state.id.value)), ("title", .string(Template.withoutExpressions(state.title)))]
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
                         // A timer is taken by the system, whoever's state it leaves.
                         ("role", .string(t.after != nil ? Actor.system.role : t.role?.value ?? engine.stateRole(state.id.value) ?? "agent"))])
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

    /// An SOP as its file is now, if `who` may see it: an unknown SOP is `unknownSOP` (404)
    /// whoever asks, one the caller holds no role of is `forbidden` (403).
    public func sop(_ id: String, as who: Acting) throws -> CompiledSOP {
        let sop = try currentSOP(id)
        try Self.authorize(who, engine(sop))
        return sop
    }

    /// The SOPs `who` may see, as their files are now, in the folder's order.
    public func visibleSOPDefinitions(_ who: Acting) -> [CompiledSOP] {
        let visible = Set(visibleSOPs(who))
        return catalogue.entries().compactMap { entry in entry.compiled.flatMap { visible.contains($0.id) ? $0 : nil } }
    }
}
