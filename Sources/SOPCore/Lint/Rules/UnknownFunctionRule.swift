import SOPDiagnostics

/// `unknown-function`: a function that does not exist, or a call with the wrong number of
/// arguments. Reported by the type checker (`ExpressionProblem.unknownFunction`).
public enum UnknownFunctionRule: LintRule {
    public static let id = RuleID("unknown-function")
    public static let severity = Severity.error
    public static let summary = "A function that does not exist, or a call with the wrong number of arguments."
    public static let example = RuleExample(
        bad: #"""
                    when: lenght(ticket.tags) > 0
            """#,
        good: #"""
                    when: len(ticket.tags) > 0
            """#)
}
