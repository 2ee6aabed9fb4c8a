import SOPDiagnostics

/// `unknown-sop`: `call`, `start` or a test file names an SOP that is not in the linted set.
/// Reported by the linter's cross-file pass and the scenario linter.
public enum UnknownSOPRule: LintRule {
    public static let id = RuleID("unknown-sop")
    public static let severity = Severity.error
    public static let summary = "`call`, `start` or a test file names an SOP that is not in the linted set."
    public static let example = RuleExample(
        bad: #"""
                call: escalaton
            """#,
        good: #"""
                call: escalation
            """#)
    public static let details = """
        References resolve within the files given to one `sop lint` run: lint the folder, not one
        file.
        """
}
