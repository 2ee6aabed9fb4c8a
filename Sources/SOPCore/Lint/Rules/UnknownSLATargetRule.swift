import SOPDiagnostics

/// `unknown-sla-target`: a transition reacts to `sla.ID.warning` or `sla.ID.breached`, and the
/// SOP's `sla` has no target ID; or a target that has no warning threshold is waited on for one.
public struct UnknownSLATargetRule: SOPRule {
    public static let id = RuleID("unknown-sla-target")
    public static let severity = Severity.error
    public static let summary = "A transition waits for `sla.ID.warning` or `sla.ID.breached` of a target the SOP's `sla` does not have (or that never warns)."
    public static let example = RuleExample(
        bad: #"""
                  - to: escalated
                    on: sla.first_reply.breached
            """#,
        good: #"""
                  - to: escalated
                    on: sla.first_response.breached
            """#)
    public static let details = """
        The clocks of the SOP's SLA targets send these events (docs/sla.md); a name that is not a
        target would never come. `warning` comes only from a target with a `warning` threshold.
        """

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        let targets = context.sop.sla?.targets ?? []
        for state in context.sop.states {
            for transition in state.transitions {
                guard let on = transition.on, let (id, event) = SLAEvent.parse(on.value) else { continue }
                guard let target = targets.first(where: { $0.id.value == id }) else {
                    let names = targets.map(\.id.value)
                    sink.report(on.span, Self.self, "'\(on.value)' names no SLA target of this SOP"
                                    + (names.isEmpty ? " (it has no 'sla')" : "; its targets are \(names.joined(separator: ", "))"),
                                help: Suggestions.didYouMean(id, in: names).map { "did you mean 'sla.\($0).\(event.rawValue)'?" }
                                    ?? "add the target under 'sla: targets:'")
                    continue
                }
                if event == .warning, target.warningPercent == nil {
                    sink.report(on.span, Self.self, "SLA target '\(id)' has no 'warning' threshold, so '\(on.value)' never comes",
                                help: "give the target a threshold, e.g. 'warning: 75%'")
                }
            }
        }
    }
}
