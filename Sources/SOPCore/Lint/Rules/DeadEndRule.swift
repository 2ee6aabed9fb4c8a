import SOPDiagnostics

/// A state without `end` and without transitions can never be left: the run would be stuck.
public struct DeadEndRule: SOPRule {
    public static let id = RuleID("dead-end")
    public static let severity = Severity.error
    public static let summary = "A state without `end` and without transitions: a run that enters it can never move on."
    public static let example = RuleExample(
        bad: #"""
              wait_for_customer:
                title: Wait for the customer's reply
                instructions: Nothing here moves the run on.
            """#,
        good: #"""
              wait_for_customer:
                title: Wait for the customer's reply
                instructions: Nothing here moves the run on.
                transitions:
                  - to: done
                    on: replied
            """#)

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        // A state with an error may have lost its transitions to it: that error is the finding.
        for (i, state) in context.sop.states.enumerated() where state.end == nil && state.transitions.isEmpty && !context.hasError(state: i) {
            let waiting = state.call != nil ? " (it calls '\(state.call!.value)' but has nothing to do when that ends)" : ""
            sink.report(state.id.span, Self.self, "state '\(state.id.value)' has no way out\(waiting)",
                        help: "add transitions, or make it terminal with 'end: OUTCOME'")
        }
    }
}
