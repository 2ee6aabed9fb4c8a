import SOPDiagnostics

/// An input that no guard, value or template reads is asked for and then ignored. An optional
/// free-text input (`type: string`, `required: false`) is a note: the journal records it for
/// the audit trail, and that is its use, so it needs no reader.
public struct UnusedInputRule: SOPRule {
    public static let id = RuleID("unused-input")
    public static let severity = Severity.warning
    public static let summary = "An input that no expression reads."
    public static let example = RuleExample(
        bad: #"""
                  note: {type: string, prompt: Anything else?}
            """#,
        good: "")
    public static let details = """
        An optional free-text input (`type: string` with `required: false`) is not reported: it is
        a note the agent may leave, recorded in the run's journal with the step for the audit
        trail, and being recorded is its use. Any other input (a required string, a number, an
        enum…) that nothing reads is asked for and then ignored.
        """

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        for state in context.sop.states {
            for input in state.inputs where !context.inputsRead.contains(input.id.value) && !Self.isNote(input) {
                sink.report(input.id.span, Self.self, "input '\(input.id.value)' of state '\(state.id.value)' is never read",
                            help: "use it in a guard, a 'set' or a template (input.\(input.id.value)), or remove it")
            }
        }
    }

    /// An optional free-text input: a note for the journal.
    static func isNote(_ input: InputSpec) -> Bool { input.type == .string && !input.required }
}
