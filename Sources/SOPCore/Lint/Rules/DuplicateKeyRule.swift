import SOPDiagnostics

/// `duplicate-key`: a mapping defines the same key twice, or an enum lists a value twice.
/// Reported by the YAML parser (`YAMLProblem.Kind.duplicateKey`), the SOP decoder and the
/// linter (two SOPs with one id).
public enum DuplicateKeyRule: LintRule {
    public static let id = RuleID("duplicate-key")
    public static let severity = Severity.error
    public static let summary = "A mapping defines the same key twice, or an enum lists a value twice."
    public static let example = RuleExample(
        bad: #"""
                title: A
                title: Again
            """#,
        good: #"""
                title: A
            """#)
}
