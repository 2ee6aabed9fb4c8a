import SOPDiagnostics

/// `yaml-limit`: the file is over 8 MiB, nested deeper than 64, or has aliases that expand
/// past 100,000 nodes. Reported by the YAML parser (`YAMLProblem.Kind.limit`), and the linter
/// for a file too big to read.
public enum YAMLLimitRule: LintRule {
    public static let id = RuleID("yaml-limit")
    public static let severity = Severity.error
    public static let summary = "The file is over 8 MiB, nested deeper than 64, or has aliases that expand past 100,000 nodes."
    public static let example = RuleExample(
        bad: #"""
            a: &a [x, x, x, x, x, x, x, x, x, x]
            b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
            c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
            d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
            e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
            """#,
        good: #"""
            a: [x, x, x, x, x, x, x, x, x, x]
            """#)
    public static let details = """
        SOPs never need nested aliases: write the values out.
        """
}
