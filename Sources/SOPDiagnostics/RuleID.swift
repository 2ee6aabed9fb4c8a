/// Severity of a diagnostic, as CLI.md assigns it to each rule.
public enum Severity: String, Sendable, Hashable, Comparable {
    case error
    case warning

    public static func < (a: Severity, b: Severity) -> Bool { a == .error && b == .warning }
}

/// The catalogue of lint rules: every id CLI.md defines, with its severity and a one-line summary.
/// This is the one place rule ids live; SARIF's rule table and docs/lint-rules.md come from it.
public enum RuleID: String, Sendable, Hashable, CaseIterable, Comparable {
    case yamlSyntax = "yaml-syntax"
    case yamlLimit = "yaml-limit"
    case duplicateKey = "duplicate-key"
    case unknownKey = "unknown-key"
    case missingKey = "missing-key"
    case wrongType = "wrong-type"
    case invalidID = "invalid-id"
    case unknownState = "unknown-state"
    case deadEnd = "dead-end"
    case noTerminal = "no-terminal"
    case unreachableState = "unreachable-state"
    case endWithTransitions = "end-with-transitions"
    case expressionSyntax = "expression-syntax"
    case unknownField = "unknown-field"
    case unknownVariable = "unknown-variable"
    case unknownInput = "unknown-input"
    case unknownFunction = "unknown-function"
    case typeMismatch = "type-mismatch"
    case invalidEnumValue = "invalid-enum-value"
    case unknownSOP = "unknown-sop"
    case unknownOutcome = "unknown-outcome"
    case unknownRole = "unknown-role"
    case shadowedTransition = "shadowed-transition"
    case nonExhaustive = "non-exhaustive"
    case idMismatch = "id-mismatch"
    case unusedInput = "unused-input"
    case noTicketSchema = "no-ticket-schema"
    case templateUnquoted = "template-unquoted"
    case invalidPattern = "invalid-pattern"
    case inputTypeConflict = "input-type-conflict"
    case inputNotGiven = "input-not-given"
    case templateMisspelt = "template-misspelt"
    case unknownCategory = "unknown-category"
    case unusedSuppression = "unused-suppression"

    public static func < (a: RuleID, b: RuleID) -> Bool { a.rawValue < b.rawValue }

    public var severity: Severity {
        switch self {
        case .unreachableState, .shadowedTransition, .nonExhaustive, .idMismatch, .unusedInput,
             .noTicketSchema, .inputNotGiven, .templateMisspelt, .unknownCategory,
             .unusedSuppression:
            return .warning
        default:
            return .error
        }
    }

    public var summary: String {
        switch self {
        case .yamlSyntax: return "The file is not well-formed YAML."
        case .yamlLimit: return "The file exceeds a safety limit: size, nesting depth or alias expansion."
        case .duplicateKey: return "A mapping defines the same key twice."
        case .unknownKey: return "A key that the SOP format does not define at this place."
        case .missingKey: return "A required key is missing."
        case .wrongType: return "A value has the wrong type or form for its key."
        case .invalidID: return "An id does not match ^[a-z][a-z0-9_-]*$."
        case .unknownState: return "A state reference (start, to) names no state of the SOP."
        case .deadEnd: return "A non-terminal state has no way out."
        case .noTerminal: return "From some reachable state no end state can be reached."
        case .unreachableState: return "A state that no path from the start reaches."
        case .endWithTransitions: return "A terminal state (end) also has transitions, call or inputs."
        case .expressionSyntax: return "An expression does not parse."
        case .unknownField: return "A ticket path that the ticket schema does not define."
        case .unknownVariable: return "A var path that the SOP's vars do not declare."
        case .unknownInput: return "An input path that no state of the SOP declares."
        case .unknownFunction: return "A call of a function the expression language does not have."
        case .typeMismatch: return "An expression or value has a type that does not fit where it is used."
        case .invalidEnumValue: return "A value compared with or assigned to an enum is not one of its values."
        case .unknownSOP: return "A call or start names an SOP that is not in the linted set."
        case .unknownOutcome: return "child.outcome is compared with an outcome the child never ends with."
        case .unknownRole: return "A role that the SOP's roles do not declare."
        case .shadowedTransition: return "A transition after an unguarded one with the same trigger can never be taken."
        case .nonExhaustive: return "Automatic guards over an enum or boolean leave values uncovered and there is no fallback."
        case .idMismatch: return "The SOP's id differs from its file name."
        case .unusedInput: return "An input that no expression reads."
        case .noTicketSchema: return "No ticket schema was found, so ticket fields are unchecked."
        case .templateUnquoted: return "A {...} flow mapping where a quoted \"${{ … }}\" template was meant."
        case .invalidPattern: return "An input's pattern is not a valid regular expression."
        case .inputTypeConflict: return "Two states declare an input of the same name with different types."
        case .inputNotGiven: return "A guard reads an input that no path to it can have given by then."
        case .templateMisspelt: return "Human text holds ${ x } or {{ x }}, which are not templates; ${{ x }} was meant."
        case .unknownCategory: return "A category outside the known list: allowed, but reports group it on its own."
        case .unusedSuppression: return "A # sop: ignore[...] comment that suppresses nothing, or names no rule."
        }
    }
}
