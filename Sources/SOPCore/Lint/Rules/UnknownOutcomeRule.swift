import SOPDiagnostics

/// `unknown-outcome`: `child.outcome` (or a test's `expect.outcome`) compared with an outcome
/// the SOP never ends with. Reported by the linter's cross-file pass and the scenario linter.
public enum UnknownOutcomeRule: LintRule {
    public static let id = RuleID("unknown-outcome")
    public static let severity = Severity.error
    public static let summary = "`child.outcome` (or a test's `expect.outcome`) compared with an outcome the SOP never ends with."
    public static let example = RuleExample(
        bad: #"""
                    when: child.outcome == 'resolvd'
            """#,
        good: #"""
                    when: child.outcome == 'resolved'
            """#)
}
