import SOPDiagnostics

/// `unknown-field`: a `ticket.*` path the ticket schema does not define. Reported by the type
/// checker (`ExpressionProblem.unknownField`) and the scenario linter.
public enum UnknownFieldRule: LintRule {
    public static let id = RuleID("unknown-field")
    public static let severity = Severity.error
    public static let summary = "A `ticket.*` path the ticket schema does not define."
    public static let example = RuleExample(
        bad: #"""
                    when: ticket.priorty == 'high'
            """#,
        good: #"""
                    when: ticket.priority == 'high'
            """#)
}
