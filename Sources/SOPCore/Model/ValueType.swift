/// The types of inputs, run variables and ticket fields (docs/format.md, "Types").
public enum ValueType: String, Sendable, Hashable, CaseIterable {
    case string
    case integer
    case number
    case boolean
    case date
    case datetime
    case duration
    case `enum`
    case list
}

/// How long an input's answer stays readable as `input.NAME` (docs/format.md, "Inputs").
public enum InputScope: String, Sendable, Hashable, CaseIterable {
    /// For the rest of the run (the latest answer wins): the default.
    case run
    /// Until the run next enters the state that declares it (a transition back to the same
    /// state included): a confirmation that must be given afresh each visit.
    case visit
}

/// An input a state asks the agent for.
public struct InputSpec: Sendable, Hashable {
    public var id: Located<String>
    public var type: ValueType
    /// The question as the SOP wrote it; nil when it gave none (see `question`).
    public var prompt: String?
    public var required: Bool
    /// The allowed values of an `enum` input.
    public var values: [Located<String>]
    /// Labels people see for some of `values` (`{value: x, label: "…"}`), by value.
    public var labels: [String: String] = [:]
    public var min: Double?
    public var max: Double?
    /// Bounds on a string answer's length, in characters.
    public var minLength: Int?
    public var maxLength: Int?
    /// A regular expression a string answer must contain a match of (anchor it with ^…$ to
    /// match the whole answer), as JSON Schema's `pattern`.
    public var pattern: String?
    /// How long the answer stays readable: the run (default) or this visit of the state.
    public var scope: InputScope = .run

    /// The question people and agents see: the prompt, or the input's id when the SOP gives
    /// none (docs/format.md), so every reader shows the same text and none shows null.
    public var question: String { prompt ?? id.value }

    public init(id: Located<String>, type: ValueType, prompt: String? = nil, required: Bool = true, values: [Located<String>] = [],
                labels: [String: String] = [:], min: Double? = nil, max: Double? = nil, minLength: Int? = nil, maxLength: Int? = nil,
                pattern: String? = nil, scope: InputScope = .run) {
        self.id = id
        self.type = type
        self.prompt = prompt
        self.required = required
        self.values = values
        self.labels = labels
        self.min = min
        self.max = max
        self.minLength = minLength
        self.maxLength = maxLength
        self.pattern = pattern
        self.scope = scope
    }
}

/// A run variable declared under `vars`.
public struct FieldSpec: Sendable, Hashable {
    public var id: Located<String>
    public var type: ValueType
    public var values: [Located<String>]
    /// Labels people see for some of `values`, by value.
    public var labels: [String: String] = [:]
    /// The `initial` value; checked against `type` by the expression layer.
    public var initial: Literal?
}
