import Foundation
import SOPCore
import SOPExpression
import SOPJSON

extension RunService {
    /// The SOPs whose `applies_when` holds for a ticket (`sop route`), among those a caller may
    /// see; a ticket that does not fit the ticket schema is refused with its violations.
    public func route(ticket: JSONValue, as who: Acting, now: Int64) throws -> [(sop: String, title: String)] {
        try catalogue.route(ticket: ticket, only: who.caller.map { _ in Set(visibleSOPs(who)) }, now: now)
    }

    /// What `who` may start on a ticket: the SOPs that apply to it (`route`), and the others they
    /// may run, which a person may still choose (an SOP without `applies_when` applies to nothing
    /// by itself).
    public func startOptions(ticket: JSONValue, as who: Acting, now: Int64) throws
        -> (applying: [(sop: String, title: String)], others: [(sop: String, title: String)]) {
        let all = try catalogue.candidates(ticket: ticket, only: who.caller.map { _ in Set(visibleSOPs(who)) }, now: now)
        return (all.filter(\.applies).map { ($0.sop, $0.title) }, all.filter { !$0.applies }.map { ($0.sop, $0.title) })
    }

    /// The JSON Schema of the inputs the run's current state takes (for an AI agent's tool call).
    public func inputSchema(_ id: String, as who: Acting, now: Int64) throws -> JSONValue {
        let (run, engine, _) = try projected(id, as: who, now: now)
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
            case .list:
                // What an agent sends: an array (StepCommand.submit reads it as `--input` reads
                // `["a", "b"]`); "a, b" in a string is still read, as on the command line.
                p["type"] = .string("array"); p["items"] = .object([("type", .string("string"))])
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
        try candidates(ticket: ticket, only: visible, now: now).filter(\.applies).map { ($0.sop, $0.title) }
    }

    /// Every SOP that can start on a ticket (no lint errors; among `only` when given), whether
    /// its `applies_when` holds, and its title with its templates filled from the ticket; a ticket
    /// that does not fit the ticket schema is refused with its violations.
    public func candidates(ticket: JSONValue, only visible: Set<String>?, now: Int64) throws -> [(sop: String, title: String, applies: Bool)] {
        if let schema {
            let violations = schema.validate(ticket)
            if !violations.isEmpty {
                throw RunError.rejected(StepRejection("the ticket does not fit the ticket schema", instead: violations.map(\.description)))
            }
        }
        let context = EvaluationContext(ticket: schema?.value(of: ticket) ?? TicketSchema.untypedValue(ticket), now: now)
        return entries().compactMap { entry in
            guard let sop = entry.compiled, visible?.contains(sop.id) ?? true else { return nil }
            // The ticket is known: the title's templates are filled from it.
            let title = Template.render(sop.definition.title, in: context) ?? Template.withoutExpressions(sop.definition.title)
            return (sop.id, title, sop.applies(in: context))
        }
    }
}
