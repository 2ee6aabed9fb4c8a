import SOPDiagnostics
import SOPExpression

/// An automatic transition is tried when something happens in the run (entering the state, an
/// input, a checklist confirmation, a ticket update, a child's end), never as time passes. So a
/// guard that reads the time (`now`, `today()`, `days_since(…)`, `hours_since(…)`) in a state
/// with no timer turns true while nothing checks it, and the run waits for ever. The fix is a
/// timer that falls due when the condition turns true.
public struct TimeGuardWithoutTimerRule: SOPRule {
    public static let id = RuleID("time-guard-without-timer")
    public static let severity = Severity.warning
    public static let summary = "An automatic transition's guard reads the time (`now`, `today()`, `days_since`…) in a state with no timer: nothing re-checks it as time passes."
    public static let example = RuleExample(
        bad: #"""
              - to: expired
                when: ticket.created_at < now - 30d
        """#,
        good: #"""
              - to: expired
                after: ${{ ticket.created_at + 30d - now }}
        """#)
    public static let details = """
        The guard is tried only when something else happens in the run, so a run may wait for
        ever although the condition holds. Turn it into a timer that falls due when the condition
        turns true: a computed timer from the ticket field (`after: ${{ ticket.created_at + 30d -
        now }}`, where `now` is the time the state was entered; docs/format.md, "Deadlines from
        ticket fields"), or, when no single moment can be computed, a fixed timer (`after: 1d`)
        to a state that checks again. Not reported: a state with a timer (it is re-checked when
        the timer falls due) or an unguarded automatic transition (it never waits), and a guard
        that time can only turn false (`days_since(x) <= 30`: a window that closes).
        """

    /// The functions that read the clock.
    static let clockFunctions: Set<String> = ["today", "days_since", "hours_since"]

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        for (s, state) in context.sop.states.enumerated() where !context.hasError(state: s) {
            // A timer re-checks the state; an unguarded automatic transition means it never waits.
            guard !state.transitions.contains(where: { $0.after != nil || ($0.isAutomatic && $0.when == nil) }) else { continue }
            for (t, transition) in state.transitions.enumerated() where transition.isAutomatic {
                guard let guardExpr = context.guards[s, t], let when = transition.when,
                      let clock = Self.clockRead(guardExpr), Self.mayTurnTrue(guardExpr, negated: false) else { continue }
                sink.report(when.span, Self.self,
                            "the guard reads \(clock), but state '\(state.id.value)' has no timer: it is checked only when something else happens in the run, never as time passes, so the run may wait for ever",
                            help: Self.help(guardExpr, context))
            }
        }
    }

    /// Whether the guard may turn from false to true as time passes and nothing else changes:
    /// `days_since(x) > 30` may, `days_since(x) <= 30` only turns false (a window that closes
    /// cannot trap a run that waits). When the direction is not known, it may.
    static func mayTurnTrue(_ e: Expr, negated: Bool) -> Bool {
        switch e {
        case .unary(.not, let inner, _):
            return mayTurnTrue(inner, negated: !negated)
        case .binary(.and, let l, let r, _), .binary(.or, let l, let r, _):
            return mayTurnTrue(l, negated: negated) || mayTurnTrue(r, negated: negated)
        case .binary(let op, let l, let r, _) where [.less, .lessEqual, .greater, .greaterEqual].contains(op):
            guard clockRead(e) != nil else { return false }
            guard let a = trend(l), let b = trend(r) else { return true }
            guard a != b else { return false }
            // The right side grows against the left: `l < r` turns true, `l > r` turns false.
            let rightGrows = b > a
            let turnsTrue = (op == .less || op == .lessEqual) ? rightGrows : !rightGrows
            return negated ? !turnsTrue : turnsTrue
        default:
            return clockRead(e) != nil
        }
    }

    /// How a value moves as time passes: 1 it grows, -1 it shrinks, 0 it stays; nil not known.
    static func trend(_ e: Expr) -> Int? {
        switch e {
        case .path(.now, _, _): return 1
        case .path, .literal, .param: return 0
        case .call(let name, let args, _):
            if clockFunctions.contains(name) { return 1 }  // today(), days_since(x), hours_since(x) grow
            if (name == "date" || name == "datetime"), let arg = args.first { return trend(arg) }
            return clockRead(e) == nil ? 0 : nil
        case .unary(.negate, let inner, _):
            return trend(inner).map { -$0 }
        case .binary(let op, let l, let r, _) where op == .plus || op == .minus:
            guard let a = trend(l), var b = trend(r) else { return nil }
            if op == .minus { b = -b }
            if a == 0 { return b }
            if b == 0 || a == b { return a }
            return nil
        default:
            return clockRead(e) == nil ? 0 : nil
        }
    }

    /// What in the expression reads the clock (`now`, `today()`…), or nil.
    static func clockRead(_ e: Expr) -> String? {
        var found: String?
        e.forEachNode { node in
            guard found == nil else { return }
            switch node {
            case .path(.now, _, _): found = "now"
            case .call(let name, _, _) where clockFunctions.contains(name): found = "\(name)()"
            default: break
            }
        }
        return found
    }

    /// The fix, written with the first date or datetime field the guard reads when there is one.
    static func help(_ e: Expr, _ context: RuleContext) -> String {
        var field: (path: String, isDate: Bool)?
        e.forEachNode { node in
            guard field == nil, case .path(let root, let segments, _) = node, root != .now, segments.count > 0 else { return }
            var checker = TypeChecker(environment: context.environment)
            switch checker.check(node) {
            case .date: field = (node.description, true)
            case .datetime: field = (node.description, false)
            default: break
            }
        }
        let timer = field.map { "after: ${{ \($0.isDate ? "datetime(\($0.path))" : $0.path) + 30d - now }}" } ?? "after: 1d"
        return "make it a timer that falls due when the condition turns true, e.g. '\(timer)' (now is when the state was entered), "
            + "or add a fixed timer (after: 1d) to a state that checks again"
    }
}
