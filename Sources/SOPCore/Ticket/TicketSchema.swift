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
    public var exclusiveMinimum: Decimal?
    public var exclusiveMaximum: Decimal?
    public var multipleOf: Decimal?
    /// Bounds on a string's length, in Unicode code points (as JSON Schema counts them).
    public var minLength: Int?
    public var maxLength: Int?
    /// A regular expression a string must contain a match of.
    public var pattern: String?
    public var minItems: Int?
    public var maxItems: Int?
    public var uniqueItems = false
    public var constValue: JSONValue?
    /// `additionalProperties`: false, or a schema for members `properties` does not name.
    public var additionalProperties: Bool?
    public var additionalSchema: SchemaNode?
    /// The `false` schema: no value is valid.
    public var never = false

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

    static let supported: Set<String> = ["type", "enum", "const", "format", "properties", "required", "items", "minimum",
                                         "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
                                         "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
                                         "additionalProperties", "$ref", "$defs"]
    static let annotations: Set<String> = ["$id", "$comment", "title", "description", "examples", "default",
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
            throw LoadError(description: "\(path):\(error.position): \(error.problem("ticket schema"))")
        }
        let source = SourceFile(path: path, bytes: bytes)
        var builder = Builder(path: path, root: json, positions: parser.keyPositions.merging(parser.positions) { key, _ in key })
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
        if rules.never {
            violation("no value is allowed here (the schema is false)")
            return
        }
        if !rules.types.isEmpty, !rules.types.contains(where: { matches(value, type: $0) }) {
            violation("expected \(rules.types.sorted().joined(separator: " or ")), found \(describe(value))")
            return
        }
        if let values = rules.enumValues, !values.contains(where: { equal($0, value) }) {
            violation("\(describe(value)) is not one of \(values.map { $0.render() }.joined(separator: ", "))")
        }
        if let constant = rules.constValue, !equal(constant, value) {
            violation("\(describe(value)) is not \(constant.render())")
        }
        if case .string(let s) = value {
            let length = s.unicodeScalars.count
            if let min = rules.minLength, length < min { violation("'\(s)' is shorter than \(min) characters") }
            if let max = rules.maxLength, length > max { violation("'\(s)' is longer than \(max) characters") }
            if let pattern = rules.pattern, !InputPattern.matches(s, pattern) { violation("'\(s)' does not match the pattern \(pattern)") }
        }
        if case .string(let s) = value, let format = rules.format {
            if format == "date", CivilTime.parseDate(s) == nil { violation("'\(s)' is not a date (YYYY-MM-DD)") }
            if format == "date-time", CivilTime.parseDateTime(s) == nil { violation("'\(s)' is not an RFC 3339 date-time") }
        }
        if let n = number(value) {
            if let min = rules.minimum, n < min { violation("\(n) is below the minimum \(min)") }
            if let max = rules.maximum, n > max { violation("\(n) is above the maximum \(max)") }
            if let min = rules.exclusiveMinimum, n <= min { violation("\(n) is not above \(min)") }
            if let max = rules.exclusiveMaximum, n >= max { violation("\(n) is not below \(max)") }
            if let m = rules.multipleOf, !isMultiple(n, of: m) { violation("\(n) is not a multiple of \(m)") }
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
                } else if case .node(let r)? = rules.additionalSchema {
                    validate(member, against: r, at: path + "." + name, into: &violations)
                } else if rules.additionalProperties == false {
                    violations.append(TicketViolation(path: path + "." + name, message: "is not a field of the ticket schema"))
                }
            }
        }
        if case .array(let items) = value {
            if let min = rules.minItems, items.count < min { violation("has \(items.count) items, fewer than \(min)") }
            if let max = rules.maxItems, items.count > max { violation("has \(items.count) items, more than \(max)") }
            if rules.uniqueItems {
                for i in items.indices where items[..<i].contains(where: { equal($0, items[i]) }) {
                    violation("item \(i) repeats an earlier item (the items must be unique)")
                    break
                }
            }
            if case .node(let itemRules)? = rules.items {
                for (i, item) in items.enumerated() {
                    validate(item, against: itemRules, at: "\(path)[\(i)]", into: &violations)
                }
            }
        }
    }

    /// Whether `n` is a whole multiple of `m` (exactly, in decimal).
    private static func isMultiple(_ n: Decimal, of m: Decimal) -> Bool {
        guard m > 0 else { return true }
        var quotient = Decimal(), a = n, b = m
        guard NSDecimalDivide(&quotient, &a, &b, .plain) == .noError else { return false }
        var rounded = Decimal(), q = quotient
        NSDecimalRound(&rounded, &q, 0, .plain)
        return rounded == quotient
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

    /// JSON Schema's equality: numbers by value, objects by their members whatever their order,
    /// arrays item by item.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { member in y[member.key].map { equal(member.value, $0) } ?? false }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        default:
            if let x = number(a), let y = number(b) { return x == y }
            return a == b
        }
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
        let root: JSONValue
        let positions: [String: JSONPosition]
        var diagnostics: [Diagnostic] = []
        /// The `$ref`s being resolved, to refuse a schema that refers to itself.
        var resolving: [String] = []

        init(path: String, root: JSONValue, positions: [String: JSONPosition]) {
            self.path = path
            self.root = root
            self.positions = positions
        }

        func fail(_ message: String, at pointer: String) -> LoadError {
            LoadError(description: "\(path): \(message) at '\(pointer.isEmpty ? "/" : pointer)'")
        }

        /// A count: a whole number of 0 or more (`2.0` counts as 2, as JSON Schema says).
        func nonNegativeInteger(_ value: JSONValue, _ key: String, at here: String) throws(LoadError) -> Int {
            switch value {
            case .int(let n) where n >= 0: return n
            case .number(let d) where d >= 0 && d < 1_000_000_000 && TicketSchema.matches(value, type: "integer"):
                return NSDecimalNumber(decimal: d).intValue
            default: throw fail("'\(key)' must be a whole number of 0 or more", at: here)
            }
        }

        func decimal(_ value: JSONValue, _ key: String, at here: String) throws(LoadError) -> Decimal {
            switch value {
            case .int(let i): return Decimal(i)
            case .number(let d): return d
            default: throw fail("'\(key)' must be a number", at: here)
            }
        }

        /// The schema a local `$ref` (`#`, `#/$defs/name`, any JSON pointer into this file) names.
        mutating func referenced(_ ref: String, at here: String) throws(LoadError) -> SchemaRules {
            guard ref.hasPrefix("#") else { throw fail("only local $ref ('#/$defs/…') is supported, found '\(ref)'", at: here) }
            guard !resolving.contains(ref) else {
                throw fail("'$ref' \(ref) refers to itself; a recursive ticket schema is not supported", at: here)
            }
            var target = root
            for token in ref.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
                let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
                switch target {
                case .object(let members) where members[key] != nil: target = members[key]!
                case .array(let items) where Int(key).map(items.indices.contains) == true: target = items[Int(key)!]
                default: throw fail("'$ref' \(ref) names nothing in this file", at: here)
                }
            }
            resolving.append(ref)
            defer { resolving.removeLast() }
            return try rules(target, pointer: String(ref.dropFirst()))
        }

        mutating func rules(_ json: JSONValue, pointer: String) throws(LoadError) -> SchemaRules {
            guard case .object(let members) = json else {
                if case .bool(let b) = json { var r = SchemaRules(); r.never = !b; return r }
                throw fail("the schema must be an object, true or false", at: pointer)
            }
            // A $ref's schema applies together with its siblings: start from it.
            var rules = SchemaRules()
            if let ref = members["$ref"] {
                guard case .string(let r) = ref else { throw fail("'$ref' must be a string", at: pointer + "/$ref") }
                rules = try referenced(r, at: pointer + "/$ref")
            }
            for (key, value) in members {
                let here = pointer + "/" + key
                switch key {
                case "$ref":
                    continue
                case "$schema":
                    // The subset is read with draft 2020-12's meaning; another dialect (or a custom
                    // meta-schema that switches vocabularies off) could mean something else.
                    guard case .string(let uri) = value,
                          ["https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2020-12/schema#"].contains(uri) else {
                        unsupported("dialect \(value.render()) in '$schema'", at: here,
                                    help: "sopkit reads ticket schemas as draft 2020-12: write \"$schema\": \"https://json-schema.org/draft/2020-12/schema\", or leave it out")
                        continue
                    }
                case "$defs":
                    guard case .object(let defs) = value else { throw fail("'$defs' must be an object", at: here) }
                    // Checked here, so a mistake in a definition nobody refers to is still found.
                    for (name, sub) in defs { _ = try self.rules(sub, pointer: here + "/" + name) }
                case "type":
                    let names: [String]
                    switch value {
                    case .string(let s): names = [s]
                    case .array(let items) where !items.isEmpty:
                        names = try items.map { item throws(LoadError) -> String in
                            guard case .string(let s) = item else { throw fail("'type' lists type names", at: here) }
                            return s
                        }
                    default: throw fail("'type' must be a type name or a non-empty list of them", at: here)
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
                    rules.required = try names.map { name throws(LoadError) -> String in
                        guard case .string(let s) = name else { throw fail("'required' lists field names (strings)", at: here) }
                        return s
                    }
                case "const":
                    rules.constValue = value
                case "exclusiveMinimum": rules.exclusiveMinimum = try decimal(value, key, at: here)
                case "exclusiveMaximum": rules.exclusiveMaximum = try decimal(value, key, at: here)
                case "multipleOf":
                    let m = try decimal(value, key, at: here)
                    guard m > 0 else { throw fail("'multipleOf' must be above 0", at: here) }
                    rules.multipleOf = m
                case "minLength": rules.minLength = try nonNegativeInteger(value, key, at: here)
                case "maxLength": rules.maxLength = try nonNegativeInteger(value, key, at: here)
                case "minItems": rules.minItems = try nonNegativeInteger(value, key, at: here)
                case "maxItems": rules.maxItems = try nonNegativeInteger(value, key, at: here)
                case "uniqueItems":
                    guard case .bool(let b) = value else { throw fail("'uniqueItems' must be true or false", at: here) }
                    rules.uniqueItems = b
                case "pattern":
                    guard case .string(let p) = value else { throw fail("'pattern' must be a string", at: here) }
                    if let problem = InputPattern.problem(p) { throw fail("'pattern' is not a valid regular expression (\(problem))", at: here) }
                    rules.pattern = p
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
                    if case .bool(let b) = value {
                        rules.additionalProperties = b
                    } else {
                        rules.additionalSchema = .node(try self.rules(value, pointer: here))
                    }
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
                file: path, span: SourceSpan(at: start), rule: UnknownKeyRule.self,
                message: "unsupported JSON Schema \(what) at '\(pointer)': sopkit would not enforce it", help: help))
        }
    }
}
