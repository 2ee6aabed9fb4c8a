import Foundation
import SOPExpression
import SOPJSON
import SOPYAML

/// Conversions between run-time values, JSON (how runs are stored and printed) and YAML literals.
public enum ValueJSON {
    /// A value as JSON: dates as `YYYY-MM-DD`, datetimes as RFC 3339, durations as literals.
    public static func json(_ v: Value) -> JSONValue {
        switch v {
        case .null: return .null
        case .boolean(let b): return .bool(b)
        case .integer(let i): return .int(i)
        case .number(let d): return .number(d)
        case .string(let s): return .string(s)
        case .date, .datetime, .duration: return .string(v.description)
        case .list(let items): return .array(items.map(json))
        case .object(let fields): return .object(JSONObject(fields.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) }))
        }
    }

    /// Named values as a JSON object with sorted keys (run variables, inputs).
    public static func object(_ values: [String: Value]) -> JSONValue {
        .object(JSONObject(values.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) }))
    }

    /// JSON read back as a value of a declared type (nil type: as JSON says).
    public static func value(_ j: JSONValue, as type: ValueType?) -> Value {
        switch (type, j) {
        case (_, .null): return .null
        case (.date?, .string(let s)): return CivilTime.parseDate(s).map(Value.date) ?? .string(s)
        case (.datetime?, .string(let s)): return CivilTime.parseDateTime(s).map(Value.datetime) ?? .string(s)
        case (.duration?, .string(let s)): return DurationFormat.parse(s).map(Value.duration) ?? .string(s)
        case (.number?, .int(let i)): return .number(Decimal(i))
        default: return TicketSchema.untypedValue(j)
        }
    }

    /// A YAML literal as JSON.
    public static func json(_ node: YAMLNode) -> JSONValue {
        switch node.kind {
        case .scalar(let s):
            switch s.resolved {
            case .null: return .null
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .float(let d): return d.isFinite ? .number(Decimal(string: s.text) ?? Decimal(d)) : .string(s.text)
            case .string(let t): return .string(t)
            }
        case .sequence(let items): return .array(items.map(json))
        case .mapping(let pairs): return .object(JSONObject(pairs.map { ($0.key.scalar?.text ?? "", json($0.value)) }))
        }
    }
}

extension JSONValue {
    /// RFC 7386 JSON merge patch.
    public func merged(with patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var members = JSONObject()
        if case .object(let mine) = self { members = mine }
        for (key, value) in patchMembers {
            members[key] = value == .null ? nil : (members[key] ?? .null).merged(with: value)
        }
        return .object(members)
    }

    /// The value at a path of object keys, nil when absent.
    public func value(at path: ArraySlice<String>) -> JSONValue? {
        guard let first = path.first else { return self }
        return self[first]?.value(at: path.dropFirst())
    }

    /// A copy with the value at a path of object keys replaced (objects are created as needed).
    public func setting(_ path: ArraySlice<String>, to newValue: JSONValue) -> JSONValue {
        guard let first = path.first else { return newValue }
        var members = JSONObject()
        if case .object(let mine) = self { members = mine }
        members[first] = (members[first] ?? .null).setting(path.dropFirst(), to: newValue)
        return .object(members)
    }
}
