import SOPDiagnostics

/// An input that no guard, value or template reads is asked for and then ignored.
public struct UnusedInputRule: SOPRule {
    public static let id = RuleID("unused-input")
    public static let severity = Severity.warning
    public static let summary = "An input that no expression reads."
    public static let example = RuleExample(
        bad: #"""
                  note: {type: string, prompt: Anything else?}
            """#,
        good: "")

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        for state in context.sop.states {
            for input in state.inputs where !context.inputsRead.contains(input.id.value) {
                sink.report(input.id.span, Self.self, "input '\(input.id.value)' of state '\(state.id.value)' is never read",
                            help: "use it in a guard, a 'set' or a template (input.\(input.id.value)), or remove it")
            }
        }
    }
}
