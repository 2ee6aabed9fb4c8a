import SOPDiagnostics
import SOPExpression
import SOPYAML

/// Checks a scenario test file against the SOP it tests: the SOP, its states, events, inputs,
/// variables, outcomes and roles, and the ticket fields of the schema must all exist.
struct ScenarioLint {
    let index: [String: SOPIndexEntry]
    let ticketType: ExprType?

    func check(_ file: ScenarioFile, into sink: inout DiagnosticSink) {
        guard let tested = index[file.sop.value] else {
            sink.reportMisspelt(file.sop, UnknownSOPRule.self, "'\(file.sop.value)' is not an SOP of the linted set",
                                candidates: index.keys.sorted(), otherwise: "lint the SOP together with its tests")
            return
        }
        let called = SOPIndexEntry(merging: tested.calls.compactMap { index[$0] }, fallback: tested)
        for c in file.cases {
            if let ticket = c.ticket { ticketFields(ticket, into: &sink) }
            for step in c.steps {
                // A `run: child` step goes to a run of one of the SOPs the tested SOP calls.
                let sop = step.toChild ? called : tested
                for (input, _) in step.inputs where !sop.inputs.contains(input.value) {
                    sink.reportMisspelt(input, UnknownInputRule.self, "input '\(input.value)' is not declared by SOP '\(sop.id)'",
                                        candidates: sop.inputs, otherwise: "its inputs are " + sop.inputs.joined(separator: ", "))
                }
                switch step.action {
                case .event(let event) where !sop.events.contains(event.value):
                    sink.reportMisspelt(event, UnknownKeyRule.self, "event '\(event.value)' is not an event of SOP '\(sop.id)'",
                                        candidates: sop.events, otherwise: "its events are " + sop.events.joined(separator: ", "))
                case .ticket(let patch):
                    ticketFields(patch, into: &sink)
                default:
                    break
                }
                if let role = step.actor?.role, !sop.roles.contains(role.value), role.value != "system" {
                    sink.report(role.span, UnknownRoleRule.self, "role '\(role.value)' is not a role of SOP '\(sop.id)'",
                                help: Suggestions.didYouMean(role.value, in: sop.roles + ["system"]))
                }
                if let expect = step.expect { expectation(expect, sop, into: &sink) }
            }
            if let expect = c.expect { expectation(expect, tested, into: &sink) }
        }
    }

    private func expectation(_ e: ScenarioExpectation, _ sop: SOPIndexEntry, into sink: inout DiagnosticSink) {
        for state in (e.state.map { [$0] } ?? []) + (e.path ?? []) where !sop.states.contains(state.value) {
            sink.reportMisspelt(state, UnknownStateRule.self, "'\(state.value)' is not a state of SOP '\(sop.id)'",
                                candidates: sop.states, otherwise: nil)
        }
        if let outcome = e.outcome, !sop.outcomes.contains(outcome.value) {
            sink.report(outcome.span, UnknownOutcomeRule.self, "SOP '\(sop.id)' never ends with outcome '\(outcome.value)'; its outcomes are \(sop.outcomes.joined(separator: ", "))",
                        help: Suggestions.didYouMean(outcome.value, in: sop.outcomes))
        }
        for pair in e.vars?.mapping ?? [] {
            guard let name = pair.key.scalar?.text, !sop.vars.contains(name) else { continue }
            sink.report(pair.key.span, UnknownVariableRule.self, "variable '\(name)' is not declared by SOP '\(sop.id)'",
                        help: Suggestions.didYouMean(name, in: sop.vars))
        }
        if let ticket = e.ticket { ticketFields(ticket, into: &sink) }
    }

    /// Every key of a ticket (or patch, or expected subset) must be a field of the schema.
    private func ticketFields(_ node: YAMLNode, into sink: inout DiagnosticSink) {
        guard let ticketType else { return }
        func walk(_ node: YAMLNode, _ type: ExprType, _ prefix: String) {
            if case .map(let element) = type, let pairs = node.mapping {
                // Any key is a field; its value has the element's type.
                for pair in pairs { walk(pair.value, element, prefix + "." + (pair.key.scalar?.text ?? "?")) }
                return
            }
            guard case .object(let fields) = type, let pairs = node.mapping else { return }
            for pair in pairs {
                guard let name = pair.key.scalar?.text else { continue }
                guard let fieldType = fields[name] else {
                    sink.report(pair.key.span, UnknownFieldRule.self, "'\(prefix).\(name)' is not a field of the ticket schema",
                                help: Suggestions.didYouMean(name, in: fields.keys.sorted()))
                    continue
                }
                walk(pair.value, fieldType, prefix + "." + name)
            }
        }
        walk(node, ticketType, "ticket")
    }
}

extension SOPIndexEntry {
    /// The union of several SOPs' names, for steps that may go to any of them.
    init(merging entries: [SOPIndexEntry], fallback: SOPIndexEntry) {
        guard let first = entries.first else { self = fallback; return }
        self = first
        id = entries.map(\.id).joined(separator: "/")
        for e in entries.dropFirst() {
            outcomes += e.outcomes; states += e.states; events += e.events; inputs += e.inputs; vars += e.vars; roles += e.roles
        }
    }
}
