import SOPDiagnostics
import SOPExpression

/// A computed timer (`after: ${{ … }}`) whose length reads a ticket field the ticket schema does
/// not always provide (not required, or allowed to be null): on a ticket without it the length
/// is not a duration, no timer is set, and nothing says so; the run waits for its other ways out.
/// A fixed or business timer in the same state is a fallback, so that state is not reported.
public struct OptionalTimerFieldRule: SOPRule {
    public static let id = RuleID("optional-timer-field")
    public static let severity = Severity.warning
    public static let summary = "A computed timer reads a ticket field the ticket schema does not require (or allows to be null): without it, no timer is set, silently."
    public static let example = RuleExample(
        bad: #"""
              - to: chase
                after: ${{ ticket.created_at + 48h - now }}
        """#,
        good: #"""
              - to: chase
                after: ${{ ticket.created_at + 48h - now }}
              - to: chase
                after: 72h
        """#)
    public static let details = """
        When the field is missing or null, the timer's length is null, not a duration, and the
        run gets no timer (docs/format.md, "Deadlines from ticket fields"). Make the field
        required (and not null) in the ticket schema, or add a fixed timer to the state as a
        fallback: timers are taken earliest first, so the fallback only fires when the deadline
        is later or absent. A field the schema does not define is `unknown-field`.
        """

    public init() {}

    /// The paths whose absence makes the length null: those reached through arithmetic, `date()`,
    /// `datetime()` and either branch of `if()` (not its condition, nor other functions, which
    /// decide their own answer for null).
    static func nullWhenMissing(_ e: Expr) -> [Expr] {
        switch e {
        case .path: return [e]
        case .binary(let op, let l, let r, _) where [.plus, .minus, .times, .divide, .remainder].contains(op):
            return nullWhenMissing(l) + nullWhenMissing(r)
        case .unary(.negate, let inner, _): return nullWhenMissing(inner)
        case .call("if", let args, _) where args.count == 3: return nullWhenMissing(args[1]) + nullWhenMissing(args[2])
        case .call(let name, let args, _) where name == "date" || name == "datetime": return args.flatMap(nullWhenMissing)
        default: return []
        }
    }

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        guard let schema = context.ticketSchema else { return }
        for (s, state) in context.sop.states.enumerated() where !context.hasError(state: s) {
            let hasFixedTimer = state.transitions.contains { t in
                guard let after = t.after else { return false }
                return t.business != nil || !Template.containsTemplate(after.text)
            }
            guard !hasFixedTimer else { continue }
            for transition in state.transitions {
                guard let after = transition.after, transition.business == nil, Template.containsTemplate(after.text),
                      case .success(let template) = Template.parseExpressions(after.text),
                      let expr = template.singleExpression else { continue }
                var reported: Set<String> = []
                for node in Self.nullWhenMissing(expr) {
                    guard case .path(.ticket, let segments, let range) = node, segments.count > 0,
                          schema.presence(of: Array(segments)) == .maybeMissing,
                          reported.insert(segments.dotted).inserted else { continue }
                    sink.report(after.span(of: range, in: context.source), Self.self,
                                "the timer's length reads ticket.\(segments.dotted), which the ticket schema does not require: on a ticket without it no timer is set, silently",
                                help: "make '\(segments.dotted)' required (and not null) in the ticket schema, or add a fixed timer to state '\(state.id.value)' as a fallback (after: 3d)")
                }
            }
        }
    }
}
