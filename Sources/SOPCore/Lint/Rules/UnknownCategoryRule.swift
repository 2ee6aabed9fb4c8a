import SOPDiagnostics

/// `unknown-category`: a `category` outside the known list: allowed (a team's own category),
/// but named so a typo is caught. Reported by the SOP decoder.
public enum UnknownCategoryRule: LintRule {
    public static let id = RuleID("unknown-category")
    public static let severity = Severity.warning
    public static let summary = "A `category` outside the known list: allowed (a team's own category), but named so a typo is caught."
    public static let example = RuleExample(
        bad: #"""
            category: billing
            """#,
        good: #"""
            category: returns
            """#)
    public static let details = """
        A team may add its own categories: any id is allowed, and this warning (which `--strict`
        turns into a failure) names the known ones, with a did-you-mean for a near miss (`retuns`).
        A category that is not an id (`Refunds`, a list) is `wrong-type`.
        """
}
