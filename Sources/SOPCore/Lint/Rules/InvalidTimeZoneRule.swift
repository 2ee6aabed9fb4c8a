import SOPDiagnostics

/// `invalid-time-zone`: a calendar's `time_zone` that is not an IANA time zone this system knows.
/// Reported by the calendar decoder.
public enum InvalidTimeZoneRule: LintRule {
    public static let id = RuleID("invalid-time-zone")
    public static let severity = Severity.error
    public static let summary = "A calendar's `time_zone` that is not an IANA time zone name."
    public static let example = RuleExample(
        bad: """
            time_zone: Europe/Berln
            """,
        good: """
            time_zone: Europe/Berlin
            """)
}
