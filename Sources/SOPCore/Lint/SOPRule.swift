import SOPDiagnostics
import SOPExpression

/// What a rule may look at: the decoded SOP, where it came from, what its expressions read, and
/// its state graph.
struct RuleContext {
    let sop: SOPDefinition
    let path: String
    let environment: ExpressionEnvironment
    /// Inputs that some expression of the SOP reads.
    let inputsRead: Set<String>
    /// The parsed `when` of each transition, by state and transition index (nil: none or unparsable).
    let guards: [[Expr?]]
    let graph: StateGraph
}

/// A check over one decoded SOP. Each rule lives in its own file under Rules/ and reports only
/// its own rule id.
protocol SOPRule: Sendable {
    static var id: RuleID { get }
    func check(_ context: RuleContext, into sink: inout DiagnosticSink)
}

/// Every rule that runs on a decoded SOP, in one place.
enum SOPRules {
    static let all: [any SOPRule] = [
        UnknownStateRule(),
        EndWithTransitionsRule(),
        UnknownRoleRule(),
        DeadEndRule(),
        NoTerminalRule(),
        UnreachableStateRule(),
        ShadowedTransitionRule(),
        NonExhaustiveRule(),
        UnusedInputRule(),
        IDMismatchRule(),
    ]
}

/// The SOP as a graph of state indices: edges by transitions to known states.
struct StateGraph {
    let index: [String: Int]
    let successors: [[Int]]
    let reachable: Set<Int>
    /// States with a transition to a state that does not exist (already `unknown-state`).
    let brokenStates: Set<Int>

    init(_ sop: SOPDefinition) {
        var index: [String: Int] = [:]
        for (i, s) in sop.states.enumerated() where index[s.id.value] == nil { index[s.id.value] = i }
        successors = sop.states.map { state in state.transitions.compactMap { index[$0.to.value] } }
        brokenStates = Set(sop.states.indices.filter { i in sop.states[i].transitions.contains { index[$0.to.value] == nil } })
        var seen = Set<Int>()
        if let start = index[sop.start.value] {
            var stack = [start]
            seen.insert(start)
            while let next = stack.popLast() {
                for s in successors[next] where seen.insert(s).inserted { stack.append(s) }
            }
        }
        self.index = index
        reachable = seen
    }

    /// The states from which one of `targets` can be reached (including the targets).
    func canReach(_ targets: Set<Int>) -> Set<Int> {
        var predecessors = [[Int]](repeating: [], count: successors.count)
        for (from, tos) in successors.enumerated() { for to in tos { predecessors[to].append(from) } }
        var seen = targets
        var stack = Array(targets)
        while let next = stack.popLast() {
            for p in predecessors[next] where seen.insert(p).inserted { stack.append(p) }
        }
        return seen
    }
}
