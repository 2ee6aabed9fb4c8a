import SOPDiagnostics
import SOPExpression

/// A guard that reads `input.NAME` where no path from the start can have given that input by
/// then (no state on any way there asks for it, nor the guard's own state) always reads null:
/// usually a guard moved to the wrong state, or an input asked for too late.
public struct InputNotGivenRule: SOPRule {
    public static let id = RuleID("input-not-given")
    public static let severity = Severity.warning
    public static let summary = "A guard reads `input.NAME` where no path from the start can have given that input by then."
    public static let example = RuleExample(
        bad: #"""
              triage:
                title: Triage
                transitions:
                  - to: refund
                    when: input.amount > 100
            """#,
        good: #"""
              triage:
                title: Triage
                transitions:
                  - to: refund
                    when: ticket.priority == 'high'
            """#)
    public static let details = """
        An input counts as possibly given in a state when some path from the start passes a state
        that asks for it (the state itself included). A guard reached by one path that gives it and
        one that does not is not reported: it reads null on the other path, which may be meant.
        """

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        let sop = context.sop, graph = context.graph
        let declaredAnywhere = Set(sop.states.flatMap { $0.inputs.map(\.id.value) })
        guard !declaredAnywhere.isEmpty, let start = graph.index[sop.start.value] else { return }
        // May-given analysis: the inputs some path can have given on entering each state.
        var givenIn = [Set<String>?](repeating: nil, count: sop.states.count)
        givenIn[start] = []
        var work = [start]
        while let i = work.popLast() {
            let out = givenIn[i]!.union(sop.states[i].inputs.map(\.id.value))
            for j in graph.successors(of: i) where givenIn[j].map({ !out.isSubset(of: $0) }) ?? true {
                givenIn[j] = (givenIn[j] ?? []).union(out)
                work.append(j)
            }
        }
        for (i, state) in sop.states.enumerated() {
            guard let entering = givenIn[i] else { continue }  // unreachable: another rule's concern
            let available = entering.union(state.inputs.map(\.id.value))
            for (t, transition) in state.transitions.enumerated() {
                guard let when = transition.when, let parsed = context.guards[i, t] else { continue }
                for (name, range) in Self.inputsRead(parsed) where declaredAnywhere.contains(name) && !available.contains(name) {
                    sink.report(when.span(of: range, in: context.source), Self.self,
                                "this guard of state '\(state.id.value)' reads input.\(name), which no path to it can have given",
                                help: "ask for '\(name)' in this state or one before it, or read another value")
                }
            }
        }
    }

    /// The inputs an expression reads, with where.
    static func inputsRead(_ e: Expr) -> [(String, Range<Int>)] {
        switch e {
        case .path(.input, let segments, let range):
            guard let name = segments.dotted.split(separator: ".").first else { return [] }
            return [(String(name), range)]
        case .path, .literal: return []
        case .call(_, let args, _), .list(let args, _): return args.flatMap(inputsRead)
        case .unary(_, let operand, _): return inputsRead(operand)
        case .binary(_, let l, let r, _): return inputsRead(l) + inputsRead(r)
        }
    }
}
