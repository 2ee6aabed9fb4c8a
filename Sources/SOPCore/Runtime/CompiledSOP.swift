import Foundation
import SOPDiagnostics
import SOPExpression
import SOPJSON
import SOPYAML

/// A `${{ }}` template ready to render.
struct CompiledTemplate: Sendable {
    enum Piece: Sendable {
        case text(String)
        case expression(CompiledExpression)
    }

    let pieces: [Piece]

    init(_ written: ExpressionText) {
        let text = written.text
        guard Template.containsTemplate(text), case .success(let t) = Template.parse(text) else {
            pieces = [.text(text)]
            return
        }
        pieces = t.parts.map { part in
            switch part {
            case .text(let s): return .text(s)
            case .expression(let e): return .expression(Evaluator.compile(e))
            }
        }
    }

    func render(_ c: EvaluationContext) throws(EvaluationError) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let s): out += s
            case .expression(let e): out += try e.evaluate(c).description
            }
        }
        return out
    }
}

/// A `set` value: a literal, a single expression (keeps its type) or a text template.
enum CompiledValue: Sendable {
    case literal(JSONValue)
    case expression(CompiledExpression)
    case template(CompiledTemplate)
}

/// Where a `set` writes: a ticket field (by its key path) or a run variable (with its type).
enum SetTarget: Sendable {
    case ticket(keys: [String])
    case variable(name: String, type: ValueType?)
    /// A path the linter rejects; a pinned source may still hold one, and it writes nothing.
    case none
}

/// An action ready to run.
enum CompiledAction: Sendable {
    case set([(path: String, target: SetTarget, value: CompiledValue)])
    case notify(to: String, template: CompiledTemplate)
    case assign(role: String?, queue: CompiledTemplate?)
    case tag([CompiledTemplate])
    case start(sop: String)
}

/// A transition ready to take: guard and timer compiled. A class, so the interpreter's hot
/// loops pass references instead of copying the definition.
final class CompiledTransition: Sendable {
    let definition: TransitionDefinition
    /// Its position among its state's transitions.
    let index: Int
    let condition: CompiledExpression?
    /// A fixed timer in milliseconds, or one computed when the state is entered.
    let timer: Timer?
    let actions: [CompiledAction]
    let isAutomatic: Bool
    let event: String?
    /// The index of the target state in the SOP (nil for a target the SOP lacks).
    let target: Int?
    /// The role that may take it: its own, else its state's, else `agent`.
    let role: String

    init(definition: TransitionDefinition, index: Int, target: Int?, stateRole: String, condition: CompiledExpression?,
         timer: Timer?, actions: [CompiledAction]) {
        self.definition = definition
        self.index = index
        self.target = target
        role = definition.role?.value ?? stateRole
        self.condition = condition
        self.timer = timer
        self.actions = actions
        isAutomatic = definition.isAutomatic
        event = definition.on?.value
    }

    enum Timer: Sendable {
        case fixed(Int64)
        case computed(CompiledExpression)
        /// Business time in a calendar, from entering the state.
        case business(BusinessDuration, BusinessCalendar)
    }
}

/// A state ready to run (a class, for the same reason).
final class CompiledState: Sendable {
    let definition: StateDefinition
    let enter: [CompiledAction]
    let transitions: [CompiledTransition]
    /// The same transitions sorted for the interpreter's questions, each list in document order.
    let automatic: [CompiledTransition]
    let timed: [CompiledTransition]
    /// Transitions by event, events in document order (a state has a handful: a list beats hashing).
    let byEvent: [(event: String, transitions: [CompiledTransition])]
    /// Inputs that must be submitted before an automatic transition may be taken.
    let requiredInputs: [String]
    /// Inputs with `scope: visit`: forgotten each time the run enters this state.
    let visitInputs: [String]
    /// The role that acts on the state (inputs, checklist): its own, else `agent`.
    let role: String
    /// Its outcome if it ends the run, and the SOP it calls.
    let end: String?
    let call: String?
    /// The checklist items' texts.
    let checklist: [String]

    init(definition: StateDefinition, enter: [CompiledAction], transitions: [CompiledTransition]) {
        self.definition = definition
        self.enter = enter
        self.transitions = transitions
        automatic = transitions.filter(\.isAutomatic)
        timed = transitions.filter { $0.timer != nil }
        var byEvent: [(event: String, transitions: [CompiledTransition])] = []
        for t in transitions {
            guard let e = t.event else { continue }
            if let i = byEvent.firstIndex(where: { $0.event == e }) { byEvent[i].transitions.append(t) } else { byEvent.append((e, [t])) }
        }
        self.byEvent = byEvent
        requiredInputs = definition.inputs.filter(\.required).map(\.id.value)
        visitInputs = definition.inputs.filter { $0.scope == .visit }.map(\.id.value)
        checklist = definition.checklist.map(\.value)
        role = definition.role?.value ?? "agent"
        end = definition.end?.value
        call = definition.call?.value
    }
}

/// An SOP that lints without errors, compiled for the interpreter: its guards, timers, actions
/// and templates are parsed once. `digest` pins the exact source a run was started with.
public final class CompiledSOP: Sendable {
    public let definition: SOPDefinition
    /// `sha256:` and the hex SHA-256 of `pinnedText`.
    public let digest: String
    /// The SOP file's text.
    public let source: String
    /// What a run pins: the SOP's text, with the calendars its business timers name after it
    /// when there are any (`PinnedBundle`).
    public let pinnedText: String
    /// The calendars its business timers and SLA targets name, by id.
    public let calendars: [String: BusinessCalendar]
    /// Its SLA targets, in the order written.
    let slaTargets: [CompiledSLATarget]
    let states: [CompiledState]
    let stateIndex: [String: Int]
    /// `applies_when`, compiled once like the guards: what `sop route` evaluates.
    let appliesWhen: CompiledExpression?
    /// Declared types of run variables and inputs, for reading stored runs back.
    let varTypes: [String: ValueType]
    let inputTypes: [String: ValueType]

    public var id: String { definition.id.value }
    public var version: Int { definition.version }

    /// Whether the SOP fits a ticket: its `applies_when` holds in `context` (an SOP without one,
    /// or whose condition cannot be evaluated for this ticket, does not).
    public func applies(in context: borrowing EvaluationContext) -> Bool {
        guard let appliesWhen else { return false }
        return (try? appliesWhen.holds(context)) == true
    }

    /// Why an SOP cannot be run: its lint errors.
    public struct CompileError: Error, CustomStringConvertible, Sendable {
        public let diagnostics: [Diagnostic]
        public var description: String {
            let renderer = HumanRenderer()
            return diagnostics.prefix(20).map { renderer.render($0) }.joined()
        }
    }

    /// Compiles an SOP source; refuses one with lint errors (references to other SOPs are not
    /// checked here: the caller resolves them when it starts child runs).
    public static func compile(_ source: SourceFile, schema: TicketSchema?, calendars: CalendarSet = CalendarSet()) throws(CompileError) -> CompiledSOP {
        try compile(linted: Linter(ticketSchema: schema).lint(source), source: source, calendars: calendars)
    }

    /// Compiles the text a run pinned (`pinnedText`): the SOP, and the calendars pinned with it.
    /// It was linted when the run started, and is not judged again by today's rules or schema.
    public static func compile(pinned text: String, path: String) throws(CompileError) -> CompiledSOP {
        let fail = Diagnostic(file: path, span: .fileStart, rule: YAMLSyntaxRule.self, message: "the pinned SOP cannot be loaded")
        guard let (sopText, calendarTexts, dayRule) = PinnedBundle.split(text) else { throw CompileError(diagnostics: [fail]) }
        let source = SourceFile(path: path, text: sopText)
        guard let definition = SOPLoader.load(source).definition else { throw CompileError(diagnostics: [unloadable(source)]) }
        var set = CalendarSet()
        for (id, calendarText) in calendarTexts {
            guard var calendar = CalendarLoader.load(SourceFile(path: "\(path) calendar \(id)", text: calendarText)).calendar,
                  calendar.id == id else { throw CompileError(diagnostics: [fail]) }
            calendar.dayRule = dayRule
            set.add(calendar, text: calendarText)
        }
        return try CompiledSOP(definition: definition, source: source, calendars: set, pinned: text)
    }

    /// Compiles an SOP from its lint result (which holds the decoded SOP): one parse of the file
    /// serves both. Refuses one with lint errors, or whose business timers name a calendar that
    /// `calendars` does not hold.
    public static func compile(linted: FileLintResult, source: SourceFile, calendars: CalendarSet = CalendarSet()) throws(CompileError) -> CompiledSOP {
        let errors = linted.diagnostics.filter { $0.severity == .error && $0.suppression == nil }
        guard errors.isEmpty, let definition = linted.definition else {
            throw CompileError(diagnostics: errors.isEmpty ? [unloadable(source)] : errors)
        }
        return try CompiledSOP(definition: definition, source: source, calendars: calendars)
    }

    private static func unloadable(_ source: SourceFile) -> Diagnostic {
        Diagnostic(file: source.path, span: .fileStart, rule: YAMLSyntaxRule.self, message: "the SOP cannot be loaded")
    }

    /// The calendars an SOP's business timers name, in id order.
    static func calendarReferences(_ definition: SOPDefinition) -> [Located<String>] {
        var seen = Set<String>()
        let sla = ([definition.sla?.calendar] + (definition.sla?.targets.map(\.calendar) ?? [])).compactMap { $0 }
        return (definition.states.flatMap { $0.transitions.compactMap { $0.business?.calendar } } + sla)
            .filter { !$0.value.isEmpty && seen.insert($0.value).inserted }.sorted { $0.value < $1.value }
    }

    /// `pinned`: the text a run pinned, kept as it is (a bundle of an earlier version keeps its
    /// header, and so its digest).
    private init(definition: SOPDefinition, source: SourceFile, calendars set: CalendarSet, pinned: String? = nil) throws(CompileError) {
        let named = try Self.namedCalendars(definition, source: source, in: set)
        self.definition = definition
        self.source = String(decoding: source.bytes, as: UTF8.self)
        calendars = named.calendars
        pinnedText = pinned ?? PinnedBundle.make(sop: self.source, calendars: named.used)
        digest = named.used.isEmpty ? Digest.sha256(source.bytes) : Digest.sha256(Array(pinnedText.utf8))
        var index: [String: Int] = [:]
        for (i, s) in definition.states.enumerated() where index[s.id.value] == nil { index[s.id.value] = i }
        stateIndex = index
        appliesWhen = definition.appliesWhen.flatMap(Self.expression).map(Evaluator.compile)
        states = definition.states.map { state in
            CompiledState(
                definition: state, enter: Self.compileActions(state.enter, vars: definition.vars),
                transitions: state.transitions.enumerated().map { position, t in
                    CompiledTransition(definition: t, index: position, target: index[t.to.value],
                                       stateRole: state.role?.value ?? "agent", condition: t.when.flatMap(Self.expression).map(Evaluator.compile),
                                       timer: Self.timer(of: t, calendars: named.calendars),
                                       actions: Self.compileActions(t.actions, vars: definition.vars))
                })
        }
        slaTargets = (definition.sla?.targets ?? []).compactMap { target in
            Self.compileSLATarget(target, defaultCalendar: definition.sla?.calendar?.value,
                                  calendars: named.calendars, digests: named.digests)
        }
        var varTypes: [String: ValueType] = [:]
        for v in definition.vars where varTypes[v.id.value] == nil { varTypes[v.id.value] = v.type }
        self.varTypes = varTypes
        var inputTypes: [String: ValueType] = [:]
        for s in definition.states { for i in s.inputs where inputTypes[i.id.value] == nil { inputTypes[i.id.value] = i.type } }
        self.inputTypes = inputTypes
    }

    /// The calendars the SOP names, looked up in `set`: their texts in id order (what a run
    /// pins), by id, and their digests. Throws the diagnostics of every name `set` lacks.
    private static func namedCalendars(_ definition: SOPDefinition, source: SourceFile, in set: CalendarSet) throws(CompileError)
        -> (used: [(id: String, text: String)], calendars: [String: BusinessCalendar], digests: [String: String]) {
        var used: [(id: String, text: String)] = []
        var calendars: [String: BusinessCalendar] = [:]
        var digests: [String: String] = [:]
        var missing: [Diagnostic] = []
        for reference in calendarReferences(definition) {
            guard let entry = set[reference.value] else {
                missing.append(Linter.withSourceLines([UnknownCalendarRule.diagnostic(reference, file: source.path, known: set.ids)], source)[0])
                continue
            }
            used.append((reference.value, entry.text))
            calendars[reference.value] = entry.calendar
            digests[reference.value] = Digest.sha256(Array(entry.text.utf8))
        }
        guard missing.isEmpty else { throw CompileError(diagnostics: missing) }
        return (used, calendars, digests)
    }

    /// A guard, `applies_when` or computed duration: a bare expression or a single `${{ }}`
    /// (nil if it does not parse: the linter has refused such an SOP already).
    static func expression(_ text: ExpressionText) -> Expr? {
        if Template.containsTemplate(text.text), case .success(let t) = Template.parse(text.text) { return t.singleExpression }
        if case .success(let e) = ExpressionParser.parse(text.text) { return e }
        return nil
    }

    /// A transition's timer: business time in its calendar, a fixed duration, or an expression
    /// computed on entering the state; nil for a transition without `after`.
    private static func timer(of t: TransitionDefinition, calendars: [String: BusinessCalendar]) -> CompiledTransition.Timer? {
        guard let after = t.after else { return nil }
        if let business = t.business {
            guard let duration = BusinessDuration.parse(after.text), let calendar = calendars[business.calendar.value] else { return nil }
            return .business(duration, calendar)
        }
        if let ms = DurationFormat.parse(after.text) { return .fixed(ms) }
        return expression(after).map { .computed(Evaluator.compile($0)) }
    }

    private static func compileActions(_ actions: [Action], vars: [FieldSpec]) -> [CompiledAction] {
        actions.map { action in
            switch action {
            case .set(let assignments):
                return .set(assignments.map { a in (a.path.value, setTarget(a.path.value, vars: vars), setValue(a.value)) })
            case .notify(let to, let template):
                let target: String
                switch to.value {
                case .customer: target = "customer"
                case .team(let t): target = "team:" + t
                case .role(let r): target = "role:" + r
                }
                return .notify(to: target, template: CompiledTemplate(template))
            case .assign(let role, let queue):
                return .assign(role: role?.value, queue: queue.map(CompiledTemplate.init))
            case .tag(let tags):
                return .tag(tags.map(CompiledTemplate.init))
            case .start(let sop):
                return .start(sop: sop.value)
            }
        }
    }

    /// What a `set` path writes: `ticket.a.b` a ticket field, `vars.x` a run variable (typed by
    /// its declaration), anything else nothing.
    private static func setTarget(_ path: String, vars: [FieldSpec]) -> SetTarget {
        let segments = path.split(separator: ".").map(String.init)
        if segments.first == "ticket", segments.count > 1 { return .ticket(keys: Array(segments.dropFirst())) }
        if segments.count == 2 { return .variable(name: segments[1], type: vars.first { $0.id.value == segments[1] }?.type) }
        return .none
    }

    /// A `set` value: a single `${{ }}` keeps its expression's type, other templates render to
    /// text, anything else is the literal written.
    private static func setValue(_ value: Literal) -> CompiledValue {
        guard let text = value.text, Template.containsTemplate(text.text), case .success(let t) = Template.parse(text.text) else {
            return .literal(value.json)
        }
        return t.singleExpression.map { .expression(Evaluator.compile($0)) } ?? .template(CompiledTemplate(text))
    }

    /// An SLA target with its calendar (its own, else the SLA's) and its length compiled; nil if
    /// the calendar is not loaded or its `by` expression does not parse.
    private static func compileSLATarget(_ target: SLATarget, defaultCalendar: String?, calendars: [String: BusinessCalendar],
                                         digests: [String: String]) -> CompiledSLATarget? {
        guard let calendarID = target.calendar?.value ?? defaultCalendar, let calendar = calendars[calendarID],
              let digest = digests[calendarID] else { return nil }
        let length: CompiledSLATarget.Length
        switch target.length {
        case .fixed(let d): length = .fixed(d.value)
        case .by(let by, let values, let fallback):
            guard let e = expression(by) else { return nil }
            var byValue: [String: String] = [:]
            for v in values where byValue[v.value.value] == nil { byValue[v.value.value] = v.duration.value }
            length = .by(Evaluator.compile(e), byValue, fallback?.value)
        }
        return CompiledSLATarget(id: target.id.value, calendar: calendar, calendarDigest: digest,
                                 policyDigest: Digest.sha256(Array(target.canonicalText.utf8)), length: length,
                                 start: Set(target.start.map(\.value)), pause: Set(target.pause.map(\.value)),
                                 stop: Set(target.stop.map(\.value)), warningPercent: target.warningPercent)
    }

    func state(_ id: String) -> CompiledState? {
        stateIndex[id].map { states[$0] }
    }

    /// The state at `hint` if that is the state named `id`, else the state named `id`.
    func state(_ id: String, hint: Int?) -> CompiledState? {
        if let hint, hint >= 0, hint < states.count, states[hint].definition.id.value == id { return states[hint] }
        return state(id)
    }
}
