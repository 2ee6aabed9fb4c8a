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
        let states = context.sop.states
        // The first declaration of each name, by state and input index (an input spec is too big to copy around).
        var first: [String: (state: Int, input: Int)] = [:]
        for (s, state) in states.enumerated() {
            for k in state.inputs.indices {
                let name = state.inputs[k].id.value
                guard let e = first[name] else {
                    first[name] = (s, k)
                    continue
                }
                let earlier = states[e.state].inputs[e.input], input = state.inputs[k]
                guard !Self.alike(earlier, input) else { continue }
                let at = earlier.id.span.start
                sink.report(input.id.span, Self.self,
                            "input '\(name)' of state '\(state.id.value)' is \(Self.describe(input)), but state '\(states[e.state].id.value)' "
                                + "declares it as \(Self.describe(earlier)) (line \(at.line)); input.\(name) can mean only one",
                            help: "give one of them another name, or declare both alike")
            }
        }
    }

    /// Whether two inputs have one type: the same type, and for enums the same values.
    static func alike(_ a: InputSpec, _ b: InputSpec) -> Bool {
        a.type == b.type && (a.type != .enum || a.values.map(\.value).sorted() == b.values.map(\.value).sorted())
    }

    static func describe(_ spec: InputSpec) -> String {
        spec.type == .enum ? "an enum (\(spec.values.map(\.value).sorted().joined(separator: ", ")))" : "of type \(spec.type.rawValue)"
    }
}
