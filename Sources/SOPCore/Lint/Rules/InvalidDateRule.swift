import SOPDiagnostics

/// `invalid-date`: a calendar date that does not exist or is not written `YYYY-MM-DD` (or
/// `MM-DD` for `every_year`), or a date given twice. Reported by the calendar decoder.
public enum InvalidDateRule: LintRule {
    public static let id = RuleID("invalid-date")
    public static let severity = Severity.error
    public static let summary = "A calendar date that does not exist, is malformed, or is given twice."
    public static let example = RuleExample(
        bad: """
              - 2025-02-30
            """,
        good: """
              - 2025-02-28
            """)
}
