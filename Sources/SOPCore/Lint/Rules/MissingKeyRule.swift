import SOPDiagnostics

/// `missing-key`: a required key is absent; an empty file; an enum without `values`. Reported
/// by the mapping reader, the SOP and scenario decoders.
public enum MissingKeyRule: LintRule {
    public static let id = RuleID("missing-key")
    public static let severity = Severity.error
    public static let summary = "A required key is absent; an empty file; an enum without `values`."
    public static let example = RuleExample(
        bad: #"""
                  - on: go
            """#,
        good: #"""
                  - on: go
                    to: b
            """#)
}
