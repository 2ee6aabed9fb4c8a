import SOPDiagnostics

/// A terminal state (`end`) ends the run: it cannot also have transitions, a call or inputs.
public struct EndWithTransitionsRule: SOPRule {
    public static let id = RuleID("end-with-transitions")
    public static let severity = Severity.error
    public static let summary = "A terminal state (`end`) that also has transitions, a call or inputs."
    public static let example = RuleExample(
        bad: #"""
                end: resolved
                inputs:
                  note: {type: string}
                transitions:
                  - to: a
                    on: reopen
            """#,
        good: #"""
                end: resolved
            """#)
    public static let details = """
        Remove `end` to keep the state going, or remove what follows it.
        """

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        let sop = context.sop
        for state in sop.states {
            guard let end = state.end else { continue }
            var extras: [String] = []
            if !state.transitions.isEmpty { extras.append("transitions") }
            if state.call != nil { extras.append("a call") }
            if !state.inputs.isEmpty { extras.append("inputs") }
            guard !extras.isEmpty else { continue }
            sink.report(end.span, Self.self,
                        "state '\(state.id.value)' ends the SOP with outcome '\(end.value)' but also has \(extras.joined(separator: " and "))",
                        help: "remove 'end' to keep the state going, or remove its \(extras.joined(separator: " and "))")
        }
    }
}
