import SOPDiagnostics

/// A terminal state (`end`) ends the run: it cannot also have transitions, a call or inputs.
struct EndWithTransitionsRule: SOPRule {
    static let id = RuleID.endWithTransitions

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        let sop = context.sop
        for state in sop.states {
            guard let end = state.end else { continue }
            var extras: [String] = []
            if !state.transitions.isEmpty { extras.append("transitions") }
            if state.call != nil { extras.append("a call") }
            if !state.inputs.isEmpty { extras.append("inputs") }
            guard !extras.isEmpty else { continue }
            sink.report(end.span, Self.id,
                        "state '\(state.id.value)' ends the SOP with outcome '\(end.value)' but also has \(extras.joined(separator: " and "))",
                        help: "remove 'end' to keep the state going, or remove its \(extras.joined(separator: " and "))")
        }
    }
}
