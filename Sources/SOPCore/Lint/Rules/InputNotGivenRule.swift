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
        guard let start = graph.index[sop.start.value] else { return }
        // Each input name declared anywhere gets a bit; sets of inputs are rows of 64-bit words.
        // The bits of each state's inputs, state by state: state i's are
        // `inputBits[firstInput[i]..<firstInput[i + 1]]`.
        var bit: [String: Int] = [:]
        var inputBits: [Int] = [], firstInput: [Int] = []
        firstInput.reserveCapacity(sop.states.count + 1)
        for state in sop.states {
            firstInput.append(inputBits.count)
            for k in state.inputs.indices {
                let name = state.inputs[k].id.value
                if let known = bit[name] {
                    inputBits.append(known)
                } else {
                    inputBits.append(bit.count)
                    bit[name] = bit.count
                }
            }
        }
        firstInput.append(inputBits.count)
        // The guards' reads of declared inputs: without any, there is nothing to check.
        var reads: [(state: Int, transition: Int, bit: Int, name: String, range: Range<Int>)] = []
        for (i, state) in sop.states.enumerated() {
            for t in state.transitions.indices {
                guard let parsed = context.guards[i, t] else { continue }
                for (name, range) in Self.inputsRead(parsed) {
                    if let b = bit[name] { reads.append((i, t, b, name, range)) }
                }
            }
        }
        guard !reads.isEmpty else { return }
        let words = (bit.count + 63) / 64
        var asks = [UInt64](repeating: 0, count: sop.states.count * words)
        for i in sop.states.indices {
            for b in inputBits[firstInput[i]..<firstInput[i + 1]] { asks[i * words + b / 64] |= 1 << UInt64(b % 64) }
        }
        // May-given analysis: the inputs some path can have given on entering each state.
        var givenIn = [UInt64](repeating: 0, count: sop.states.count * words)
        var reached = [Bool](repeating: false, count: sop.states.count)
        reached[start] = true
        var work = [start]
        var out = [UInt64](repeating: 0, count: words)
        while let i = work.popLast() {
            for w in 0..<words { out[w] = givenIn[i * words + w] | asks[i * words + w] }
            for j in graph.successors(of: i) {
                var grows = !reached[j]
                for w in 0..<words where out[w] & ~givenIn[j * words + w] != 0 {
                    givenIn[j * words + w] |= out[w]
                    grows = true
                }
                if grows { reached[j] = true; work.append(j) }
            }
        }
        for read in reads where reached[read.state] {  // an unreachable state is another rule's concern
            let w = read.state * words + read.bit / 64, mask: UInt64 = 1 << UInt64(read.bit % 64)
            guard (givenIn[w] | asks[w]) & mask == 0 else { continue }
            let state = sop.states[read.state]
            guard let when = state.transitions[read.transition].when else { continue }
            sink.report(when.span(of: read.range, in: context.source), Self.self,
                        "this guard of state '\(state.id.value)' reads input.\(read.name), which no path to it can have given",
                        help: "ask for '\(read.name)' in this state or one before it, or read another value")
        }
    }

    /// The inputs an expression reads, with where.
    static func inputsRead(_ e: Expr) -> [(String, Range<Int>)] {
        var found: [(String, Range<Int>)] = []
        inputsRead(e, into: &found)
        return found
    }

    private static func inputsRead(_ e: Expr, into found: inout [(String, Range<Int>)]) {
        // Every node, lambda bodies and index keys included.
        e.forEachNode { node in
            if case .path(.input, let segments, let range) = node, let name = segments.first { found.append((name, range)) }
        }
    }
}
