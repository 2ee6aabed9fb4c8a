import SOPDiagnostics

/// `invalid-hours`: open hours in a calendar that are not `"HH:MM-HH:MM"` with the end after the
/// start (24:00 allowed as an end), or that overlap other hours of the same day. Reported by the
/// calendar decoder.
public enum InvalidHoursRule: LintRule {
    public static let id = RuleID("invalid-hours")
    public static let severity = Severity.error
    public static let summary = "Calendar hours that are malformed, reversed, or overlap others of the same day."
    public static let example = RuleExample(
        bad: """
              tue: ["09:00-13:00", "12:00-18:00"]
            """,
        good: """
              tue: ["09:00-12:00", "13:00-18:00"]
            """)
}
