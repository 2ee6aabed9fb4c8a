import Foundation

/// A run-time value of the expression language.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case null
    case boolean(Bool)
    case integer(Int)
    /// A decimal number, kept exactly (money amounts compare as written).
    case number(Decimal)
    case string(String)
    /// Days since 1970-01-01.
    case date(Int)
    /// Milliseconds since 1970-01-01T00:00:00Z.
    case datetime(Int64)
    /// Milliseconds.
    case duration(Int64)
    case list([Value])
    case object([String: Value])

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .boolean: return "boolean"
        case .integer: return "integer"
        case .number: return "number"
        case .string: return "string"
        case .date: return "date"
        case .datetime: return "datetime"
        case .duration: return "duration"
        case .list: return "list"
        case .object: return "object"
        }
    }

    /// "an integer", "a string": for messages.
    public var typeNameWithArticle: String {
        let name = typeName
        if self == .null { return name }
        return ("aeiou".contains(name.first!) ? "an " : "a ") + name
    }

    /// How a value reads inside a `${{ }}` template and in messages.
    public var description: String {
        switch self {
        case .null: return ""
        case .boolean(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .number(let d): return "\(d)"
        case .string(let s): return s
        case .date(let d): return CivilTime.formatDate(d)
        case .datetime(let ms): return CivilTime.formatDateTime(ms)
        case .duration(let ms): return DurationFormat.format(ms)
        case .list(let items): return items.map(\.description).joined(separator: ", ")
        case .object: return "[object]"
        }
    }

    /// The value as messages quote it: strings in quotes, null as `null`.
    public var quoted: String {
        switch self {
        case .null: return "null"
        case .string(let s): return "'\(s)'"
        default: return description
        }
    }
}
