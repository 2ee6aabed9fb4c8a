import SOPDiagnostics

/// Roles named by states, transitions, `assign` and `notify: {to: role:ID}` must be declared in
/// the SOP's `roles` (default `[agent]`); `system` is built in.
public struct UnknownRoleRule: SOPRule {
    public static let id = RuleID("unknown-role")
    public static let severity = Severity.error
    public static let summary = "A role that the SOP's `roles` do not declare."
    public static let example = RuleExample(
        bad: #"""
                role: supervsor
            """#,
        good: #"""
                role: supervisor
            """#)

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        let sop = context.sop
        func verify(_ role: String, at span: SourceSpan) {
            guard !sop.roles.contains(where: { $0.value == role }), !SOPDefinition.builtInRoles.contains(role) else { return }
            let declared = sop.roles.map(\.value)
            let help = Suggestions.didYouMean(role, in: declared + SOPDefinition.builtInRoles.sorted())
                ?? "add '\(role)' to the SOP's roles"
            sink.report(span, Self.self, "role '\(role)' is not declared in this SOP's roles (\(declared.joined(separator: ", ")))",
                        help: help)
        }
        func verify(_ actions: [Action]) {
            for action in actions {
                switch action {
                case .assign(let role?, _): verify(role.value, at: role.span)
                case .notify(let to, _):
                    if case .role(let role) = to.value { verify(role, at: to.span) }
                default: break
                }
            }
        }
        for state in sop.states {
            if let role = state.role { verify(role.value, at: role.span) }
            verify(state.enter)
            for transition in state.transitions {
                if let role = transition.role { verify(role.value, at: role.span) }
                verify(transition.actions)
            }
        }
    }
}
