import SOPDiagnostics

/// The mappings of an SOP file and of a scenario test file (`test…`), each with the keys it
/// allows: where a key sits decides what it means.
public enum SOPMappingKind: String, Sendable, CaseIterable {
    case top, variable, state, input, enumValue, transition, businessTimer, action, notify, assign, startAction
    case sla, slaTarget, slaLength
    case testFile, testCase, testStep, testExpectation, testActor

    /// The keys the decoder allows in this mapping, in the order its messages list them. Read
    /// from the decoder's own key enums (`SOPDecoder.TopKey`…), so there is no second list to drift.
    public var allowedKeys: [String] {
        switch self {
        case .top: return SOPDecoder.TopKey.names.strings
        case .variable: return SOPDecoder.FieldKey.names.strings
        case .state: return SOPDecoder.StateKey.names.strings
        case .input: return SOPDecoder.InputKey.names.strings
        case .enumValue: return SOPDecoder.EnumValueKey.names.strings
        case .transition: return SOPDecoder.TransitionKey.names.strings
        case .businessTimer: return SOPDecoder.BusinessTimerKey.names.strings
        case .action: return SOPDecoder.actionKeys
        case .notify: return SOPDecoder.NotifyKey.names.strings
        case .assign: return SOPDecoder.AssignKey.names.strings
        case .startAction: return SOPDecoder.StartKey.names.strings
        case .sla: return SOPDecoder.SLAKey.names.strings
        case .slaTarget: return SOPDecoder.SLATargetKey.names.strings
        case .slaLength: return SOPDecoder.SLALengthKey.names.strings
        case .testFile: return ScenarioDecoder.TopKey.names.strings
        case .testCase: return ScenarioDecoder.CaseKey.names.strings
        case .testStep: return ScenarioDecoder.StepKey.names.strings
        case .testExpectation: return ScenarioDecoder.ExpectKey.names.strings
        case .testActor: return ScenarioDecoder.ActorKey.names.strings
        }
    }

    /// How a hover names the mapping.
    public var title: String {
        switch self {
        case .top: return "top level"
        case .variable: return "a variable of `vars`"
        case .state: return "a state"
        case .input: return "an input"
        case .enumValue: return "an enum value with a label"
        case .transition: return "a transition"
        case .businessTimer: return "a business timer (`after`)"
        case .action: return "an action"
        case .notify: return "`notify`"
        case .assign: return "`assign`"
        case .startAction: return "`start` (action)"
        case .sla: return "`sla`"
        case .slaTarget: return "an SLA target"
        case .slaLength: return "an SLA target's `target` by value"
        case .testFile: return "a scenario test file"
        case .testCase: return "a test case"
        case .testStep: return "a test step"
        case .testExpectation: return "`expect`"
        case .testActor: return "`actor`"
        }
    }
}

/// What one key of the SOP format means: one row of a key table of docs/format.md (or
/// docs/sla.md), kept here as the one source. The docs' tables are checked against these rows by
/// `KeyDocsTests` (`SOP_RECORD=1` rewrites them), and the language server's hover shows them.
public struct KeyDoc: Sendable, Equatable {
    /// The keys the row describes (`min` and `max` share one).
    public var keys: [String]
    /// The type, or for an action its form; Markdown.
    public var type: String?
    public var required: String?
    public var defaultValue: String?
    /// What the key does; Markdown.
    public var meaning: String

    public init(_ keys: [String], type: String?, required: String?, default defaultValue: String?, meaning: String) {
        self.keys = keys
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.meaning = meaning
    }
}

/// The descriptions of every key of the SOP format, by the mapping it sits in.
public enum KeyDocs {
    /// The row describing `key` in a mapping of `kind`.
    public static func doc(for key: String, in kind: SOPMappingKind) -> KeyDoc? {
        rows(kind).first { $0.keys.contains(key) }
    }

    /// A key's description as Markdown, for a hover or a completion's documentation.
    public static func markdown(for key: String, in kind: SOPMappingKind) -> String? {
        guard let doc = doc(for: key, in: kind) else { return nil }
        var facts: [String] = []
        if let type = doc.type { facts.append(type) }
        if let required = doc.required {
            facts.append(required == "no" ? "optional" : required.hasPrefix("yes") ? "required" + required.dropFirst(3) : "required " + required)
        }
        if let value = doc.defaultValue { facts.append(value == "required" ? "required" : "default: \(value)") }
        var text = "**`\(key)`** — key of \(kind.title)"
        if !facts.isEmpty { text += "\n\n" + facts.joined(separator: " · ") }
        if !doc.meaning.isEmpty { text += "\n\n" + doc.meaning }
        return text
    }

    /// The rows of one mapping, in the order of its docs' table.
    public static func rows(_ kind: SOPMappingKind) -> [KeyDoc] {
        switch kind {
        case .top: return top + topSLA
        case .variable: return variable
        case .state: return state
        case .input: return input
        case .enumValue: return enumValue
        case .transition: return transition
        case .businessTimer: return businessTimer
        case .action: return action
        case .notify: return notify
        case .assign: return assign
        case .startAction: return startAction
        case .sla: return sla
        case .slaTarget: return slaTarget
        case .slaLength: return slaLength
        case .testFile: return testFile
        case .testCase: return testCase
        case .testStep: return testStep
        case .testExpectation: return testExpectation
        case .testActor: return testActor
        }
    }

    /// A key table of the docs and the rows it shows, in order.
    public struct DocTable: Sendable {
        /// The file, from the repository's root.
        public var file: String
        /// The heading the table sits under.
        public var heading: String
        /// The table's columns, as its header names them.
        public var columns: [String]
        public var rows: [KeyDoc]

        /// The table's rows as Markdown lines, cell by cell from the rows' fields.
        public var renderedRows: [String] {
            rows.map { row in
                let cells = columns.map { column -> String in
                    let text: String?
                    switch column {
                    case "key", "action": text = row.keys.map { "`\($0)`" }.joined(separator: ", ")
                    case "type", "form": text = row.type
                    case "required": text = row.required
                    case "default": text = row.defaultValue
                    default: text = row.meaning
                    }
                    return (text ?? "").replacingOccurrences(of: "|", with: "\\|")
                }
                // An empty cell is written `| |`, as the docs write it.
                return "|" + cells.map { $0.isEmpty ? " " : " \($0) " }.joined(separator: "|") + "|"
            }
        }
    }

    /// The key tables of the docs, each checked against its rows here.
    public static let docTables: [DocTable] = [
        DocTable(file: "docs/format.md", heading: "Top level", columns: ["key", "type", "required", "default", "meaning"], rows: top),
        DocTable(file: "docs/format.md", heading: "`vars`: run variables", columns: ["key", "type", "required", "meaning"], rows: variable),
        DocTable(file: "docs/format.md", heading: "States", columns: ["key", "type", "default", "meaning"], rows: state),
        DocTable(file: "docs/format.md", heading: "Inputs", columns: ["key", "type", "default", "meaning"], rows: input),
        DocTable(file: "docs/format.md", heading: "SLA targets", columns: ["key", "type", "default", "meaning"], rows: topSLA),
        DocTable(file: "docs/format.md", heading: "Transitions", columns: ["key", "type", "default", "meaning"], rows: transition),
        DocTable(file: "docs/format.md", heading: "Actions", columns: ["action", "form", "what it does"], rows: action),
        DocTable(file: "docs/sla.md", heading: "Writing targets", columns: ["key", "meaning"], rows: sla),
        DocTable(file: "docs/sla.md", heading: "Writing targets", columns: ["key", "default", "meaning"], rows: slaTarget),
    ]

    // MARK: The rows

    static let top: [KeyDoc] = [
        KeyDoc(["sop"], type: "id", required: "yes", default: nil,
            meaning: "the SOP's id, used by `sop start ID`, by `call:` and by `start:` actions"),
        KeyDoc(["version"], type: "integer ≥ 1", required: "yes", default: nil,
            meaning: "raise it on every change; runs record the version they started on"),
        KeyDoc(["title"], type: "string", required: "yes", default: nil,
            meaning: "shown to agents; may use `${{ }}` templates"),
        KeyDoc(["description"], type: "string", required: "no", default: nil,
            meaning: "for people reading the file"),
        KeyDoc(["category"], type: "`intake`, `escalation`, `returns`, `complaint`, `follow-up`, `enforcement`, `other`, or an id of your own", required: "no", default: nil,
            meaning: "for reports and routing; a category of your own is allowed, with an `unknown-category` warning"),
        KeyDoc(["applies_when"], type: "boolean expression", required: "no", default: nil,
            meaning: "`sop route` offers the SOP for a ticket when this holds"),
        KeyDoc(["roles"], type: "list of ids", required: "no", default: "`[agent]`",
            meaning: "the roles that may act in this SOP; `system` (timers) is always there"),
        KeyDoc(["vars"], type: "map of id → field spec", required: "no", default: nil,
            meaning: "run variables, read as `var.NAME`"),
        KeyDoc(["start"], type: "state id", required: "yes", default: nil,
            meaning: "the state a run starts in"),
        KeyDoc(["states"], type: "map of id → state", required: "yes, not empty", default: nil,
            meaning: "the states, in the order they are shown"),
    ]

    /// `sla` is described in its own section of docs/format.md.
    static let topSLA: [KeyDoc] = [
        KeyDoc(["sla"], type: "mapping", required: nil, default: nil,
            meaning: "service-level targets counted in business time: `calendar` (the default calendar of the targets and of business timers) and `targets`, each target's id mapped to its `target`, `calendar`, `start`, `pause`, `stop` and `warning` ([sla.md](sla.md))"),
    ]

    static let variable: [KeyDoc] = [
        KeyDoc(["type"], type: "a type (below)", required: "yes", default: nil,
            meaning: ""),
        KeyDoc(["values"], type: "list of strings (or `{value, label}` entries)", required: "for `enum`", default: nil,
            meaning: "the allowed values"),
        KeyDoc(["initial"], type: "a literal of the type", required: "no", default: nil,
            meaning: "the value a run starts with; without it the variable reads as `null` until set"),
    ]

    static let state: [KeyDoc] = [
        KeyDoc(["title"], type: "string", required: nil, default: "required",
            meaning: "a short label; may use `${{ }}` templates"),
        KeyDoc(["instructions"], type: "string (Markdown)", required: nil, default: nil,
            meaning: "what the agent should do here; may use `${{ }}` templates"),
        KeyDoc(["checklist"], type: "list of strings", required: nil, default: nil,
            meaning: "items the acting agent confirms (`sop step --check all` or `--check 1,2`) before an event may leave the state, and before automatic transitions are tried"),
        KeyDoc(["inputs"], type: "map of id → input spec", required: nil, default: nil,
            meaning: "what the agent supplies here"),
        KeyDoc(["role"], type: "role id", required: nil, default: "`agent`",
            meaning: "who acts in this state"),
        KeyDoc(["enter"], type: "list of actions", required: nil, default: nil,
            meaning: "run each time the state is entered"),
        KeyDoc(["transitions"], type: "list of transitions", required: nil, default: nil,
            meaning: "the ways out, tried in the order written"),
        KeyDoc(["call"], type: "SOP id", required: nil, default: nil,
            meaning: "on entering, start that SOP as a child run on the same ticket; the state waits until the child ends, and its transitions read `child.outcome`"),
        KeyDoc(["end"], type: "outcome id", required: nil, default: nil,
            meaning: "makes the state terminal: a run that gets here ends with this outcome. An end state has no `transitions`, `call` or `inputs`"),
    ]

    static let input: [KeyDoc] = [
        KeyDoc(["type"], type: "a type", required: nil, default: "required",
            meaning: "how the answer is read and checked"),
        KeyDoc(["prompt"], type: "string", required: nil, default: "the input's id",
            meaning: "the question the guide and `status` show"),
        KeyDoc(["required"], type: "boolean", required: nil, default: "`true`",
            meaning: "automatic transitions wait for every required input; a required string cannot be blank"),
        KeyDoc(["values"], type: "list of strings, or of `{value: …, label: \"…\"}` entries", required: nil, default: nil,
            meaning: "for `enum`: the allowed answers; a `label` is what the guide and `status` show for its value"),
        KeyDoc(["min", "max"], type: "numbers", required: nil, default: nil,
            meaning: "for `integer` and `number`: inclusive bounds"),
        KeyDoc(["min_length", "max_length"], type: "integers ≥ 0", required: nil, default: nil,
            meaning: "for `string`: bounds on the number of characters, counted as Unicode code points (as JSON Schema's `maxLength` counts: `é` typed as `e` and a combining accent is two)"),
        KeyDoc(["pattern"], type: "regular expression", required: nil, default: nil,
            meaning: "for `string`: the answer must contain a match (anchor it with `^…$` to match it whole); the dialect is below, in [Patterns](#patterns)"),
        KeyDoc(["scope"], type: "`run` or `visit`", required: nil, default: "`run`",
            meaning: "how long the answer stays readable as `input.NAME`: for the rest of the run, or only until the run next enters this state (below, [Confirmations that must be fresh](#confirmations-that-must-be-fresh))"),
    ]

    static let transition: [KeyDoc] = [
        KeyDoc(["to"], type: "state id", required: nil, default: "required",
            meaning: "where the transition leads"),
        KeyDoc(["on"], type: "event id", required: nil, default: nil,
            meaning: "taken when this event is sent (`sop step RUN --event ID`, an agent's choice or an integration's event), or when an SLA clock sends `sla.ID.warning` or `sla.ID.breached`"),
        KeyDoc(["after"], type: "duration, or `${{ expression }}` giving one, or `{business: DURATION, calendar: ID}`", required: nil, default: nil,
            meaning: "a timer: due that long after the state was entered; `sop tick` (or any later command on the run) takes it. A business timer counts only the open hours of a calendar ([calendars.md](calendars.md))"),
        KeyDoc(["when"], type: "boolean expression", required: nil, default: "`true`",
            meaning: "the guard: the transition is taken only when it holds"),
        KeyDoc(["label"], type: "string", required: nil, default: "the event id",
            meaning: "the text of the agent's choice"),
        KeyDoc(["role"], type: "role id", required: nil, default: "the state's role",
            meaning: "the role needed to take it; timers are taken by `system`"),
        KeyDoc(["do"], type: "list of actions", required: nil, default: nil,
            meaning: "run in order when the transition is taken"),
    ]

    static let action: [KeyDoc] = [
        KeyDoc(["set"], type: "`{PATH: VALUE, …}`", required: nil, default: nil,
            meaning: "assigns ticket fields (`ticket.a.b`) or variables (`var.x`); each VALUE is checked against the field's type"),
        KeyDoc(["notify"], type: "`{to: customer | team:ID | role:ID, template: TEXT}`", required: nil, default: nil,
            meaning: "records a message in the run's outbox; the journal keeps it and integrations deliver it"),
        KeyDoc(["assign"], type: "`{role: ID}` and/or `{queue: TEXT}`", required: nil, default: nil,
            meaning: "records who owns the run now (shown by `status`, kept in the journal); it does not change who may act"),
        KeyDoc(["tag"], type: "`[TEXT, …]`", required: nil, default: nil,
            meaning: "adds to the list field `ticket.tags` (which the ticket schema must declare)"),
        KeyDoc(["start"], type: "`{sop: ID}`", required: nil, default: nil,
            meaning: "starts an independent run of another SOP on the same ticket"),
    ]

    static let sla: [KeyDoc] = [
        KeyDoc(["calendar"], type: nil, required: nil, default: nil,
            meaning: "the id of a calendar of the SOP folder: the default for the targets, and for business timers written without one (`after: {business: 2d}`)"),
        KeyDoc(["targets"], type: nil, required: nil, default: nil,
            meaning: "each target's id (`first_response`, `resolution`, any id) mapped to its definition"),
    ]

    static let slaTarget: [KeyDoc] = [
        KeyDoc(["target"], type: nil, required: nil, default: "required",
            meaning: "the business time allowed: a business duration (`4h`, `5d`, `2d 4h`), or `{by: EXPRESSION, values: {VALUE: DURATION, …}, default: DURATION}`: the value of the expression (for example `ticket.priority`), read as text, picks the duration, and `default` covers every other value. Without a `default`, a ticket with another value has no due time until its value gets one"),
        KeyDoc(["calendar"], type: nil, required: nil, default: "the `sla` block's",
            meaning: "its own calendar"),
        KeyDoc(["start"], type: nil, required: nil, default: "the run's start",
            meaning: "states whose entry starts the clock"),
        KeyDoc(["pause"], type: nil, required: nil, default: "none",
            meaning: "states in which the clock is paused; it resumes when the run leaves them"),
        KeyDoc(["stop"], type: nil, required: nil, default: "required",
            meaning: "states whose entry stops the clock"),
        KeyDoc(["warning"], type: nil, required: nil, default: "none",
            meaning: "a percentage of the target (`75%`): when that much of it has passed, the clock sends `sla.ID.warning`"),
    ]

    // The mappings below are described in the docs' prose, not in a table.

    static let enumValue: [KeyDoc] = [
        KeyDoc(["value"], type: "string", required: "yes", default: nil,
            meaning: "the value itself: what an answer gives and guards compare"),
        KeyDoc(["label"], type: "string", required: "yes", default: nil,
            meaning: "what the guide and `status` show for the value"),
    ]

    static let businessTimer: [KeyDoc] = [
        KeyDoc(["business"], type: "business duration", required: "yes", default: nil,
            meaning: "how much of the calendar's open time must pass since the state was entered (`4h`, `1h30m`, `5d` business days, `2d 4h`)"),
        KeyDoc(["calendar"], type: "calendar id", required: nil, default: "the `sla` block's `calendar`",
            meaning: "the id of a calendar of the SOP folder ([calendars.md](calendars.md))"),
    ]

    static let notify: [KeyDoc] = [
        KeyDoc(["to"], type: "`customer`, `team:ID` or `role:ID`", required: "yes", default: nil,
            meaning: "who the message is for"),
        KeyDoc(["template"], type: "string", required: "yes", default: nil,
            meaning: "the message; may use `${{ }}` templates, rendered when the action runs"),
    ]

    static let assign: [KeyDoc] = [
        KeyDoc(["role"], type: "role id", required: nil, default: nil,
            meaning: "the role that owns the run now (shown by `status`); it does not change who may act"),
        KeyDoc(["queue"], type: "string", required: nil, default: nil,
            meaning: "the queue that owns the run now"),
    ]

    static let startAction: [KeyDoc] = [
        KeyDoc(["sop"], type: "SOP id", required: "yes", default: nil,
            meaning: "the SOP to start as an independent run on the same ticket"),
    ]

    // Scenario test files (docs/scenario-tests.md).

    static let testFile: [KeyDoc] = [
        KeyDoc(["sop"], type: "SOP id", required: "yes", default: nil, meaning: "the SOP the cases drive"),
        KeyDoc(["cases"], type: "list of cases", required: "yes", default: nil, meaning: "the cases, each run on a fresh store"),
    ]

    static let testCase: [KeyDoc] = [
        KeyDoc(["name"], type: "string", required: "yes", default: nil, meaning: "what the case shows, in the output of `sop test`"),
        KeyDoc(["now"], type: "datetime", required: nil, default: "`2026-01-01T00:00:00Z`", meaning: "the case's clock when it starts"),
        KeyDoc(["ticket"], type: "mapping", required: "yes", default: nil, meaning: "the ticket the run starts on"),
        KeyDoc(["steps"], type: "list of steps", required: "yes", default: nil, meaning: "what is done to the run, in order"),
        KeyDoc(["expect"], type: "expectations", required: "no", default: nil, meaning: "how the case's run must end up"),
    ]

    static let testStep: [KeyDoc] = [
        KeyDoc(["input"], type: "map of input id → value", required: nil, default: nil, meaning: "inputs given in this step"),
        KeyDoc(["event"], type: "event id", required: nil, default: nil, meaning: "the event sent in this step"),
        KeyDoc(["ticket"], type: "mapping", required: nil, default: nil, meaning: "a JSON merge patch applied to the ticket"),
        KeyDoc(["advance"], type: "duration", required: nil, default: nil, meaning: "moves the clock and ticks every run"),
        KeyDoc(["actor"], type: "`{id, role}`", required: nil, default: "a tester with the state's role", meaning: "who acts"),
        KeyDoc(["check"], type: "`all` or a list of item numbers", required: nil, default: nil, meaning: "checklist items confirmed in this step"),
        KeyDoc(["expect"], type: "expectations", required: nil, default: nil, meaning: "where the step must leave the run; `error` expects a refusal"),
        KeyDoc(["run"], type: "`main` or `child`", required: nil, default: "`main`", meaning: "`child`: the step goes to the child run the case's run waits for"),
    ]

    static let testExpectation: [KeyDoc] = [
        KeyDoc(["state"], type: "state id", required: nil, default: nil, meaning: "the state the run is in"),
        KeyDoc(["outcome"], type: "outcome id", required: nil, default: nil, meaning: "the outcome the run ended with"),
        KeyDoc(["ticket"], type: "mapping", required: nil, default: nil, meaning: "a subset of the ticket"),
        KeyDoc(["vars"], type: "mapping", required: nil, default: nil, meaning: "a subset of the run's variables"),
        KeyDoc(["path"], type: "list of state ids", required: nil, default: nil, meaning: "the states the run entered, in order"),
        KeyDoc(["outbox"], type: "a count, or a list of messages", required: nil, default: nil, meaning: "the messages the run recorded (strings match as substrings)"),
        KeyDoc(["error"], type: "string", required: nil, default: nil, meaning: "the step must be refused with a reason that contains this text"),
    ]

    static let testActor: [KeyDoc] = [
        KeyDoc(["id"], type: "string", required: nil, default: "`tester`", meaning: "who acts"),
        KeyDoc(["role"], type: "role id", required: nil, default: "the state's role", meaning: "the role they act in"),
    ]

    static let slaLength: [KeyDoc] = [
        KeyDoc(["by"], type: "expression", required: "yes", default: nil,
            meaning: "the expression whose value, read as text, picks the duration (`ticket.priority`)"),
        KeyDoc(["values"], type: "map of value → business duration", required: "yes", default: nil,
            meaning: "the duration for each value"),
        KeyDoc(["default"], type: "business duration", required: "no", default: nil,
            meaning: "the duration for every other value; without it such a ticket has no due time"),
    ]
}
