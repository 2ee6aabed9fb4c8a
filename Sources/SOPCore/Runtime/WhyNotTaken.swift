import SOPExpression

extension Engine {
    /// Why a run in its current state has not left it, transition by transition (those toward
    /// `target` first): unticked checklist items, required inputs not given, the first condition
    /// of the guard that does not hold, a timer that is not set or not yet due. A failing
    /// scenario test prints it under "expected state X, got Y" (docs/scenario-tests.md).
    public func whyNotTaken(_ run: RunState, toward target: String?, now: Int64) -> [String] {
        guard !run.isEnded, let state = sop.state(run.state) else { return [] }
        let ordered = state.transitions.filter { $0.definition.to.value == target }
            + state.transitions.filter { $0.definition.to.value != target }
        let context = evaluationContext(run, now: now)
        let unticked = state.checklist.indices.filter { !run.confirmed.contains($0) }.map { "\($0 + 1). \(state.checklist[$0])" }
        var lines: [String] = []
        for t in ordered {
            var reasons: [String] = []
            let kind: String
            if let event = t.event {
                kind = "on event '\(event)'"
                reasons.append("the event '\(event)' was not sent")
                if !unticked.isEmpty { reasons.append("checklist items not ticked: " + unticked.joined(separator: "; ")) }
            } else if t.definition.after != nil {
                kind = "timer after \(t.definition.timerText ?? "")"
                if let due = timerDue(t, of: run, timerContext(run)) {
                    if due > now { reasons.append("not yet due: due at \(CivilTime.formatDateTime(due))") }
                } else {
                    reasons.append("no timer is set: its length is not a duration (a ticket field it reads is empty?)")
                }
            } else {
                kind = "automatic"
                if !unticked.isEmpty { reasons.append("checklist items not ticked: " + unticked.joined(separator: "; ")) }
                let missing = state.requiredInputs.filter { !run.submitted.contains($0) }
                if !missing.isEmpty { reasons.append("inputs not given: " + missing.joined(separator: ", ")) }
            }
            if let failed = failedCondition(t, context) { reasons.append("`\(failed)` does not hold") }
            if run.child != nil, t.isAutomatic { reasons.append("the state waits for its child run \(run.child!) to end") }
            guard !reasons.isEmpty else { continue }
            lines.append("to '\(t.definition.to.value)' (\(kind)): " + reasons.joined(separator: "; "))
        }
        return lines
    }

    /// What to write in the scenario test to take the transition toward `target` (the first way
    /// out when no transition leads there): the help line under the reasons `whyNotTaken` gives.
    /// Nil when nothing a test step writes would help (a child run, or no way out at all).
    public func whyNotTakenHelp(_ run: RunState, toward target: String?, now: Int64) -> String? {
        guard !run.isEnded, let state = sop.state(run.state),
              let t = state.transitions.first(where: { $0.definition.to.value == target }) ?? state.transitions.first
        else { return nil }
        let needsChecklist = t.definition.after == nil && state.checklist.indices.contains { !run.confirmed.contains($0) }
        if needsChecklist { return "tick the checklist in the step: check: all (or the items' numbers, e.g. check: [1])" }
        if let event = t.event { return "send the event in a step: event: \(event)" }
        if t.definition.after != nil {
            guard let due = timerDue(t, of: run, timerContext(run)) else {
                return "give the ticket field the timer reads a value, in the case's ticket or a ticket step"
            }
            return "move the clock to the timer in a step: advance: \(DurationFormat.format(max(1000, (due - now + 999) / 1000 * 1000)))"
        }
        let missing = state.requiredInputs.filter { !run.submitted.contains($0) }
        if !missing.isEmpty {
            return "give them in the step: input: {" + missing.map { "\($0): …" }.joined(separator: ", ") + "}"
        }
        if let failed = failedCondition(t, evaluationContext(run, now: now)) {
            return "make `\(failed)` hold: change the step's inputs or the case's ticket, or expect the state the run is in"
        }
        return nil
    }

    /// The first conjunct of the guard's top-level `and` chain that does not hold now (the
    /// whole guard when it is no chain); nil when the guard holds or there is none.
    private func failedCondition(_ t: CompiledTransition, _ context: EvaluationContext) -> String? {
        guard let condition = t.condition, let when = t.definition.when else { return nil }
        if case .success(true) = Result(catching: { () throws(EvaluationError) in try condition.holds(context) }) { return nil }
        guard let expression = CompiledSOP.expression(when) else { return when.text }
        for conjunct in expression.conjuncts(in: when.text) {
            let compiled = Evaluator.compile(conjunct.expression)
            if case .success(true) = Result(catching: { () throws(EvaluationError) in try compiled.holds(context) }) { continue }
            return conjunct.text
        }
        return when.text
    }
}
