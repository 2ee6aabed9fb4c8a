import SOPDiagnostics

/// Transitions are tried in document order, so one that follows an unguarded transition with the
/// same trigger (the same event, the same timer, or both automatic) can never be taken.
public struct ShadowedTransitionRule: SOPRule {
    public static let id = RuleID("shadowed-transition")
    public static let severity = Severity.warning
    public static let summary = "A transition after an unguarded one with the same trigger: it can never be taken."
    public static let example = RuleExample(
        bad: #"""
                  - to: approved
                    on: decide
                  - to: denied
                    on: decide
                    when: ticket.priority == 'low'
            """#,
        good: #"""
                  - to: denied
                    on: decide
                    when: ticket.priority == 'low'
                  - to: approved
                    on: decide
            """#)
    public static let details = """
        A guard of literally `true` counts as no guard. Timers shadow each other when their `after`
        is written the same.
        """

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        // A state with an error of its own may have lost a guard (a misspelt 'when'): what looks
        // unguarded there is not known to be (docs/decisions.md, "Knock-on findings").
        for (s, state) in context.sop.states.enumerated() where !context.hasError(state: s) {
            let transitions = state.transitions
            // Indices of the unguarded transitions seen so far (states have a handful of transitions).
            var unguarded: [Int] = []
            for (i, transition) in transitions.enumerated() {
                if let earlier = unguarded.first(where: { Self.sameTrigger(transitions[$0], transition) }) {
                    sink.report(transition.span, Self.self,
                                "this transition can never be taken: transition \(earlier + 1) of state '\(state.id.value)' has the same trigger (\(Self.describeTrigger(transition))) and no guard",
                                help: "move it above, or give transition \(earlier + 1) a 'when' guard")
                    continue
                }
                if transition.when == nil || Self.isLiteralTrue(transition.when!.text) {
                    if unguarded.isEmpty { unguarded.reserveCapacity(transitions.count - i) }
                    unguarded.append(i)
                }
            }
        }
    }

    /// `true` or `${{ true }}`, spaces aside: a guard that always holds.
    static func isLiteralTrue(_ text: String) -> Bool {
        let compact = text.utf8.lazy.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A }
        return compact.elementsEqual("true".utf8) || compact.elementsEqual("${{true}}".utf8)
    }

    /// The same event, the same timer text, or both automatic.
    static func sameTrigger(_ a: TransitionDefinition, _ b: TransitionDefinition) -> Bool {
        if let x = a.on { return b.on?.value == x.value }
        if let x = a.after { return b.on == nil && b.after?.text == x.text && b.business?.calendar.value == a.business?.calendar.value }
        return b.on == nil && b.after == nil
    }

    static func describeTrigger(_ t: TransitionDefinition) -> String {
        if let on = t.on { return "event '\(on.value)'" }
        if let timer = t.timerText { return "timer \(timer)" }
        return "automatic"
    }
}
