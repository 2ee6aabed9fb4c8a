import SOPDiagnostics

/// A state that no path of transitions from `start` reaches is dead text.
struct UnreachableStateRule: SOPRule {
    static let id = RuleID.unreachableState

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        guard context.graph.index[context.sop.start.value] != nil else { return }  // unknown-state says why
        for (i, state) in context.sop.states.enumerated() where !context.graph.reachable[i] {
            sink.report(state.id.span, Self.id, "state '\(state.id.value)' cannot be reached from the start state '\(context.sop.start.value)'",
                        help: "add a transition to it, or remove it")
        }
    }
}
