import Foundation
import SOPExpression
import SOPJSON

/// What `status` shows of a run, as the JSON object of `sop status` in docs/cli.md: the current step with its templates
/// rendered, every input of the state with its spec, the events the actor may send and the
/// timers pending. One builder for every interface that shows a run.
public enum RunStatus {
    /// - Parameters:
    ///   - dueRecords: how many records the due timers taken into `run` would write (0 when the
    ///     run is shown as stored); the JSON says so as `due_timers_applied`.
    ///   - roles: when given, the events shown are those any of these roles may send (a caller
    ///     with several roles, such as a token's), instead of those of `actor`.
    public static func json(_ run: RunState, _ engine: Engine, actor: Actor?, roles: [String]? = nil, now: Int64,
                            dueRecords: Int = 0) -> JSONValue {
        let state = engine.sop.definition.state(run.state)
        let open = !run.isEnded
        let render = { (text: String) in engine.renderTemplate(text, run: run, now: now) ?? text }
        let checklist: [JSONValue] = (open ? state?.checklist ?? [] : []).enumerated().map { i, item in
            .object([("item", .string(render(item.value))), ("confirmed", .bool(run.confirmed.contains(i)))])
        }
        let inputs: [JSONValue] = (open ? state?.inputs ?? [] : []).map { spec(spec: $0, given: run.submitted.contains($0.id.value), render) }
        var members: JSONObject = [
            ("run", .string(run.id)), ("sop", .string(run.sop)), ("sop_version", .int(run.sopVersion)),
            ("state", .string(run.state)), ("status", .string(run.status.rawValue)), ("outcome", .optional(run.outcome)),
            ("version", .int(run.version)), ("ticket", run.ticket), ("vars", ValueJSON.object(run.vars)),
            ("inputs", ValueJSON.object(run.inputs)),
            ("inputs_needed", .array(engine.inputsNeeded(run).map { .string($0) })),
            ("input_specs", .array(inputs)),
            ("checklist", .array(checklist)),
            ("events", .array((roles.map { engine.enabledEvents(run, roles: $0) } ?? engine.enabledEvents(run, actor: actor)).map {
                .object([("event", .string($0.event)), ("label", .string(render($0.label)))])
            })),
            ("timers", .array(engine.pendingTimers(run).map {
                .object([("to", .string($0.to)), ("due", .string(CivilTime.formatDateTime($0.due)))])
            })),
            ("outbox", .array(run.outbox)),
        ]
        members["owner"] = .object([("role", .optional(run.ownerRole)), ("queue", .optional(run.ownerQueue))])
        // Who must act, and what the others may do that this actor or caller may not.
        members["role_to_act"] = .optional(engine.roleToAct(run))
        let asking = roles ?? actor.map { [$0.role] }
        members["other_events"] = .array((asking.map { engine.otherEvents(run, roles: $0) } ?? []).map { e in
            .object([("event", .string(e.event)), ("label", .string(render(e.label))), ("roles", .array(e.roles.map { .string($0) }))])
        })
        members["title"] = .optional(state.map { render($0.title) })
        members["instructions"] = .optional(state?.instructions.map(render))
        members["child"] = .optional(run.child)
        members["parent"] = .optional(run.parent)
        members["as_of"] = .string(CivilTime.formatDateTime(now))
        members["due_timers_applied"] = .int(dueRecords)
        // Only for SOPs with SLA targets, so other runs' objects stay as they were.
        let slas = engine.slaStatus(run, now: now)
        if !slas.isEmpty { members["sla"] = .array(slas.map { $0.json() }) }
        return .object(members)
    }

    /// An input of the current state as an agent's form needs it.
    public static func spec(spec: InputSpec, given: Bool, _ render: (String) -> String) -> JSONValue {
        var members: JSONObject = [("name", .string(spec.id.value)), ("type", .string(spec.type.rawValue))]
        members["prompt"] = .string(render(spec.question))
        members["required"] = .bool(spec.required)
        members["given"] = .bool(given)
        if spec.type == .enum { members["values"] = .array(spec.values.map { .string($0.value) }) }
        if !spec.labels.isEmpty {
            members["labels"] = .object(JSONObject(spec.values.compactMap { v in spec.labels[v.value].map { (v.value, .string(render($0))) } }))
        }
        if let min = spec.min { members["min"] = number(min) }
        if let max = spec.max { members["max"] = number(max) }
        if let n = spec.minLength { members["min_length"] = .int(n) }
        if let n = spec.maxLength { members["max_length"] = .int(n) }
        if let p = spec.pattern { members["pattern"] = .string(p) }
        // Only when not the default: an agent must give it again in each visit of the state.
        if spec.scope != .run { members["scope"] = .string(spec.scope.rawValue) }
        return .object(members)
    }

    private static func number(_ d: Double) -> JSONValue {
        if d.rounded() == d, abs(d) < 1e15 { return .int(Int(d)) }
        return .number(Decimal(string: "\(d)") ?? Decimal(d))
    }
}
