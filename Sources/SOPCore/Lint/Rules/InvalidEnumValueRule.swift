import SOPDiagnostics

/// `invalid-enum-value`: a value compared with or assigned to an enum that is not one of its
/// values. Reported by the type checker (`ExpressionProblem.invalidEnumValue`) and the
/// expression pass.
public enum InvalidEnumValueRule: LintRule {
    public static let id = RuleID("invalid-enum-value")
    public static let severity = Severity.error
    public static let summary = "A value compared with or assigned to an enum that is not one of its values."
    public static let example = RuleExample(
        bad: #"""
            applies_when: ticket.category == 'retruns'
            """#,
        good: #"""
            applies_when: ticket.category == 'returns'
            """#)
}
