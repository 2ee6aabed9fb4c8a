import SOPDiagnostics

/// `template-misspelt`: `${ x }` or `{{ x }}` in human text: not a template, so it would reach
/// the reader as written. Reported by the SOP decoder.
public enum TemplateMisspeltRule: LintRule {
    public static let id = RuleID("template-misspelt")
    public static let severity = Severity.warning
    public static let summary = "`${ x }` or `{{ x }}` in human text: not a template, so it would reach the reader as written."
    public static let example = RuleExample(
        bad: #"""
                title: "Call {{ ticket.customer.name }}"
            """#,
        good: #"""
                title: "Call ${{ ticket.customer.name }}"
            """#)
    public static let details = """
        Titles, instructions, checklist items, prompts, labels and `notify` templates are checked.
        `{braces}` and `$5` alone are fine.
        """
}
