import SOPDiagnostics

/// `invalid-pattern`: an input's `pattern` that is not a regular expression of the dialect sopkit
/// runs (RFC 9485 I-Regexp with JSON Schema's meaning, `Runtime/InputPattern.swift`): a syntax
/// error, or a form sopkit cannot match in linear time (back-references, look-around) refused
/// rather than run with another meaning. Reported by the SOP decoder.
public enum InvalidPatternRule: LintRule {
    public static let id = RuleID("invalid-pattern")
    public static let severity = Severity.error
    public static let summary = "An input's `pattern` that is not a valid regular expression of the dialect sopkit runs (I-Regexp, docs/format.md)."
    public static let example = RuleExample(
        bad: #"""
                  reference: {type: string, pattern: '^[A-Z]-(\d+$'}
            """#,
        good: #"""
                  reference: {type: string, pattern: '^[A-Z]-(\d+)$'}
            """#)
}
