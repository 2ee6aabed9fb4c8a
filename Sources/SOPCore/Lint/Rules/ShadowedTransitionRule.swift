import SOPDiagnostics

/// Transitions are tried in document order, so one that follows an unguarded transition with the
/// same trigger (the same event, the same timer, or both automatic) can never be taken.
struct ShadowedTransitionRule: SOPRule {
    static let id = RuleID.shadowedTransition

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        for state in context.sop.states {
            var unguarded: [String: Int] = [:]
            for (i, transition) in state.transitions.enumerated() {
                let trigger = Self.trigger(transition)
                if let earlier = unguarded[trigger.key] {
                    sink.report(transition.span, Self.id,
                                "this transition can never be taken: transition \(earlier + 1) of state '\(state.id.value)' has the same trigger (\(trigger.description)) and no guard",
                                help: "move it above, or give transition \(earlier + 1) a 'when' guard")
                    continue
                }
                if transition.when == nil || Self.isLiteralTrue(transition.when!.text) {
                    unguarded[trigger.key] = i
                }
            }
        }
    }

    /// `true` or `${{ true }}`, spaces aside: a guard that always holds.
    static func isLiteralTrue(_ text: String) -> Bool {
        let compact = text.utf8.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A }
        return compact.elementsEqual("true".utf8) || compact.elementsEqual("${{true}}".utf8)
    }

    static func trigger(_ t: TransitionDefinition) -> (key: String, description: String) {
        if let on = t.on { return ("on:" + on.value, "event '\(on.value)'") }
        if let after = t.after { return ("after:" + after.text, "timer \(after.text)") }
        return ("auto", "automatic")
    }
}
