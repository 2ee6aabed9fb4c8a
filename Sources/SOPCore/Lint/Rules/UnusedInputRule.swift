import SOPDiagnostics

/// An input that no guard, value or template reads is asked for and then ignored.
struct UnusedInputRule: SOPRule {
    static let id = RuleID.unusedInput

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        for state in context.sop.states {
            for input in state.inputs where !context.inputsRead.contains(input.id.value) {
                sink.report(input.id.span, Self.id, "input '\(input.id.value)' of state '\(state.id.value)' is never read",
                            help: "use it in a guard, a 'set' or a template (input.\(input.id.value)), or remove it")
            }
        }
    }
}
