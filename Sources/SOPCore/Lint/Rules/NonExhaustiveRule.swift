import SOPDiagnostics
import SOPExpression

/// When a state's automatic transitions all test one enum or boolean for equality, every value
/// should lead somewhere. If some value is not covered and the state has no other way on (no
/// unguarded automatic transition, no event, no timer), a run with that value silently waits.
/// Guards that mix the test with other conditions (`x == 'a' and y`) cover nothing for sure.
public struct NonExhaustiveRule: SOPRule {
    public static let id = RuleID("non-exhaustive")
    public static let severity = Severity.warning
    public static let summary = "Automatic guards over one enum or boolean leave values uncovered, and the state has no other way on."
    public static let example = RuleExample(
        bad: #"""
              route:
                title: Route by customer flag
                transitions:
                  - to: refund
                    when: ticket.conduct_flagged
            """#,
        good: #"""
              route:
                title: Route by customer flag
                transitions:
                  - to: refund
                    when: ticket.conduct_flagged
                  - to: replace
            """#)
    public static let details = """
        Only states whose transitions are all automatic are checked; an unguarded automatic
        transition, an event or a timer is a fallback. Choose by what the state should do with an
        uncovered value: wait for someone (an event, `on:`), wait for time (a timer, `after:`), or
        move on at once (an unguarded automatic transition, which skips any wait). A guard that mixes the test with other
        conditions covers nothing for sure. Null is not counted as a value (required inputs are
        always given).
        """

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        for (s, state) in context.sop.states.enumerated() where !context.hasError(state: s) {
            let autos = state.transitions.indices.filter { state.transitions[$0].isAutomatic }
            guard !autos.isEmpty, autos.count == state.transitions.count else { continue }
            var subject: String?
            var subjectExpr: Expr?
            var covered = Set<String>()
            var consistent = true
            for t in autos {
                guard let expr = context.guards[s, t] else { consistent = false; break }  // unguarded or unparsable
                guard let test = Self.pureTest(expr) else { continue }
                if let subject, subject != test.subject.description { consistent = false; break }
                subject = test.subject.description
                subjectExpr = test.subject
                covered.formUnion(test.values)
            }
            guard consistent, let subjectExpr, let subject else { continue }
            var checker = TypeChecker(environment: context.environment)
            let all: [String]
            switch checker.check(subjectExpr) {
            case .enumeration(let values): all = values
            case .boolean: all = ["true", "false"]
            default: continue
            }
            let uncovered = all.filter { !covered.contains($0) }
            guard !uncovered.isEmpty else { continue }
            let list = uncovered.map { "'\($0)'" }.joined(separator: ", ")
            // The guard to write, so the help alone leads to the fix.
            let guardText: String
            switch (all == ["true", "false"], uncovered) {
            case (true, ["true"]): guardText = subject
            case (true, _): guardText = "not \(subject)"
            case (false, let values) where values.count == 1: guardText = "\(subject) == \(list)"
            default: guardText = "\(subject) in [\(list)]"
            }
            sink.report(state.id.span, Self.self,
                        "the automatic transitions of state '\(state.id.value)' do not cover \(subject) = \(list), and the state has no fallback",
                        help: "add a transition with 'when: \(guardText)', or a fallback: to wait (for someone to act, or for time) "
                            + "an event (on: EVENT) or a timer (after: 24h) counts as one; an unguarded automatic transition (no 'when') "
                            + "only if the run should move on at once")
        }
    }

    /// `x == 'v'`, `'v' == x`, `x in ['a', 'b']`, `x == true`, a boolean path `x`, `not x`, and
    /// `or` of tests on one subject: the subject and the values for which the guard holds.
    static func pureTest(_ expr: Expr) -> (subject: Expr, values: Set<String>)? {
        switch expr {
        case .binary(.equal, let l, let r, _):
            if case .path = l, let v = literalText(r) { return (l, [v]) }
            if case .path = r, let v = literalText(l) { return (r, [v]) }
        case .binary(.in, let l, .list(let items, _), _):
            guard case .path = l else { return nil }
            let values = items.compactMap(literalText)
            return values.count == items.count ? (l, Set(values)) : nil
        case .binary(.or, let l, let r, _):
            guard let a = pureTest(l), let b = pureTest(r), a.subject == b.subject else { return nil }
            return (a.subject, a.values.union(b.values))
        case .path:
            return (expr, ["true"])
        case .unary(.not, let inner, _):
            if case .path = inner { return (inner, ["false"]) }
        default:
            break
        }
        return nil
    }

    private static func literalText(_ e: Expr) -> String? {
        switch e {
        case .literal(.string(let s), _): return s
        case .literal(.boolean(let b), _): return b ? "true" : "false"
        default: return nil
        }
    }
}
