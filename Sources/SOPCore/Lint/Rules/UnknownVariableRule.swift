import SOPDiagnostics

/// `unknown-variable`: a `var.*` the SOP does not declare, a `run.*` or `child.*` that does
/// not exist, or a bare name. Reported by the expression parser and type checker
/// (`ExpressionProblem.unknownVariable`) and the scenario linter.
public enum UnknownVariableRule: LintRule {
    public static let id = RuleID("unknown-variable")
    public static let severity = Severity.error
    public static let summary = "A `var.*` the SOP does not declare, a `run.*` or `child.*` that does not exist, or a bare name."
    public static let example = RuleExample(
        bad: #"""
                    when: var.warning >= 2
            """#,
        good: #"""
                    when: var.warnings >= 2
            """#)
}
