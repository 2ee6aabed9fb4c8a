import SOPDiagnostics

/// `unknown-key`: a key the format does not define at that place, or an unknown action.
/// Reported by the mapping reader, the SOP and scenario decoders, the scenario linter and the
/// ticket schema.
public enum UnknownKeyRule: LintRule {
    public static let id = RuleID("unknown-key")
    public static let severity = Severity.error
    public static let summary = "A key the format does not define at that place, or an unknown action."
    public static let example = RuleExample(
        bad: #"""
            categroy: returns
            """#,
        good: #"""
            category: returns
            """#)
    public static let details = """
        In scenario test files, an event the SOP does not have is reported as `unknown-key` too (it
        is an id the SOP does not define). In the ticket schema, a JSON Schema keyword sopkit does
        not enforce is reported at its place in the schema file, so a constraint is never silently
        ignored.
        """
}
