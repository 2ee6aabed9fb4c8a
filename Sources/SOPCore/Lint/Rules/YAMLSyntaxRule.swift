import SOPDiagnostics

/// `yaml-syntax`: the file is not well-formed YAML: libyaml's error in plain words, a second
/// document, or an alias to an undefined anchor. Reported by the YAML parser
/// (`YAMLProblem.Kind.syntax`).
public enum YAMLSyntaxRule: LintRule {
    public static let id = RuleID("yaml-syntax")
    public static let severity = Severity.error
    public static let summary = "The file is not well-formed YAML: libyaml's error in plain words, a second document, or an alias to an undefined anchor."
    public static let example = RuleExample(
        bad: #"""
            title: Returns: the full procedure
            """#,
        good: #"""
            title: "Returns: the full procedure"
            """#)
}
