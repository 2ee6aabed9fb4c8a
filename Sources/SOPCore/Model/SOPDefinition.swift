import SOPDiagnostics
import SOPYAML

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

    /// Where the characters at `range` (in Unicode scalars) of the text were written.
    public func span(of range: Range<Int>, in source: SourceFile) -> SourceSpan {
        guard source.lineCount > 0 else { return span }
        let start = position(ofValueOffset: range.lowerBound, in: source)
        if range.isEmpty { return SourceSpan(at: start) }
        let last = position(ofValueOffset: range.upperBound - 1, in: source)
        return SourceSpan(start: start, end: SourcePosition(line: last.line, column: last.column + 1))
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
    /// One of `SOPCategory`, or a team's own (an id; `unknown-category` warns).
    public var category: String?
    public var appliesWhen: ExpressionText?
    /// Declared roles; `[agent]` when the file declares none. `system` is always allowed too.
    public var roles: [Located<String>]
    public var vars: [FieldSpec]
    public var start: Located<String>
    public var states: [StateDefinition]
    /// Service-level targets (`sla:`), if any.
    public var sla: SLAPolicy? = nil
    /// Inputs declared in a form that did not decode (an unknown type, inputs written as a list):
    /// reported where they are declared, and known by name, so that reading them is no second
    /// finding (docs/decisions.md, "Knock-on findings").
    public var undecodedInputs: [String] = []

    public static let builtInRoles: Set<String> = ["system"]
    public static let defaultRoles = ["agent"]

    public func state(_ id: String) -> StateDefinition? {
        states.first { $0.id.value == id }
    }
}

/// A state of an SOP: what the agent reads, confirms and supplies, and how the state is left.
///
/// Immutable, and a class so that the rules, the linter and the runtime share one copy: passing
/// a state around costs one reference count, not one per field. Equality compares the contents.
public final class StateDefinition: Sendable, Hashable {
    public let id: Located<String>
    public let title: String
    public let instructions: String?
    public let checklist: [Located<String>]
    public let inputs: [InputSpec]
    public let role: Located<String>?
    public let enter: [Action]
    public let transitions: [TransitionDefinition]
    public let call: Located<String>?
    public let end: Located<String>?

    public init(id: Located<String>, title: String, instructions: String?, checklist: [Located<String>], inputs: [InputSpec],
                role: Located<String>?, enter: [Action], transitions: [TransitionDefinition], call: Located<String>?,
                end: Located<String>?) {
        self.id = id
        self.title = title
        self.instructions = instructions
        self.checklist = checklist
        self.inputs = inputs
        self.role = role
        self.enter = enter
        self.transitions = transitions
        self.call = call
        self.end = end
    }

    public var isTerminal: Bool { end != nil }

    public static func == (a: StateDefinition, b: StateDefinition) -> Bool {
        a === b || (a.id == b.id && a.title == b.title && a.instructions == b.instructions && a.checklist == b.checklist
            && a.inputs == b.inputs && a.role == b.role && a.enter == b.enter && a.transitions == b.transitions
            && a.call == b.call && a.end == b.end)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(title)
        hasher.combine(transitions)
    }
}

/// A way out of a state: on an event, after a timer, or automatically. Immutable, a class for
/// the same reason as `StateDefinition`.
public final class TransitionDefinition: Sendable, Hashable {
    public let to: Located<String>
    public let on: Located<String>?
    /// The timer's length: a calendar duration or expression, or a business duration when
    /// `business` is set.
    public let after: ExpressionText?
    /// Set for a business timer (`after: {business: 4h, calendar: ID}`): the calendar its
    /// length is counted in.
    public let business: BusinessTimer?
    public let when: ExpressionText?
    public let label: String?
    public let role: Located<String>?
    public let actions: [Action]
    /// The span of the whole transition mapping.
    public let span: SourceSpan

    public init(to: Located<String>, on: Located<String>?, after: ExpressionText?, business: BusinessTimer? = nil,
                when: ExpressionText?, label: String?, role: Located<String>?, actions: [Action], span: SourceSpan) {
        self.to = to
        self.on = on
        self.after = after
        self.business = business
        self.when = when
        self.label = label
        self.role = role
        self.actions = actions
        self.span = span
    }

    public var isAutomatic: Bool { on == nil && after == nil }

    /// The timer as people read it: `48h`, or `4h business (support-eu)`.
    public var timerText: String? {
        guard let after else { return nil }
        guard let business else { return after.text }
        return "\(after.text) business (\(business.calendar.value))"
    }

    public static func == (a: TransitionDefinition, b: TransitionDefinition) -> Bool {
        a === b || (a.to == b.to && a.on == b.on && a.after == b.after && a.business == b.business && a.when == b.when && a.label == b.label
            && a.role == b.role && a.actions == b.actions && a.span == b.span)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(to)
        hasher.combine(on)
        hasher.combine(span.start)
    }
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
    /// The message text, which may hold `${{ }}` templates.
    case notify(to: Located<NotifyTarget>, template: ExpressionText)
    case assign(role: Located<String>?, queue: ExpressionText?)
    case tag([ExpressionText])
    case start(sop: Located<String>)
}

/// One `PATH: VALUE` of a `set` action.
public struct SetAssignment: Sendable, Hashable {
    public var path: Located<String>
    public var value: Literal
}

/// What makes a timer a business timer: the calendar its duration is counted in
/// (docs/calendars.md). The duration itself is the transition's `after` text (`4h`, `5d`).
public struct BusinessTimer: Sendable, Hashable {
    public let calendar: Located<String>

    public init(calendar: Located<String>) {
        self.calendar = calendar
    }
}
