import SOPDiagnostics

/// `expression-syntax`: a guard, timer or template that does not parse. Reported by the
/// expression pass and the scenario linter, for `ExpressionProblem.syntax`.
public enum ExpressionSyntaxRule: LintRule {
    public static let id = RuleID("expression-syntax")
    public static let severity = Severity.error
    public static let summary = "A guard, timer or template that does not parse."
    public static let example = RuleExample(
        bad: #"""
                    when: ticket.priority = 'high'
            """#,
        good: #"""
                    when: ticket.priority == 'high'
            """#)
    public static let details = """
        Positions point at the offending token, also inside quoted and block scalars.
        """
}
