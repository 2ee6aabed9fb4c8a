import SOPDiagnostics

/// `invalid-id`: an id that does not match `^[a-z][a-z0-9_-]*$`. Reported by the SOP and
/// scenario decoders.
public enum InvalidIDRule: LintRule {
    public static let id = RuleID("invalid-id")
    public static let severity = Severity.error
    public static let summary = "An id that does not match `^[a-z][a-z0-9_-]*$`."
    public static let example = RuleExample(
        bad: #"""
            start: Verify Purchase
            """#,
        good: #"""
            start: verify_purchase
            """#)
}
