import Foundation
import SOPCore
import SOPExpression
import SOPJSON

/// An SOP as a procedure in words (Markdown): what an agent — a person or an AI — reads before it
/// starts a run. Its title, description and version; the ticket's fields as the ticket schema
/// describes them; the run variables and SLA targets; then each state in the order of the file,
/// the start first, with its instructions, checklist, inputs, role, call or outcome, and each of
/// its transitions in words. Generated from the SOP alone (and the catalogue, for the titles
/// and outcomes of the SOPs it calls), so it is always the procedure that runs.
///
/// Templates (`${{ … }}`) and guards are kept as written: a guard is the rule, and a paraphrase
/// of an expression into English could say something the engine does not do. The output
/// depends on nothing but its inputs (no clock, no dictionary order).
public enum ProcedureText {
    /// The procedure in words.
    /// - Parameters:
    ///   - sop: the SOP, compiled (its business timers' calendars resolved).
    ///   - schema: the ticket schema the SOP works against, if there is one.
    ///   - catalogue: where the SOPs it calls and starts are looked up (for their titles and
    ///     outcomes); nil names them by id only.
    public static func markdown(_ sop: CompiledSOP, schema: TicketSchema?, catalogue: SOPCatalogue?) -> String {
        var writer = Writer(sop: sop, schema: schema, catalogue: catalogue)
        writer.write()
        return writer.out
    }

    /// How an agent acts on a run through the MCP tools: the paragraph a prompt ends with.
    public static let actingThroughTools = """
        ## How to act

        Start a run with `start_run` (the SOP's id and the ticket as JSON), then call `get_run` to \
        see where the run is: the current step's instructions with the ticket filled in, its \
        checklist, the JSON Schema of its inputs (`input_schema`) and the events you may send. \
        Act with `step`: give the inputs, confirm the checklist items (`"all"` or their numbers \
        from 1) and send one of the events; change ticket fields with `update_ticket` (a JSON \
        merge patch). Timers and SLA events are not yours to send: the server takes them when \
        they fall due. A refusal is a tool error whose `reason` says why and whose `instead` says \
        what is possible now: read it and do that, or ask a person; do not guess at another event. \
        A step for a role you do not hold is for someone else: tell a person and stop there.

        """

    private struct Writer {
        let sop: CompiledSOP
        let schema: TicketSchema?
        let catalogue: SOPCatalogue?
        var out = ""

        var definition: SOPDefinition { sop.definition }

        mutating func line(_ text: String = "") { out += text + "\n" }

        mutating func write() {
            let d = definition
            line("# " + d.title)
            line()
            var about = "SOP `\(d.id.value)`, version \(d.version)"
            if let category = d.category { about += ", category \(category)" }
            line(about + ".")
            let roles = d.roles.isEmpty ? SOPDefinition.defaultRoles : d.roles.map(\.value)
            line("Roles that act in it: " + roles.map(code).joined(separator: ", ") + "; timers and SLA events are taken by `system`.")
            if let applies = d.appliesWhen { line("It applies to a ticket when `\(applies.text)` holds.") }
            if let description = d.description?.trimmingCharacters(in: .whitespacesAndNewlines), !description.isEmpty {
                line()
                line(description)
            }
            line()
            line("Text in `${{ … }}` is filled in from the run when `get_run` shows it. Rules are the SOP's expressions "
                 + "as written: `ticket.X` is a ticket field, `input.X` an input of the current step, `var.X` a run variable, "
                 + "`child.outcome` the outcome of a called SOP.")
            writeTicket()
            writeVariables()
            writeSLA()
            line()
            line("## Steps")
            line()
            line("The run starts at `\(d.start.value)`. Each step lists its ways out in the order they are tried: "
                 + "for an event, the first of its transitions whose rule holds is taken; automatic ones are tried after "
                 + "the step is entered and after each input, checklist confirmation, ticket update or called run's end, "
                 + "once every required input is given and every checklist item confirmed.")
            // The start first, then the rest in the order of the file.
            let ordered = d.states.filter { $0.id.value == d.start.value } + d.states.filter { $0.id.value != d.start.value }
            for state in ordered { writeState(state) }
        }

        // MARK: The ticket

        mutating func writeTicket() {
            line()
            line("## The ticket")
            line()
            guard let schema else {
                line("No ticket schema is configured: the ticket is a JSON object with an `id`; its other fields are not described.")
                return
            }
            let fields = TicketFields(schema: schema).fields()
            guard !fields.isEmpty else {
                line("The ticket schema names no fields.")
                return
            }
            line("Fields of the ticket (`ticket.NAME`), from the ticket schema:")
            line()
            for field in fields {
                var text = String(repeating: "  ", count: field.depth) + "- `ticket.\(field.path)`: " + field.type
                if field.required { text += ", required" }
                if let description = field.description { text += ". " + oneLine(description) }
                line(text)
            }
        }

        mutating func writeVariables() {
            guard !definition.vars.isEmpty else { return }
            line()
            line("## Run variables")
            line()
            for v in definition.vars {
                var text = "- `var.\(v.id.value)`: " + typeText(v.type, values: v.values.map(\.value), labels: v.labels)
                if let initial = v.initial { text += ", initially `\(initial.json.render())`" }
                line(text)
            }
        }

        // MARK: Service levels

        mutating func writeSLA() {
            guard let sla = definition.sla, !sla.targets.isEmpty else { return }
            line()
            line("## Service levels (SLA)")
            line()
            line("Each target is a clock of business time. When one passes its warning share it sends the event "
                 + "`sla.ID.warning`, when it runs out `sla.ID.breached`; the transitions below that take them say what happens.")
            line()
            for target in sla.targets {
                let id = target.id.value
                let calendar = target.calendar?.value ?? sla.calendar?.value
                var text = "- `\(id)`: "
                switch target.length {
                case .fixed(let length): text += businessDuration(length.value)
                case .by(let path, let values, let fallback):
                    let each = values.map { "\(code($0.value.value)) \(businessDuration($0.duration.value))" }
                    text += "by `\(path.text)`: " + (each + (fallback.map { ["otherwise " + businessDuration($0.value)] } ?? [])).joined(separator: ", ")
                    if fallback == nil { text += " (no clock for any other value)" }
                }
                if let calendar { text += ", " + calendarText(calendar) }
                text += "; starts " + (target.start.isEmpty ? "when the run starts" : "on entering " + states(target.start))
                if !target.pause.isEmpty { text += "; paused in " + states(target.pause) }
                text += "; met on entering " + states(target.stop)
                if let warning = target.warningPercent { text += "; `sla.\(id).warning` at \(warning)%" }
                text += "; `sla.\(id).breached` when it runs out."
                line(text)
            }
        }

        // MARK: States

        mutating func writeState(_ state: StateDefinition) {
            line()
            line("### `\(state.id.value)`: \(state.title)")
            if state.end == nil {
                line()
                line("Role: `\(state.role?.value ?? "agent")`.")
            }
            if let instructions = state.instructions?.trimmingCharacters(in: .whitespacesAndNewlines), !instructions.isEmpty {
                line()
                // Quoted, so that the SOP's own Markdown (a heading, a list) stays inside the step.
                for l in instructions.split(separator: "\n", omittingEmptySubsequences: false) { line(l.isEmpty ? ">" : "> " + l) }
            }
            if !state.enter.isEmpty {
                line()
                line(sentence("On entering: " + actions(state.enter)))
            }
            if !state.checklist.isEmpty {
                line()
                line("Checklist (each item confirmed before the step is left):")
                line()
                for (n, item) in state.checklist.enumerated() { line("\(n + 1). " + oneLine(item.value)) }
            }
            if !state.inputs.isEmpty {
                line()
                line("Inputs:")
                line()
                for input in state.inputs { line(inputText(input)) }
            }
            if let call = state.call { writeCall(call.value) }
            if let end = state.end {
                line()
                line("The run ends here with the outcome `\(end.value)`.")
            }
            if !state.transitions.isEmpty {
                line()
                line("Ways out:")
                line()
                for (n, t) in state.transitions.enumerated() {
                    // An automatic transition after another is a fallback: it is tried only when
                    // the earlier ones' rules do not hold.
                    let fallback = state.transitions[..<n].contains { $0.isAutomatic }
                    line("\(n + 1). " + transitionText(t, in: state, fallback: fallback))
                }
            }
        }

        mutating func writeCall(_ id: String) {
            line()
            var text = "Calls the SOP `\(id)`"
            if let called = try? catalogue?.sop(id) {
                text += " (\(called.definition.title))"
                let outcomes = called.definition.states.compactMap(\.end?.value)
                var seen = Set<String>()
                let distinct = outcomes.filter { seen.insert($0).inserted }
                text += ": a run of it starts on entering this step, and this run waits until it ends; `child.outcome` is then its outcome ("
                    + distinct.map(code).joined(separator: ", ") + ")."
            } else {
                text += ": a run of it starts on entering this step, and this run waits until it ends; `child.outcome` is then its outcome."
            }
            line(text)
        }

        func inputText(_ input: InputSpec) -> String {
            var parts = [typeText(input.type, values: input.values.map(\.value), labels: input.labels)]
            parts.append(input.required ? "required" : "optional")
            if let min = input.min, let max = input.max {
                parts.append("from \(number(min)) to \(number(max))")
            } else if let min = input.min {
                parts.append("at least \(number(min))")
            } else if let max = input.max {
                parts.append("at most \(number(max))")
            }
            switch (input.minLength, input.maxLength) {
            case let (min?, max?): parts.append("\(min) to \(max) characters")
            case let (min?, nil): parts.append("at least \(min) characters")
            case let (nil, max?): parts.append("at most \(max) characters")
            case (nil, nil): break
            }
            if let pattern = input.pattern { parts.append("matching `\(pattern)`") }
            if input.scope == .visit { parts.append("this visit only: forgotten each time the run enters this step") }
            return "- `\(input.id.value)` (" + parts.joined(separator: ", ") + "): " + quoted(input.question)
        }

        func transitionText(_ t: TransitionDefinition, in state: StateDefinition, fallback: Bool) -> String {
            var text: String
            if let event = t.on?.value {
                if let (target, kind) = SLAEvent.parse(event) {
                    text = "On the SLA event `\(event)` (the `\(target)` target " + (kind == .warning ? "reached its warning share" : "is breached")
                        + "), sent by the clock"
                } else {
                    text = "On the event `\(event)`"
                    if let label = t.label { text += " (label \(quoted(label)))" }
                    text += ", role `\(t.role?.value ?? state.role?.value ?? "agent")`"
                }
            } else if let after = t.after {
                text = "After " + timerText(after, business: t.business) + ", taken by `system`"
            } else {
                text = "Automatically"
                if let label = t.label { text += " (label \(quoted(label)))" }
            }
            if let when = t.when {
                text += t.isAutomatic ? ", as soon as `\(when.text)` holds" : ", when `\(when.text)` holds"
            } else if t.isAutomatic {
                text += fallback ? ", otherwise (no rule)" : " (no rule)"
            }
            text += ": go to `\(t.to.value)`"
            if let target = definition.state(t.to.value) { text += " (\(target.title))" }
            if !t.actions.isEmpty { text += "; does: " + actions(t.actions) }
            return sentence(text)
        }

        /// `48h in this step`, `2 business days in this step, on calendar …`.
        func timerText(_ after: ExpressionText, business: BusinessTimer?) -> String {
            if let business { return businessDuration(after.text) + " in this step, " + calendarText(business.calendar.value) }
            if Template.containsTemplate(after.text) { return after.text + " in this step (a duration worked out from the run)" }
            return after.text + " in this step"
        }

        /// `2 business days`, `4 business hours`, `1 business hour 30 minutes`.
        func businessDuration(_ text: String) -> String {
            guard let d = BusinessDuration.parse(text) else { return text + " of business time" }
            var parts: [String] = []
            if d.days > 0 { parts.append(d.days == 1 ? "1 business day" : "\(d.days) business days") }
            let minutes = d.milliseconds / 60_000
            let hours = minutes / 60, rest = minutes % 60
            if hours > 0 { parts.append(hours == 1 ? "1 business hour" : "\(hours) business hours") }
            let unit = parts.isEmpty ? "business minute" : "minute"
            if rest > 0 { parts.append(rest == 1 ? "1 \(unit)" : "\(rest) \(unit)s") }
            if parts.isEmpty { return text + " of business time" }
            return parts.joined(separator: " ")
        }

        func calendarText(_ id: String) -> String {
            guard let calendar = sop.calendars[id] else { return "on calendar `\(id)`" }
            return "on calendar `\(id)` (\(calendar.timeZone))"
        }

        func actions(_ list: [Action]) -> String {
            list.map { action -> String in
                switch action {
                case .set(let assignments):
                    return assignments.map { "set `\($0.path.value)` to " + literal($0.value) }.joined(separator: ", ")
                case .notify(let to, let template):
                    let whom: String
                    switch to.value {
                    case .customer: whom = "the customer"
                    case .team(let team): whom = "the team `\(team)`"
                    case .role(let role): whom = "the role `\(role)`"
                    }
                    return "notify \(whom): " + quoted(template.text)
                case .assign(let role, let queue):
                    let parts = [role.map { "the role `\($0.value)`" }, queue.map { "the queue `\($0.text)`" }].compactMap { $0 }
                    return "assign to " + parts.joined(separator: " and ")
                case .tag(let tags):
                    return "tag " + tags.map { code($0.text) }.joined(separator: ", ")
                case .start(let id):
                    let title = (try? catalogue?.sop(id.value)).flatMap { $0 }.map { " (\($0.definition.title))" } ?? ""
                    return "start a separate run of the SOP `\(id.value)`\(title)"
                }
            }.joined(separator: "; ")
        }

        // MARK: Wording

        /// Ends a sentence with a full stop, unless it ends with a quotation (a message).
        func sentence(_ text: String) -> String { text.hasSuffix("\"") ? text : text + "." }

        /// A `set` value: a template as written (`${{ var.n + 1 }}`: its value is the
        /// expression's), anything else as JSON (`"slow"`, `2`, `null`).
        func literal(_ value: SOPCore.Literal) -> String {
            if let text = value.text, Template.containsTemplate(text.text) { return code(text.text) }
            return code(value.json.render())
        }

        func typeText(_ type: ValueType, values: [String], labels: [String: String]) -> String {
            guard type == .enum else { return type.rawValue }
            let each = values.map { v in labels[v].map { "\(code(v)) (\(quoted($0)))" } ?? code(v) }
            return "one of " + each.joined(separator: ", ")
        }

        func states(_ ids: [Located<String>]) -> String {
            ids.map { code($0.value) }.joined(separator: ", ")
        }

        func number(_ d: Double) -> String {
            d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d)
        }
    }
}

/// Text in backticks, with a longer fence when the text holds a backtick.
private func code(_ text: String) -> String {
    text.contains("`") ? "`` \(text) ``" : "`\(text)`"
}

/// Text in double quotes, on one line.
private func quoted(_ text: String) -> String {
    "\"" + oneLine(text) + "\""
}

/// Text on one line: its line breaks (a folded YAML block's) as spaces, trimmed.
private func oneLine(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
}

/// The ticket schema's fields, depth first in the schema's order, each with its type in words.
private struct TicketFields {
    struct Field {
        var path: String
        var depth: Int
        var type: String
        var required: Bool
        var description: String?
    }

    let schema: TicketSchema
    /// Objects nested deeper are not spelled out (a schema may refer to itself).
    static let maxDepth = 4

    func fields() -> [Field] {
        var out: [Field] = []
        collect(schema.root, prefix: "", depth: 0, into: &out)
        return out
    }

    /// The rules of a node with those of the schema its `$ref` names.
    func merged(_ rules: SchemaRules) -> (properties: [(String, SchemaRules)], required: Set<String>, rules: SchemaRules) {
        var properties = rules.properties.map { ($0.0, Self.rules($0.1)) }
        var required = Set(rules.required)
        var own = rules
        if let ref = rules.ref, ref < schema.references.count {
            let referenced = schema.references[ref]
            for (name, node) in referenced.properties where !properties.contains(where: { $0.0 == name }) {
                properties.append((name, Self.rules(node)))
            }
            required.formUnion(referenced.required)
            if own.types.isEmpty { own.types = referenced.types }
            if own.enumValues == nil { own.enumValues = referenced.enumValues }
            if own.description == nil { own.description = referenced.description }
            if own.format == nil { own.format = referenced.format }
            if own.items == nil { own.items = referenced.items }
            if own.additionalSchema == nil { own.additionalSchema = referenced.additionalSchema }
        }
        return (properties, required, own)
    }

    static func rules(_ node: SchemaNode) -> SchemaRules {
        switch node { case .node(let r): return r }
    }

    func collect(_ rules: SchemaRules, prefix: String, depth: Int, into out: inout [Field]) {
        let (properties, required, _) = merged(rules)
        for (name, child) in properties {
            let (_, _, own) = merged(child)
            out.append(Field(path: prefix + name, depth: depth, type: typeText(own), required: required.contains(name), description: own.description))
            if depth + 1 < Self.maxDepth, own.types.contains("object") || !child.properties.isEmpty {
                collect(child, prefix: prefix + name + ".", depth: depth + 1, into: &out)
            }
            // A list of objects: the fields of each item (read in a rule through a lambda,
            // `map(ticket.order.items, i -> i.price)`, or by position).
            if depth + 1 < Self.maxDepth, let items = own.items {
                let (itemProperties, _, each) = merged(Self.rules(items))
                if !itemProperties.isEmpty || each.types.contains("object") {
                    collect(Self.rules(items), prefix: prefix + name + "[N].", depth: depth + 1, into: &out)
                }
            }
            // An object keyed by ids (orders by their id): one entry stands for every key, read
            // in a rule as `ticket.orders[input.order_id]`.
            if depth + 1 < Self.maxDepth, own.properties.isEmpty, let element = own.additionalSchema {
                let (_, _, each) = merged(Self.rules(element))
                out.append(Field(path: prefix + name + "[ID]", depth: depth + 1, type: typeText(each), required: false,
                                 description: each.description ?? "one entry per key"))
                if each.types.contains("object") {
                    collect(Self.rules(element), prefix: prefix + name + "[ID].", depth: depth + 2, into: &out)
                }
            }
        }
    }

    /// `string or null`, `one of \`low\`, \`high\`, null`, `list of string`, `integer, at least 1`.
    func typeText(_ rules: SchemaRules) -> String {
        var text: String
        if let values = rules.enumValues {
            text = "one of " + values.map { v in
                if case .string(let s) = v { return code(s) }
                return v.render()
            }.joined(separator: ", ")
        } else if let constant = rules.constValue {
            text = "always `\(constant.render())`"
        } else if rules.types.isEmpty {
            text = "any value"
        } else {
            let order = ["string", "integer", "number", "boolean", "object", "array", "null"]
            text = order.filter(rules.types.contains).map { type -> String in
                switch type {
                case "string": return rules.format.map { "string (\($0))" } ?? "string"
                case "array":
                    guard let items = rules.items else { return "list" }
                    return "list of " + typeText(merged(Self.rules(items)).rules)
                case "object": return "object"
                default: return type
                }
            }.joined(separator: " or ")
        }
        var bounds: [String] = []
        if let min = rules.minimum { bounds.append("at least \(min)") }
        if let max = rules.maximum { bounds.append("at most \(max)") }
        if let min = rules.exclusiveMinimum { bounds.append("above \(min)") }
        if let max = rules.exclusiveMaximum { bounds.append("below \(max)") }
        if let min = rules.minLength { bounds.append("at least \(min) characters") }
        if let max = rules.maxLength { bounds.append("at most \(max) characters") }
        if let pattern = rules.pattern { bounds.append("matching `\(pattern)`") }
        return ([text] + bounds).joined(separator: ", ")
    }
}

extension RunService {
    /// The procedure in words of the SOP `id` as its file is now, if `who` may see it (an unknown
    /// SOP is `unknownSOP`, one the caller holds no role in `forbidden`, as `sop(_:as:)`).
    public func procedureText(_ id: String, as who: Acting) throws -> (sop: CompiledSOP, text: String) {
        let sop = try self.sop(id, as: who)
        return (sop, ProcedureText.markdown(sop, schema: catalogue.schema, catalogue: catalogue))
    }

    /// The procedure in words that a run follows: its SOP as the run pinned it, which may be an
    /// older version than the file's.
    public func procedureText(run: String, as who: Acting, now: Int64) throws -> (sop: CompiledSOP, text: String) {
        let sop = try projected(run, as: who, now: now).engine.sop
        return (sop, ProcedureText.markdown(sop, schema: catalogue.schema, catalogue: catalogue))
    }
}
