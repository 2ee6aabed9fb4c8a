import SOPDiagnostics
import SOPYAML

/// A YAML value kept as written (literals in `set`, `initial`), with its spans.
public typealias YAMLValue = YAMLNode

/// Text that holds an expression (`when`, `applies_when`, `after`) or `${{ }}` templates, with
/// where and how its scalar was written, so that offsets inside the text map back to the file.
public struct ExpressionText: Sendable, Hashable {
    public var text: String
    public var location: ScalarLocation

    public init(text: String, location: ScalarLocation) {
        self.text = text
        self.location = location
    }

    public var span: SourceSpan { location.span }

    /// Where the character at `offset` (in Unicode scalars) of the text was written.
    public func position(ofValueOffset offset: Int, in source: SourceFile) -> SourcePosition {
        location.position(ofValueOffset: offset, value: text, in: source)
    }
}

/// The categories an SOP may declare.
public enum SOPCategory: String, Sendable, Hashable, CaseIterable {
    case intake, escalation, returns, complaint, followUp = "follow-up", enforcement, other
}

/// One SOP file, decoded: the state machine an agent steps through.
public struct SOPDefinition: Sendable, Hashable {
    public var id: Located<String>
    public var version: Int
    public var title: String
    public var description: String?
    public var category: SOPCategory?
    public var appliesWhen: ExpressionText?
    /// Declared roles; `[agent]` when the file declares none. `system` is always allowed too.
    public var roles: [Located<String>]
    public var vars: [FieldSpec]
    public var start: Located<String>
    public var states: [StateDefinition]
    /// The SOP's title and description where they hold `${{ }}` templates, for checking them.
    public var texts: [ExpressionText]

    public static let builtInRoles: Set<String> = ["system"]
    public static let defaultRoles = ["agent"]

    public func state(_ id: String) -> StateDefinition? {
        states.first { $0.id.value == id }
    }
}

/// A state of an SOP: what the agent reads, confirms and supplies, and how the state is left.
public struct StateDefinition: Sendable, Hashable {
    public var id: Located<String>
    public var title: String
    public var instructions: String?
    public var checklist: [Located<String>]
    public var inputs: [InputSpec]
    public var role: Located<String>?
    public var enter: [Action]
    public var transitions: [TransitionDefinition]
    public var call: Located<String>?
    public var end: Located<String>?
    /// The human texts of the state and its transitions (title, instructions, checklist items,
    /// prompts, labels) that hold `${{ }}` templates, for checking them.
    public var texts: [ExpressionText]

    public var isTerminal: Bool { end != nil }
}

/// A way out of a state: on an event, after a timer, or automatically.
public struct TransitionDefinition: Sendable, Hashable {
    public var to: Located<String>
    public var on: Located<String>?
    public var after: ExpressionText?
    public var when: ExpressionText?
    public var label: String?
    public var role: Located<String>?
    public var actions: [Action]
    /// The span of the whole transition mapping.
    public var span: SourceSpan

    public var isAutomatic: Bool { on == nil && after == nil }
}

/// Who a `notify` action writes to.
public enum NotifyTarget: Sendable, Hashable {
    case customer
    case team(String)
    case role(String)
}

/// An action run on entering a state or taking a transition.
public enum Action: Sendable, Hashable {
    /// Assignments of ticket fields (`ticket.a.b`) or run variables (`var.x`), in written order.
    case set([SetAssignment])
    case notify(to: Located<NotifyTarget>, template: YAMLValue)
    case assign(role: Located<String>?, queue: YAMLValue?)
    case tag([YAMLValue])
    case start(sop: Located<String>)
}

/// One `PATH: VALUE` of a `set` action.
public struct SetAssignment: Sendable, Hashable {
    public var path: Located<String>
    public var value: YAMLValue
}
