import SOPDiagnostics

/// A check over one decoded SOP. Each rule lives in its own file under Rules/ and reports only
/// its own rule id.
protocol SOPRule: Sendable {
    static var id: RuleID { get }
    func check(_ sop: SOPDefinition, into sink: inout DiagnosticSink)
}

/// Every rule that runs on a decoded SOP, in one place.
enum SOPRules {
    static let all: [any SOPRule] = [
        UnknownStateRule(),
        EndWithTransitionsRule(),
        UnknownRoleRule(),
    ]
}
