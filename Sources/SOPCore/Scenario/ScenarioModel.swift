import SOPDiagnostics
import SOPYAML

/// A scenario test file (`*.test.yaml`): cases that drive one SOP and check where it goes.
public struct ScenarioFile: Sendable {
    public var sop: Located<String>
    public var cases: [ScenarioCase]
}

/// One case: a start time, a ticket, steps, and what must hold at the end.
public struct ScenarioCase: Sendable {
    public var name: String
    public var span: SourceSpan
    /// Milliseconds since the epoch; the case starts at this time (default 2026-01-01T00:00:00Z).
    public var now: Int64?
    public var ticket: YAMLNode?
    public var steps: [ScenarioStep]
    public var expect: ScenarioExpectation?
}

/// Who acts in a step.
public struct ScenarioActor: Sendable, Hashable {
    public var id: String
    public var role: Located<String>
}

/// One step of a case.
public struct ScenarioStep: Sendable {
    public enum Action: Sendable {
        /// Inputs only (no event).
        case input
        case event(Located<String>)
        /// A JSON merge patch of the ticket.
        case ticket(YAMLNode)
        /// Moves the clock by this many milliseconds and ticks.
        case advance(Int64)
    }

    public var action: Action
    public var inputs: [(id: Located<String>, value: YAMLNode)]
    public var actor: ScenarioActor?
    /// Checklist items to confirm: nil none, [] all, else 1-based item numbers.
    public var check: [Int]?
    public var expect: ScenarioExpectation?
    public var span: SourceSpan
    /// True for `run: child`: the step goes to the child run the case's run is waiting for.
    public var toChild: Bool = false
}

/// What a step or a case expects.
public struct ScenarioExpectation: Sendable {
    public var state: Located<String>?
    public var outcome: Located<String>?
    public var ticket: YAMLNode?
    public var vars: YAMLNode?
    public var path: [Located<String>]?
    public var outbox: YAMLNode?
    /// The step must be rejected, with this text in the reason.
    public var error: String?
    public var span: SourceSpan
}
