import SOPDiagnostics

/// `unknown-input`: an `input.*` that no state declares. Reported by the type checker
/// (`ExpressionProblem.unknownInput`) and the scenario linter.
public enum UnknownInputRule: LintRule {
    public static let id = RuleID("unknown-input")
    public static let severity = Severity.error
    public static let summary = "An `input.*` that no state declares."
    public static let example = RuleExample(
        bad: #"""
                    when: input.order_fund
            """#,
        good: #"""
                    when: input.order_found
            """#)
}
