import SOPDiagnostics

/// `type-mismatch`: operands or values whose types do not fit; a guard that is not boolean; an
/// `after` that is not a duration. Reported by the type checker
/// (`ExpressionProblem.typeMismatch`) and the expression pass.
public enum TypeMismatchRule: LintRule {
    public static let id = RuleID("type-mismatch")
    public static let severity = Severity.error
    public static let summary = "Operands or values whose types do not fit; a guard that is not boolean; an `after` that is not a duration."
    public static let example = RuleExample(
        bad: #"""
                    when: ticket.purchased_on > 30
            """#,
        good: #"""
                    when: days_since(ticket.purchased_on) > 30
            """#)
}
