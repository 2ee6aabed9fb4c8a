import SOPDiagnostics

/// `invalid-pattern`: an input's `pattern` that is not a valid regular expression. Reported by
/// the SOP decoder.
public enum InvalidPatternRule: LintRule {
    public static let id = RuleID("invalid-pattern")
    public static let severity = Severity.error
    public static let summary = "An input's `pattern` that is not a valid regular expression."
    public static let example = RuleExample(
        bad: #"""
                  reference: {type: string, pattern: '^[A-Z]-(\d+$'}
            """#,
        good: #"""
                  reference: {type: string, pattern: '^[A-Z]-(\d+)$'}
            """#)
}
