import SOPDiagnostics

/// `input.NAME` reads the latest value of that input, whichever state asked for it: two states
/// that declare one name with different types (or enums with different values) make it mean two
/// things, and the checker can type it only one way.
public struct InputTypeConflictRule: SOPRule {
    public static let id = RuleID("input-type-conflict")
    public static let severity = Severity.error
    public static let summary = "Two states declare an input of one name with different types (or enums with different values)."
    public static let example = RuleExample(
        bad: #"""
                  amount: {type: string}
            """#,
        good: #"""
                  amount: {type: number}
            """#)
    public static let details = """
        `input.NAME` reads the latest value of that input, whichever state asked for it, so it can
        have only one type.
        """

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        var first: [String: (spec: InputSpec, state: String)] = [:]
        for state in context.sop.states {
            for input in state.inputs {
                let name = input.id.value
                guard let earlier = first[name] else {
                    first[name] = (input, state.id.value)
                    continue
                }
                guard Self.describe(earlier.spec) != Self.describe(input) else { continue }
                let at = earlier.spec.id.span.start
                sink.report(input.id.span, Self.self,
                            "input '\(name)' of state '\(state.id.value)' is \(Self.describe(input)), but state '\(earlier.state)' "
                                + "declares it as \(Self.describe(earlier.spec)) (line \(at.line)); input.\(name) can mean only one",
                            help: "give one of them another name, or declare both alike")
            }
        }
    }

    static func describe(_ spec: InputSpec) -> String {
        spec.type == .enum ? "an enum (\(spec.values.map(\.value).sorted().joined(separator: ", ")))" : "of type \(spec.type.rawValue)"
    }
}
