import SOPDiagnostics

/// From every reachable state some end state must be reachable. States caught in a loop with no
/// way to an end form a trap; the diagnostic names all of its states. (States that only lead
/// into a dead end are left to `dead-end`, which already explains them.)
public struct NoTerminalRule: SOPRule {
    public static let id = RuleID("no-terminal")
    public static let severity = Severity.error
    public static let summary = "Reachable states caught in a loop from which no end state can be reached."
    public static let example = RuleExample(
        bad: #"""
              investigate:
                title: Investigate
                transitions:
                  - to: ask_customer
                    on: need_info
            """#,
        good: #"""
              investigate:
                title: Investigate
                transitions:
                  - to: ask_customer
                    on: need_info
                  - to: closed
                    on: close
            """#)
    public static let details = """
        States that only lead into a dead end, or through a transition to an unknown state, are left
        to those rules so one mistake is reported once.
        """

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        let sop = context.sop, graph = context.graph
        // Dead ends and transitions to unknown states are reported by their own rules; treat them
        // as ways out so one mistake does not cascade.
        // A state with an error of its own may have lost the transition that leads on: likewise.
        let sinks = sop.states.indices.map { graph.broken[$0] || sop.states[$0].end != nil || sop.states[$0].transitions.isEmpty
            || context.hasError(state: $0) }
        let escapes = graph.canReach(sinks)
        let trapped = sop.states.indices.filter { graph.reachable[$0] && !escapes[$0] }
        guard let first = trapped.first else { return }
        let names = trapped.map { "'\(sop.states[$0].id.value)'" }
        let hasEnd = sop.states.contains { $0.end != nil }
        sink.report(sop.states[first].id.span, Self.self,
                    hasEnd ? "no end state can be reached from \(names.count == 1 ? "state" : "states") \(names.joined(separator: ", "))"
                           : "this SOP has no end state, so no run can finish",
                    help: hasEnd ? "add a transition from one of them towards an end state"
                                 : "mark the final state with 'end: OUTCOME'")
    }
}
