import SOPDiagnostics

/// `start` and every transition's `to` must name a state of the SOP.
public struct UnknownStateRule: SOPRule {
    public static let id = RuleID("unknown-state")
    public static let severity = Severity.error
    public static let summary = "`start`, a transition's `to` or an SLA target's `start`, `pause` or `stop` names no state of the SOP."
    public static let example = RuleExample(
        bad: #"""
                  - to: refnd
            """#,
        good: #"""
                  - to: refund
            """#)

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        let sop = context.sop
        func verify(_ ref: Located<String>, _ what: String) {
            guard context.graph.index[ref.value] == nil else { return }
            let names = sop.states.map(\.id.value)
            sink.reportMisspelt(ref, Self.self, "\(what) '\(ref.value)' is not a state of this SOP", candidates: names,
                                otherwise: "the states are " + names.map { "'\($0)'" }.joined(separator: ", "))
        }
        verify(sop.start, "start state")
        for target in sop.sla?.targets ?? [] {
            for (list, key) in [(target.start, "start"), (target.pause, "pause"), (target.stop, "stop")] {
                for state in list { verify(state, "SLA target '\(target.id.value)': '\(key)' state") }
            }
        }
        // The graph has looked every target up already: only a broken state has one to report.
        for (i, state) in sop.states.enumerated() where context.graph.broken[i] {
            for transition in state.transitions {
                verify(transition.to, "transition target")
            }
        }
    }
}
