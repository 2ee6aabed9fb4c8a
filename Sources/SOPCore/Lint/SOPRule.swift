import SOPDiagnostics
import SOPExpression

/// What a rule may look at: the decoded SOP, where it came from, what its expressions read, and
/// its state graph.
struct RuleContext {
    let sop: SOPDefinition
    let source: SourceFile
    let path: String
    let environment: ExpressionEnvironment
    /// Inputs that some expression of the SOP reads.
    let inputsRead: [String]
    /// The parsed `when` of each transition, by state and transition index (nil: none or unparsable).
    let guards: ParsedGuards
    let graph: StateGraph
    /// Whether each state has an error of its own (decoding or expressions) somewhere in its body.
    /// Such a state is known only in part: a transition may have been dropped, a guard may not
    /// mean what it will once fixed. Rules that conclude from what a state lacks (no fallback, no
    /// way out, no path) do not conclude it there, so a finding is never only the consequence of
    /// another (docs/decisions.md, "Knock-on findings").
    var stateHasError: [Bool] = []
    /// The ticket model, when there is one.
    var ticketSchema: TicketSchema? = nil

    /// Whether state `i` has an error of its own (see `stateHasError`).
    func hasError(state i: Int) -> Bool { i < stateHasError.count && stateHasError[i] }

    /// Whether a state that runs can reach has an error: then which states are reachable from the
    /// start is not known for sure.
    var reachableStateHasError: Bool {
        stateHasError.indices.contains { stateHasError[$0] && $0 < graph.reachable.count && graph.reachable[$0] }
    }

    /// Which states have an error: an error diagnostic that starts inside the state's span.
    static func statesWithErrors(_ spans: [SourceSpan], errors: [Diagnostic], stateCount: Int) -> [Bool] {
        guard spans.count == stateCount else { return [] }
        let starts = errors.filter { $0.severity == .error }.map(\.span.start)
        return spans.map { span in starts.contains { $0 >= span.start && $0 <= span.end } }
    }
}

/// A rule that checks one decoded SOP as a whole, after it decodes: its file in Rules/ holds the
/// check, and it reports only its own rule id.
protocol SOPRule: LintRule {
    init()
    func check(_ context: RuleContext, into sink: inout DiagnosticSink)
}

/// The SOP as a graph of state indices: edges by transitions to known states.
struct StateGraph {
    /// State ids to their indices (the first state wins when an id repeats).
    let index: [String: Int]
    /// The known target states of every transition, state by state: state `i`'s are
    /// `targets[firstTarget[i]..<firstTarget[i + 1]]`.
    private let targets: [Int]
    private let firstTarget: [Int]
    /// Whether each state can be reached from the start state.
    let reachable: [Bool]
    /// Whether each state has a transition to a state that does not exist (already `unknown-state`).
    let broken: [Bool]

    init(_ sop: SOPDefinition) {
        var index: [String: Int] = [:]
        index.reserveCapacity(sop.states.count)
        // Backwards, so that the first state with an id is the one kept, at one hash per state.
        for i in sop.states.indices.reversed() { index[sop.states[i].id.value] = i }
        var targets: [Int] = []
        var firstTarget: [Int] = []
        var broken: [Bool] = []
        firstTarget.reserveCapacity(sop.states.count + 1)
        broken.reserveCapacity(sop.states.count)
        for state in sop.states {
            firstTarget.append(targets.count)
            var isBroken = false
            for t in state.transitions {
                if let target = index[t.to.value] { targets.append(target) } else { isBroken = true }
            }
            broken.append(isBroken)
        }
        firstTarget.append(targets.count)
        self.index = index
        self.targets = targets
        self.firstTarget = firstTarget
        self.broken = broken
        var reachable = [Bool](repeating: false, count: sop.states.count)
        if let start = index[sop.start.value] {
            var stack = [start]
            reachable[start] = true
            while let next = stack.popLast() {
                for s in targets[firstTarget[next]..<firstTarget[next + 1]] where !reachable[s] {
                    reachable[s] = true
                    stack.append(s)
                }
            }
        }
        self.reachable = reachable
    }

    /// The known target states of state `i`'s transitions.
    func successors(of i: Int) -> ArraySlice<Int> { targets[firstTarget[i]..<firstTarget[i + 1]] }

    /// Whether each state can reach a state for which `isTarget` holds (targets reach themselves).
    /// Sweeps until nothing changes: each sweep settles at least one more state, and SOP graphs
    /// are small, so this beats building the reverse graph.
    func canReach(_ isTarget: [Bool]) -> [Bool] {
        var reaches = isTarget
        var changed = true
        while changed {
            changed = false
            for state in isTarget.indices.reversed() where !reaches[state] {
                if successors(of: state).contains(where: { reaches[$0] }) {
                    reaches[state] = true
                    changed = true
                }
            }
        }
        return reaches
    }
}
