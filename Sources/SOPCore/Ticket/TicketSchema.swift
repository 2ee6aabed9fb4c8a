import Foundation
import SOPDiagnostics
import SOPExpression
import SOPJSON

/// One node of the ticket schema: the JSON Schema subset SOP-FORMAT.md allows.
public indirect enum SchemaNode: Sendable {
    case node(SchemaRules)
}

/// What a schema node requires of a value.
public struct SchemaRules: Sendable {
    /// Allowed JSON types (`string`, `integer`, `number`, `boolean`, `object`, `array`, `null`); empty means any.
    public var types: Set<String> = []
    public var enumValues: [JSONValue]?
    public var format: String?
    public var properties: [(String, SchemaNode)] = []
    public var required: [String] = []
    public var items: SchemaNode?
    public var minimum: Decimal?
    public var maximum: Decimal?
    public var additionalProperties: Bool?

    var property: [String: SchemaNode] { Dictionary(properties, uniquingKeysWith: { a, _ in a }) }
}

/// A ticket that breaks the schema: where (`ticket.customer.email`) and how.
public struct TicketViolation: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}

/// The organisation's ticket model, read from `schemas/ticket.schema.json`. It types `ticket.*`
/// paths for the checker and validates tickets at run time.
public struct TicketSchema: Sendable {
    public let path: String
    public let root: SchemaRules
    /// Keywords sopkit does not support, reported as `unknown-key` on the schema file.
    public let diagnostics: [Diagnostic]
    public let source: SourceFile
    /// The ticket's static type for the expression checker (worked out once: every file linted needs it).
    public let type: ExprType
    /// The SHA-256 of the schema file's bytes: runs are pinned to the schema they started under.
    public let digest: String

    /// The digest a run started without a ticket schema is pinned to.
    public static let noneDigest = "none"

    init(path: String, root: SchemaRules, diagnostics: [Diagnostic], source: SourceFile) {
        self.path = path
        self.root = root
        self.diagnostics = diagnostics
        self.source = source
        self.type = Self.type(of: root)
        self.digest = Digest.sha256(source.bytes)
    }

    static let supported: Set<String> = ["type", "enum", "format", "properties", "required", "items", "minimum",
                                         "maximum", "additionalProperties"]
    static let annotations: Set<String> = ["$schema", "$id", "$comment", "title", "description", "examples", "default",
                                           "deprecated", "readOnly", "writeOnly"]
    static let jsonTypes: Set<String> = ["string", "integer", "number", "boolean", "object", "array", "null"]

    /// Errors that stop the schema from being used at all.
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    public static func load(path: String) throws(LoadError) -> TicketSchema {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "\(path): cannot be read")
        }
        return try parse(bytes: [UInt8](data), path: path)
    }

    public static func parse(bytes: [UInt8], path: String) throws(LoadError) -> TicketSchema {
        var parser = JSONParser(bytes, recordPositions: true)
        let json: JSONValue
        do {
            json = try parser.parseDocument()
        } catch {
            throw LoadError(description: "\(path):\(error.position): the ticket schema is not valid JSON: \(error.message)")
        }
        let source = SourceFile(path: path, bytes: bytes)
        var builder = Builder(path: path, positions: parser.keyPositions.merging(parser.positions) { key, _ in key })
        let root = try builder.rules(json, pointer: "")
        return TicketSchema(path: path, root: root, diagnostics: builder.diagnostics, source: source)
    }

    static func type(of rules: SchemaRules) -> ExprType {
        if let values = rules.enumValues {
            let strings = values.compactMap { v -> String? in if case .string(let s) = v { return s } else { return nil } }
            if strings.count == values.filter({ $0 != .null }).count, !strings.isEmpty { return .enumeration(strings) }
        }
        let types = rules.types.subtracting(["null"])
        if types.isEmpty && !rules.properties.isEmpty { return .object(fieldTypes(rules)) }
        guard types.count == 1, let only = types.first else { return types.isEmpty && rules.types.contains("null") ? .null : .any }
        switch only {
        case "string":
            switch rules.format {
            case "date": return .date
            case "date-time": return .datetime
            default: return .string
            }
        case "integer": return .integer
        case "number": return .number
        case "boolean": return .boolean
        case "array":
            if case .node(let item)? = rules.items { return .list(type(of: item)) }
            return .list(.any)
        case "object": return .object(fieldTypes(rules))
        default: return .any
        }
    }

    private static func fieldTypes(_ rules: SchemaRules) -> [String: ExprType] {
        var fields: [String: ExprType] = [:]
        for (name, node) in rules.properties {
            if case .node(let r) = node { fields[name] = type(of: r) }
        }
        return fields
    }

    // MARK: Validation

    /// Every way `ticket` breaks the schema, by path.
    public func validate(_ ticket: JSONValue) -> [TicketViolation] {
        var violations: [TicketViolation] = []
        Self.validate(ticket, against: root, at: "ticket", into: &violations)
        return violations
    }

    private static func validate(_ value: JSONValue, against rules: SchemaRules, at path: String,
                                 into violations: inout [TicketViolation]) {
        func violation(_ message: String) { violations.append(TicketViolation(path: path, message: message)) }
        if !rules.types.isEmpty, !rules.types.contains(where: { matches(value, type: $0) }) {
            violation("expected \(rules.types.sorted().joined(separator: " or ")), found \(describe(value))")
            return
        }
        if let values = rules.enumValues, !values.contains(where: { equal($0, value) }) {
            violation("\(describe(value)) is not one of \(values.map { $0.render() }.joined(separator: ", "))")
        }
        if case .string(let s) = value, let format = rules.format {
            if format == "date", CivilTime.parseDate(s) == nil { violation("'\(s)' is not a date (YYYY-MM-DD)") }
            if format == "date-time", CivilTime.parseDateTime(s) == nil { violation("'\(s)' is not an RFC 3339 date-time") }
        }
        if let n = number(value) {
            if let min = rules.minimum, n < min { violation("\(n) is below the minimum \(min)") }
            if let max = rules.maximum, n > max { violation("\(n) is above the maximum \(max)") }
        }
        if case .object(let members) = value {
            let known = rules.property
            let present = Set(members.map(\.0))
            for name in rules.required where !present.contains(name) {
                violations.append(TicketViolation(path: path + "." + name, message: "is required but missing"))
            }
            for (name, member) in members {
                if case .node(let r)? = known[name] {
                    validate(member, against: r, at: path + "." + name, into: &violations)
                } else if rules.additionalProperties == false {
                    violations.append(TicketViolation(path: path + "." + name, message: "is not a field of the ticket schema"))
                }
            }
        }
        if case .array(let items) = value, case .node(let itemRules)? = rules.items {
            for (i, item) in items.enumerated() {
                validate(item, against: itemRules, at: "\(path)[\(i)]", into: &violations)
            }
        }
    }

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("object", .object), ("array", .array): return true
        case ("integer", .int), ("number", .int), ("number", .number): return true
        case ("integer", .number(let d)):
            var d = d, rounded = Decimal()
            NSDecimalRound(&rounded, &d, 0, .plain)
            return rounded == d
        default: return false
        }
    }

    private static func number(_ v: JSONValue) -> Decimal? {
        switch v {
        case .int(let i): return Decimal(i)
        case .number(let d): return d
        default: return nil
        }
    }

    private static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = number(a), let y = number(b) { return x == y }
        return a == b
    }

    static func describe(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return "the boolean \(b)"
        case .int, .number: return "the number \(v.render())"
        case .string(let s): return "the string '\(s)'"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    // MARK: Typed values

    /// The ticket as the evaluator reads it: date and date-time strings become dates and
    /// datetimes where the schema says so.
    public func value(of ticket: JSONValue) -> Value {
        Self.value(ticket, rules: root)
    }

    /// Without a schema: JSON as is (strings stay strings).
    public static func untypedValue(_ json: JSONValue) -> Value {
        value(json, rules: nil)
    }

    static func value(_ json: JSONValue, rules: SchemaRules?) -> Value {
        switch json {
        case .null: return .null
        case .bool(let b): return .boolean(b)
        case .int(let i): return .integer(i)
        case .number(let d): return .number(d)
        case .string(let s):
            switch rules?.format {
            case "date": return CivilTime.parseDate(s).map(Value.date) ?? .string(s)
            case "date-time": return CivilTime.parseDateTime(s).map(Value.datetime) ?? .string(s)
            default: return .string(s)
            }
        case .array(let items):
            let itemRules: SchemaRules? = { if case .node(let r)? = rules?.items { return r } else { return nil } }()
            return .list(items.map { value($0, rules: itemRules) })
        case .object(let members):
            let known = rules?.property ?? [:]
            var fields: [String: Value] = [:]
            for (name, member) in members {
                let r: SchemaRules? = { if case .node(let r)? = known[name] { return r } else { return nil } }()
                fields[name] = value(member, rules: r)
            }
            return .object(fields)
        }
    }

    // MARK: Reading the schema

    private struct Builder {
        let path: String
        let positions: [String: JSONPosition]
        var diagnostics: [Diagnostic] = []

        mutating func rules(_ json: JSONValue, pointer: String) throws(LoadError) -> SchemaRules {
            guard case .object(let members) = json else {
                if case .bool(true) = json { return SchemaRules() }
                throw LoadError(description: "\(path): the schema at '\(pointer.isEmpty ? "/" : pointer)' must be an object")
            }
            var rules = SchemaRules()
            for (key, value) in members {
                let here = pointer + "/" + key
                switch key {
                case "type":
                    let names: [String]
                    switch value {
                    case .string(let s): names = [s]
                    case .array(let items): names = items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
                    default: names = []
                    }
                    for name in names where !TicketSchema.jsonTypes.contains(name) {
                        throw LoadError(description: "\(path): unknown type '\(name)' at '\(here)'")
                    }
                    rules.types = Set(names)
                case "enum":
                    guard case .array(let values) = value else { throw LoadError(description: "\(path): 'enum' at '\(here)' must be an array") }
                    rules.enumValues = values
                case "format":
                    guard case .string(let f) = value else { throw LoadError(description: "\(path): 'format' at '\(here)' must be a string") }
                    if f == "date" || f == "date-time" {
                        rules.format = f
                    } else {
                        unsupported("format '\(f)'", at: here, help: "sopkit checks the formats date and date-time")
                    }
                case "properties":
                    guard case .object(let props) = value else { throw LoadError(description: "\(path): 'properties' at '\(here)' must be an object") }
                    for (name, sub) in props {
                        rules.properties.append((name, .node(try self.rules(sub, pointer: here + "/" + name))))
                    }
                case "required":
                    guard case .array(let names) = value else { throw LoadError(description: "\(path): 'required' at '\(here)' must be an array") }
                    rules.required = names.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
                case "items":
                    rules.items = .node(try self.rules(value, pointer: here))
                case "minimum", "maximum":
                    let n: Decimal?
                    switch value {
                    case .int(let i): n = Decimal(i)
                    case .number(let d): n = d
                    default: n = nil
                    }
                    guard let n else { throw LoadError(description: "\(path): '\(key)' at '\(here)' must be a number") }
                    if key == "minimum" { rules.minimum = n } else { rules.maximum = n }
                case "additionalProperties":
                    guard case .bool(let b) = value else {
                        unsupported("'additionalProperties' with a schema", at: here, help: "use true or false")
                        continue
                    }
                    rules.additionalProperties = b
                default:
                    if !TicketSchema.annotations.contains(key) {
                        unsupported("keyword '\(key)'", at: here, help: "sopkit supports " + TicketSchema.supported.sorted().joined(separator: ", ")
                                    + "; remove it, or enforce it outside sopkit")
                    }
                }
            }
            return rules
        }

        private mutating func unsupported(_ what: String, at pointer: String, help: String) {
            let p = positions[pointer] ?? JSONPosition(line: 1, column: 1)
            let start = SourcePosition(line: p.line, column: p.column)
            diagnostics.append(Diagnostic(
                file: path, span: SourceSpan(at: start), rule: .unknownKey,
                message: "unsupported JSON Schema \(what) at '\(pointer)': sopkit would not enforce it", help: help))
        }
    }
}
