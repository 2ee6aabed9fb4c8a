/// The static type of an expression, as the checker infers it.
public enum ExprType: Sendable, Hashable, CustomStringConvertible {
    /// Unknown statically (an unchecked ticket field): every use is allowed.
    case any
    case null
    case boolean
    case integer
    case number
    case string
    /// A string restricted to `values`.
    case enumeration([String])
    case date
    case datetime
    case duration
    indirect case list(ExprType)
    case object([String: ExprType])
    /// An object whose fields are not named in advance, every one of this type: a ticket
    /// schema's `additionalProperties: <schema>` without `properties` (orders by id).
    indirect case map(ExprType)

    public var description: String {
        switch self {
        case .any: return "any"
        case .null: return "null"
        case .boolean: return "boolean"
        case .integer: return "integer"
        case .number: return "number"
        case .string: return "string"
        case .enumeration(let values): return "enum (\(values.joined(separator: ", ")))"
        case .date: return "date"
        case .datetime: return "datetime"
        case .duration: return "duration"
        case .list(let element): return element.tag == .any ? "list" : "list of \(element)"
        case .object: return "object"
        case .map(let element): return element.tag == .any ? "object" : "object of \(element)"
        }
    }

    /// The case without its payload. The checker compares types with payload-free cases all the
    /// time (`t.tag == .any`); `==` on `ExprType` itself is the synthesized comparison, a call
    /// that copies both values, payloads included.
    enum Tag: UInt8 {
        case any, null, boolean, integer, number, string, enumeration, date, datetime, duration, list, object, map
    }

    var tag: Tag {
        switch self {
        case .any: return .any
        case .null: return .null
        case .boolean: return .boolean
        case .integer: return .integer
        case .number: return .number
        case .string: return .string
        case .enumeration: return .enumeration
        case .date: return .date
        case .datetime: return .datetime
        case .duration: return .duration
        case .list: return .list
        case .object: return .object
        case .map: return .map
        }
    }

    var isNumeric: Bool { tag == .integer || tag == .number }
    var isText: Bool {
        if case .enumeration = self { return true }
        return tag == .string
    }

    /// Whether values of the two types can be compared with `==` at all.
    func isComparable(with other: ExprType) -> Bool {
        if tag == .any || other.tag == .any || tag == .null || other.tag == .null { return true }
        if isNumeric && other.isNumeric { return true }
        if isText && other.isText { return true }
        if case .list = self, case .list = other { return true }
        return self == other
    }

    /// Whether a value of type `self` may be stored where `target` is expected.
    public func fits(_ target: ExprType) -> Bool {
        switch (self, target) {
        case (.any, _), (_, .any), (.null, _): return true
        case (.integer, .number): return true
        case (.enumeration, .string): return true
        case (.enumeration(let mine), .enumeration(let allowed)): return Set(mine).isSubset(of: allowed)
        case (.string, .enumeration): return true  // checked at run time; literals are checked by value
        case (.list(let a), .list(let b)), (.map(let a), .map(let b)): return a.fits(b)
        default: return self == target
        }
    }

    /// The type both branches of `if`/`coalesce` can be read as.
    func join(_ other: ExprType) -> ExprType? {
        if self == other { return self }
        if tag == .null { return other }
        if other.tag == .null { return self }
        if tag == .any || other.tag == .any { return .any }
        if isNumeric && other.isNumeric { return .number }
        if case .enumeration(let a) = self, case .enumeration(let b) = other { return .enumeration(a + b.filter { !a.contains($0) }) }
        if isText && other.isText { return .string }
        return nil
    }
}
