import SOPDiagnostics

/// A state without `end` and without transitions can never be left: the run would be stuck.
struct DeadEndRule: SOPRule {
    static let id = RuleID.deadEnd

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        for state in context.sop.states where state.end == nil && state.transitions.isEmpty {
            let waiting = state.call != nil ? " (it calls '\(state.call!.value)' but has nothing to do when that ends)" : ""
            sink.report(state.id.span, Self.id, "state '\(state.id.value)' has no way out\(waiting)",
                        help: "add transitions, or make it terminal with 'end: OUTCOME'")
        }
    }
}
