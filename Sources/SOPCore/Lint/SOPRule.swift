import SOPDiagnostics
import SOPExpression

/// What a rule may look at: the decoded SOP, where it came from, what its expressions read, and
/// its state graph.
struct RuleContext {
    let sop: SOPDefinition
    let path: String
    let environment: ExpressionEnvironment
    /// Inputs that some expression of the SOP reads.
    let inputsRead: [String]
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
    /// State ids to their indices (the first state wins when an id repeats).
    let index: [String: Int]
    /// The known target states of each state's transitions.
    let successors: [[Int]]
    /// Whether each state can be reached from the start state.
    let reachable: [Bool]
    /// Whether each state has a transition to a state that does not exist (already `unknown-state`).
    let broken: [Bool]

    init(_ sop: SOPDefinition) {
        var index: [String: Int] = [:]
        index.reserveCapacity(sop.states.count)
        for (i, s) in sop.states.enumerated() where index[s.id.value] == nil { index[s.id.value] = i }
        var successors: [[Int]] = []
        var broken: [Bool] = []
        successors.reserveCapacity(sop.states.count)
        broken.reserveCapacity(sop.states.count)
        for state in sop.states {
            var targets: [Int] = []
            targets.reserveCapacity(state.transitions.count)
            var isBroken = false
            for t in state.transitions {
                if let target = index[t.to.value] { targets.append(target) } else { isBroken = true }
            }
            successors.append(targets)
            broken.append(isBroken)
        }
        var reachable = [Bool](repeating: false, count: sop.states.count)
        if let start = index[sop.start.value] {
            var stack = [start]
            reachable[start] = true
            while let next = stack.popLast() {
                for s in successors[next] where !reachable[s] {
                    reachable[s] = true
                    stack.append(s)
                }
            }
        }
        self.index = index
        self.successors = successors
        self.broken = broken
        self.reachable = reachable
    }

    /// Whether each state can reach a state for which `isTarget` holds (targets reach themselves).
    /// Sweeps until nothing changes: each sweep settles at least one more state, and SOP graphs
    /// are small, so this beats building the reverse graph.
    func canReach(_ isTarget: [Bool]) -> [Bool] {
        var reaches = isTarget
        var changed = true
        while changed {
            changed = false
            for state in successors.indices.reversed() where !reaches[state] {
                if successors[state].contains(where: { reaches[$0] }) {
                    reaches[state] = true
                    changed = true
                }
            }
        }
        return reaches
    }
}
