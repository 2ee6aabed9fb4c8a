import SOPDiagnostics

/// A state that no path of transitions from `start` reaches is dead text.
public struct UnreachableStateRule: SOPRule {
    public static let id = RuleID("unreachable-state")
    public static let severity = Severity.warning
    public static let summary = "A state that no path from `start` reaches."
    public static let example = RuleExample(
        bad: #"""
              escalate:
                title: Escalate (nothing leads here)
                transitions:
                  - to: closed
                    on: close
            """#,
        good: "")

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        guard context.graph.index[context.sop.start.value] != nil else { return }  // unknown-state says why
        // A reachable state with an error may have lost the transition that reaches the others.
        guard !context.reachableStateHasError else { return }
        // So may a transition of a reachable state whose `to:` names no state (`unknown-state`
        // says so): a misspelt target is most often the way to the state that looks unreachable.
        let sop = context.sop
        guard !sop.states.indices.contains(where: { i in
            context.graph.reachable[i] && sop.states[i].transitions.contains { sop.state($0.to.value) == nil }
        }) else { return }
        for (i, state) in context.sop.states.enumerated() where !context.graph.reachable[i] {
            sink.report(state.id.span, Self.self, "state '\(state.id.value)' cannot be reached from the start state '\(context.sop.start.value)'",
                        help: "add a transition 'to: \(state.id.value)' in a state the run reaches, or remove the state")
        }
    }
}
