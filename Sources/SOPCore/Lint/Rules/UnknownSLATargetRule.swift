import SOPDiagnostics

/// `unknown-sla-target`: a transition reacts to `sla.ID.warning` or `sla.ID.breached`, and the
/// SOP's `sla` has no target ID; or a target that has no warning threshold is waited on for one;
/// or an event under `sla.` that no SLA clock sends (`sla.response.breach`).
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
        Events under `sla.` are the clocks' alone: any other name there (`sla.response.breach`)
        would never come either, and the closest event the clocks send is suggested.
        """

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        let targets = context.sop.sla?.targets ?? []
        for state in context.sop.states {
            for transition in state.transitions {
                guard let on = transition.on, SLAEvent.isSLAName(on.value) else { continue }
                guard let (id, event) = SLAEvent.parse(on.value) else {
                    // Not of the shape sla.TARGET.warning|breached: suggest from the events the clocks send.
                    let sent = targets.flatMap { t in
                        ["sla.\(t.id.value).breached"] + (t.warningPercent == nil ? [] : ["sla.\(t.id.value).warning"])
                    }
                    sink.report(on.span, Self.self, "'\(on.value)' is not an event of this SOP's SLA clocks"
                                    + (sent.isEmpty ? " (it has no 'sla')" : "; they send \(sent.joined(separator: ", "))"),
                                help: Suggestions.didYouMean(on.value, in: sent)
                                    ?? "SLA clocks send sla.TARGET.warning and sla.TARGET.breached")
                    continue
                }
                guard let target = targets.first(where: { $0.id.value == id }) else {
                    let names = targets.map(\.id.value)
                    sink.report(on.span, Self.self, "'\(on.value)' names no SLA target of this SOP"
                                    + (names.isEmpty ? " (it has no 'sla')" : "; its targets are \(names.joined(separator: ", "))"),
                                help: Suggestions.didYouMean(id, in: names).map { "did you mean 'sla.\($0).\(event.rawValue)'?" }
                                    ?? (names.isEmpty ? "add the target under 'sla: targets:'"
                                        : "write " + names.map { "'sla.\($0).\(event.rawValue)'" }.joined(separator: " or ")
                                            + ", or add the target under 'sla: targets:'"))
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
