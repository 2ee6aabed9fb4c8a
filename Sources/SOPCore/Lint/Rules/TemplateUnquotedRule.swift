import SOPDiagnostics

/// `template-unquoted`: a `{…}` flow mapping where a quoted `"${{ … }}"` template was meant.
/// Reported by the SOP decoder and the expression pass.
public enum TemplateUnquotedRule: LintRule {
    public static let id = RuleID("template-unquoted")
    public static let severity = Severity.error
    public static let summary = "A `{…}` flow mapping where a quoted `\"${{ … }}\"` template was meant."
    public static let example = RuleExample(
        bad: #"""
                    when: {{ ticket.conduct_flagged }}
            """#,
        good: #"""
                    when: ticket.conduct_flagged
            """#)
    public static let details = """
        When the braces break the YAML itself (inside a flow collection), the `yaml-syntax` error's
        help says to quote the template.
        """
}
