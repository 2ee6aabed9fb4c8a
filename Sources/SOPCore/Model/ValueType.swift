/// The types of inputs, run variables and ticket fields (SOP-FORMAT.md, "Types").
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

/// An input a state asks the agent for.
public struct InputSpec: Sendable, Hashable {
    public var id: Located<String>
    public var type: ValueType
    public var prompt: String?
    public var required: Bool
    /// The allowed values of an `enum` input.
    public var values: [Located<String>]
    public var min: Double?
    public var max: Double?
}

/// A run variable declared under `vars`.
public struct FieldSpec: Sendable, Hashable {
    public var id: Located<String>
    public var type: ValueType
    public var values: [Located<String>]
    /// The `initial` literal as written; checked against `type` by the expression layer.
    public var initial: YAMLValue?
}
