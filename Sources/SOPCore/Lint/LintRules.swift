import SOPDiagnostics
import SOPExpression
import SOPYAML

/// The rule registry: every lint rule, in the order docs/lint-rules.md and SARIF list them.
///
/// Each rule is a type in its own file under Lint/Rules, named after its id (`unknown-key` →
/// `UnknownKeyRule`), with its severity, summary and example; nothing else declares an id. Code
/// in SOPCore reports through a rule's type (`sink.report(span, UnknownKeyRule.self, …)`); the
/// YAML and expression layers below it report kinds of problem, which `rule(for:)` maps here.
public enum LintRules {
    public static let all: [any LintRule.Type] = [
        YAMLSyntaxRule.self,
        YAMLLimitRule.self,
        DuplicateKeyRule.self,
        UnknownKeyRule.self,
        MissingKeyRule.self,
        WrongTypeRule.self,
        InvalidIDRule.self,
        UnknownStateRule.self,
        EndWithTransitionsRule.self,
        UnknownRoleRule.self,
        ExpressionSyntaxRule.self,
        UnknownFieldRule.self,
        UnknownVariableRule.self,
        UnknownInputRule.self,
        UnknownFunctionRule.self,
        TypeMismatchRule.self,
        InvalidEnumValueRule.self,
        NoTicketSchemaRule.self,
        DeadEndRule.self,
        NoTerminalRule.self,
        UnreachableStateRule.self,
        ShadowedTransitionRule.self,
        NonExhaustiveRule.self,
        UnusedInputRule.self,
        IDMismatchRule.self,
        UnknownSOPRule.self,
        UnknownOutcomeRule.self,
        TemplateUnquotedRule.self,
        TemplateMisspeltRule.self,
        InvalidPatternRule.self,
        InputTypeConflictRule.self,
        InputNotGivenRule.self,
        UnknownCategoryRule.self,
        InvalidTimeZoneRule.self,
        InvalidHoursRule.self,
        InvalidDateRule.self,
        UnknownCalendarRule.self,
        UnknownSLATargetRule.self,
        UnusedSuppressionRule.self,
        TicketSchemaSyntaxRule.self,
        TicketSchemaInvalidRule.self,
        TimeGuardWithoutTimerRule.self,
        OptionalTimerFieldRule.self,
    ]

    /// The rules that check a decoded SOP as a whole, in the order they run.
    static let sopChecks: [any SOPRule] = [
        UnknownStateRule(),
        UnknownSLATargetRule(),
        EndWithTransitionsRule(),
        UnknownRoleRule(),
        DeadEndRule(),
        NoTerminalRule(),
        UnreachableStateRule(),
        ShadowedTransitionRule(),
        NonExhaustiveRule(),
        UnusedInputRule(),
        IDMismatchRule(),
        InputTypeConflictRule(),
        InputNotGivenRule(),
        TimeGuardWithoutTimerRule(),
        OptionalTimerFieldRule(),
    ]

    private static let byID: [RuleID: any LintRule.Type] = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })

    /// The rule with this id (`unknown-key`), if there is one.
    public static func rule(named id: String) -> (any LintRule.Type)? { byID[RuleID(id)] }

    /// The rule a problem the YAML parser found breaks.
    public static func rule(for kind: YAMLProblem.Kind) -> any LintRule.Type {
        switch kind {
        case .syntax: YAMLSyntaxRule.self
        case .limit: YAMLLimitRule.self
        case .duplicateKey: DuplicateKeyRule.self
        case .tagMismatch: WrongTypeRule.self
        }
    }

    /// The rule a problem the expression parser or type checker found breaks.
    public static func rule(for problem: ExpressionProblem) -> any LintRule.Type {
        switch problem {
        case .syntax: ExpressionSyntaxRule.self
        case .unknownField: UnknownFieldRule.self
        case .unknownVariable: UnknownVariableRule.self
        case .unknownInput: UnknownInputRule.self
        case .unknownFunction: UnknownFunctionRule.self
        case .typeMismatch: TypeMismatchRule.self
        case .invalidEnumValue: InvalidEnumValueRule.self
        }
    }
}

extension YAMLProblem {
    /// The problem as a diagnostic of the rule it breaks.
    public func diagnostic(file: String) -> Diagnostic {
        var d = Diagnostic(file: file, span: span, rule: LintRules.rule(for: kind), message: message, help: help)
        if let related { d.related = [Diagnostic.RelatedPlace(file: file, span: related.span, message: related.message)] }
        return d
    }
}

extension YAMLDocument {
    /// The YAML problems of the file as diagnostics.
    public func diagnostics(file: String) -> [Diagnostic] { problems.map { $0.diagnostic(file: file) } }
}
