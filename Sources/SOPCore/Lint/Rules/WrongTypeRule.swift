import SOPDiagnostics

/// `wrong-type`: a value of the wrong type or form for its key, or a value whose YAML tag
/// promises a type its text does not have. Reported by the mapping reader, the SOP and
/// scenario decoders, and the YAML parser (`YAMLProblem.Kind.tagMismatch`).
public enum WrongTypeRule: LintRule {
    public static let id = RuleID("wrong-type")
    public static let severity = Severity.error
    public static let summary = "A value of the wrong type or form for its key, or a value whose YAML tag promises a type its text does not have."
    public static let example = RuleExample(
        bad: #"""
            version: two
            """#,
        good: #"""
            version: 2
            """#)
}
