import SOPDiagnostics

/// `unused-suppression`: a `# sop: ignore[...]` comment that suppresses nothing, or names no
/// rule. Reported by the suppression pass, once every other diagnostic of the file is known.
public enum UnusedSuppressionRule: LintRule {
    public static let id = RuleID("unused-suppression")
    public static let severity = Severity.warning
    public static let summary = "A `# sop: ignore[...]` comment that suppresses nothing, or names no rule."
    public static let example = RuleExample(
        bad: #"""
                title: A   # sop: ignore[dead-end] there is a way out
            """#,
        good: #"""
                title: A
            """#)
    public static let details = """
        Also reported for a suppression that names a rule that does not exist (with a did-you-mean)
        or no rule at all. See "Suppressing a finding" below.
        """
}
