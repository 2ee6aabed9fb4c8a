import SOPDiagnostics

/// `start` and every transition's `to` must name a state of the SOP.
struct UnknownStateRule: SOPRule {
    static let id = RuleID.unknownState

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        let sop = context.sop
        func verify(_ ref: Located<String>, _ what: String) {
            guard context.graph.index[ref.value] == nil else { return }
            let names = sop.states.map(\.id.value)
            sink.report(ref.span, Self.id, "\(what) '\(ref.value)' is not a state of this SOP",
                        help: Suggestions.didYouMean(ref.value, in: names)
                            ?? "the states are " + names.map { "'\($0)'" }.joined(separator: ", "))
        }
        verify(sop.start, "start state")
        // The graph has looked every target up already: only a broken state has one to report.
        for (i, state) in sop.states.enumerated() where context.graph.broken[i] {
            for transition in state.transitions {
                verify(transition.to, "transition target")
            }
        }
    }
}
