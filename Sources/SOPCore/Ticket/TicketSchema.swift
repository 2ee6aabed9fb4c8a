import Foundation
import SOPDiagnostics
import SOPExpression
import SOPJSON

/// One node of the ticket schema: the JSON Schema subset docs/ticket-schema.md allows.
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
    /// A regular expression a string must contain a match of, and its compiled program (built
    /// once, when the schema is read, not per ticket).
    public var pattern: String?
    var compiledPattern: InputPattern.Program?
    public var minItems: Int?
    public var maxItems: Int?
    public var uniqueItems = false
    public var constValue: JSONValue?
    /// `additionalProperties`: false, or a schema for members `properties` does not name.
    public var additionalProperties: Bool?
    public var additionalSchema: SchemaNode?
    /// The `false` schema: no value is valid.
    public var never = false
    /// `$ref`: the index in `TicketSchema.references` of the schema that applies together with
    /// these rules. References are kept as indexes, never expanded: a schema whose definitions
    /// each refer to the next one twice stays as small as its file.
    public var ref: Int?
    /// The `description` annotation: not a rule, but what the field is for, in words
    /// (the procedure text an agent reads names each field with it).
    public var description: String?

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
    /// The schemas `$ref`s name, each built once (`SchemaRules.ref` indexes this).
    public let references: [SchemaRules]
    /// Keywords sopkit does not support, reported as `unknown-key` on the schema file.
    public let diagnostics: [Diagnostic]
    public let source: SourceFile
    /// The ticket's static type for the expression checker (worked out once: every file linted needs it).
    public let type: ExprType
    /// The SHA-256 of the schema file's bytes: runs are pinned to the schema they started under.
    public let digest: String

    /// The digest a run started without a ticket schema is pinned to.
    public static let noneDigest = "none"

    init(path: String, root: SchemaRules, references: [SchemaRules], diagnostics: [Diagnostic], source: SourceFile) {
        self.path = path
        self.root = root
        self.references = references
        self.diagnostics = diagnostics
        self.source = source
        var typer = Typer(references: references)
        self.type = typer.type(of: root)
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
        /// The mistake as a diagnostic (rule, place, source line and help), when it is one in the
        /// file (`ticket-schema-syntax`, `ticket-schema-invalid`); nil when the file cannot be read.
        public var diagnostic: Diagnostic?

        public init(description: String) {
            self.description = description
        }

        /// An error that is a mistake in the schema file: every command shows it as lint does.
        public init(diagnostic: Diagnostic, source: SourceFile) {
            var d = diagnostic
            if d.sourceLine == nil { d.sourceLine = source.lineText(d.span.start.line) }
            self.diagnostic = d
            let rendered = HumanRenderer(useColor: false).render(d).trimmingCharacters(in: .newlines)
            self.description = "the ticket schema \(d.file) cannot be used\n" + rendered
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
        let source = SourceFile(path: path, bytes: bytes)
        do {
            json = try parser.parseDocument()
        } catch {
            let at = SourceSpan(at: SourcePosition(line: error.position.line, column: error.position.column))
            let diagnostic: Diagnostic
            switch error.kind {
            case .syntax:
                diagnostic = Diagnostic(file: path, span: at, rule: TicketSchemaSyntaxRule.self, message: "not valid JSON: \(error.message)",
                                        help: error.help ?? "fix the JSON at this place: objects are {\"key\": value, …}, arrays [a, b], strings in double quotes")
            case .numberNotKept:
                diagnostic = Diagnostic(file: path, span: at, rule: TicketSchemaInvalidRule.self, message: error.problem("ticket schema"),
                                        help: "write the number with fewer digits")
            }
            throw LoadError(diagnostic: diagnostic, source: source)
        }
        var builder = Builder(path: path, root: json, positions: parser.keyPositions.merging(parser.positions) { key, _ in key },
                              source: source)
        let root = try builder.build()
        return TicketSchema(path: path, root: root, references: builder.references.map { $0 ?? SchemaRules() },
                            diagnostics: builder.diagnostics, source: source)
    }

    /// Works out static types, each referenced schema once: a `$ref` gives the type of what it
    /// names, merged with the fields its siblings add.
    struct Typer {
        let references: [SchemaRules]
        var known: [Int: ExprType] = [:]
        /// How many objects and lists deep the type being worked out is: beyond `maxDepth`
        /// fields are `any` (a schema nested that deep through references types no real path).
        var depth = 0
        static let maxDepth = 64

        mutating func type(of rules: SchemaRules) -> ExprType {
            let own = ownType(of: rules)
            guard let ref = rules.ref else { return own }
            return Self.combine(own, referenced(ref))
        }

        /// The type of `references[index]`, once; a chain of references is followed without recursion.
        mutating func referenced(_ index: Int) -> ExprType {
            if let t = known[index] { return t }
            guard depth <= Self.maxDepth else { return .any }
            var chain = [index], inChain: Set<Int> = [index]
            while let next = references[chain.last!].ref, known[next] == nil, inChain.insert(next).inserted { chain.append(next) }
            for i in chain.reversed() {
                let own = ownType(of: references[i])
                known[i] = references[i].ref.map { Self.combine(own, known[$0] ?? .any) } ?? own
            }
            return known[index]!
        }

        /// The siblings of a `$ref` say more than it when they say anything; object fields are merged.
        static func combine(_ own: ExprType, _ referenced: ExprType) -> ExprType {
            switch (own, referenced) {
            case (.any, _): return referenced
            case (.object(let mine), .object(let theirs)): return .object(theirs.merging(mine) { _, m in m })
            default: return own
            }
        }

        mutating func ownType(of rules: SchemaRules) -> ExprType {
            if let values = rules.enumValues {
                let strings = values.compactMap { v -> String? in if case .string(let s) = v { return s } else { return nil } }
                if strings.count == values.filter({ $0 != .null }).count, !strings.isEmpty { return .enumeration(strings) }
            }
            let types = rules.types.subtracting(["null"])
            if types.isEmpty && !rules.properties.isEmpty { return .object(fieldTypes(rules)) }
            if types.isEmpty || types == ["object"], let map = mapType(rules) { return map }
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
                if case .node(let item)? = rules.items {
                    depth += 1
                    defer { depth -= 1 }
                    return .list(type(of: item))
                }
                return .list(.any)
            case "object": return .object(fieldTypes(rules))
            default: return .any
            }
        }

        /// An object with no `properties` whose `additionalProperties` is a schema (orders by
        /// their id): every field has that schema's type. With `properties` as well, the named
        /// fields are typed and the others are unknown fields, as without `additionalProperties`.
        private mutating func mapType(_ rules: SchemaRules) -> ExprType? {
            guard rules.properties.isEmpty, case .node(let element)? = rules.additionalSchema else { return nil }
            depth += 1
            defer { depth -= 1 }
            return .map(type(of: element))
        }

        private mutating func fieldTypes(_ rules: SchemaRules) -> [String: ExprType] {
            var fields: [String: ExprType] = [:]
            depth += 1
            defer { depth -= 1 }
            for (name, node) in rules.properties {
                if case .node(let r) = node { fields[name] = type(of: r) }
            }
            return fields
        }
    }

    // MARK: Validation

    /// Every way `ticket` breaks the schema, by path.
    public func validate(_ ticket: JSONValue) -> [TicketViolation] {
        var violations: [TicketViolation] = []
        validate(ticket, against: root, at: "ticket", into: &violations)
        return violations
    }

    /// `rules` and every schema its `$ref` chain names apply together (followed in a loop, so a
    /// long chain costs no stack).
    private func validate(_ value: JSONValue, against rules: SchemaRules, at path: String,
                          into violations: inout [TicketViolation]) {
        var current = rules
        while true {
            validateOwn(value, against: current, at: path, into: &violations)
            guard let next = current.ref else { return }
            current = references[next]
        }
    }

    private func validateOwn(_ value: JSONValue, against rules: SchemaRules, at path: String,
                             into violations: inout [TicketViolation]) {
        func violation(_ message: String) { violations.append(TicketViolation(path: path, message: message)) }
        if rules.never {
            violation("no value is allowed here (the schema is false)")
            return
        }
        if !rules.types.isEmpty, !rules.types.contains(where: { Self.matches(value, type: $0) }) {
            violation("expected \(rules.types.sorted().joined(separator: " or ")), found \(Self.describe(value))")
            return
        }
        if let values = rules.enumValues, !values.contains(where: { Self.equal($0, value) }) {
            violation("\(Self.describe(value)) is not one of \(values.map { $0.render() }.joined(separator: ", "))")
        }
        if let constant = rules.constValue, !Self.equal(constant, value) {
            violation("\(Self.describe(value)) is not \(constant.render())")
        }
        if case .string(let s) = value {
            let length = s.unicodeScalars.count
            if let min = rules.minLength, length < min { violation("'\(s)' is shorter than \(min) characters") }
            if let max = rules.maxLength, length > max { violation("'\(s)' is longer than \(max) characters") }
            if let pattern = rules.pattern, let program = rules.compiledPattern, !program.search(s) {
                violation("'\(s)' does not match the pattern \(pattern)")
            }
        }
        if case .string(let s) = value, let format = rules.format {
            if format == "date", CivilTime.parseDate(s) == nil { violation("'\(s)' is not a date (YYYY-MM-DD)") }
            if format == "date-time", CivilTime.parseDateTime(s) == nil { violation("'\(s)' is not an RFC 3339 date-time") }
        }
        if let n = Self.number(value) {
            if let min = rules.minimum, n < min { violation("\(n) is below the minimum \(min)") }
            if let max = rules.maximum, n > max { violation("\(n) is above the maximum \(max)") }
            if let min = rules.exclusiveMinimum, n <= min { violation("\(n) is not above \(min)") }
            if let max = rules.exclusiveMaximum, n >= max { violation("\(n) is not below \(max)") }
            if let m = rules.multipleOf, !Self.isMultiple(n, of: m) { violation("\(n) is not a multiple of \(m)") }
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
                for i in items.indices where items[..<i].contains(where: { Self.equal($0, items[i]) }) {
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
        Self.value(ticket, rules: root, references: references)
    }

    /// Without a schema: JSON as is (strings stay strings).
    public static func untypedValue(_ json: JSONValue) -> Value {
        value(json, rules: nil, references: [])
    }

    /// The first answer along `rules`' `$ref` chain (the siblings of a `$ref` come first).
    private static func first<T>(_ rules: SchemaRules?, _ references: [SchemaRules], _ answer: (SchemaRules) -> T?) -> T? {
        var current = rules
        var steps = 0
        while let r = current {
            if let a = answer(r) { return a }
            guard let next = r.ref, steps <= references.count else { return nil }
            current = references[next]
            steps += 1
        }
        return nil
    }

    static func value(_ json: JSONValue, rules: SchemaRules?, references: [SchemaRules]) -> Value {
        switch json {
        case .null: return .null
        case .bool(let b): return .boolean(b)
        case .int(let i): return .integer(i)
        case .number(let d): return .number(d)
        case .string(let s):
            switch first(rules, references, { $0.format }) {
            case "date": return CivilTime.parseDate(s).map(Value.date) ?? .string(s)
            case "date-time": return CivilTime.parseDateTime(s).map(Value.datetime) ?? .string(s)
            default: return .string(s)
            }
        case .array(let items):
            let itemRules: SchemaRules? = first(rules, references) { if case .node(let r)? = $0.items { return r } else { return nil } }
            return .list(items.map { value($0, rules: itemRules, references: references) })
        case .object(let members):
            // Each field's schema: the first along the `$ref` chain that names it (one lookup table per object).
            var known: [String: SchemaRules] = [:]
            var current = rules, steps = 0
            while let r = current, steps <= references.count {
                for (name, node) in r.properties where known[name] == nil {
                    if case .node(let sub) = node { known[name] = sub }
                }
                current = r.ref.map { references[$0] }
                steps += 1
            }
            var fields: [String: Value] = [:]
            for (name, member) in members {
                fields[name] = value(member, rules: known[name], references: references)
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
        /// Pointers already reported, so a schema built twice (inline and as a `$ref`'s target)
        /// is reported once.
        var reported: Set<String> = []
        /// The schemas `$ref`s name, by index; nil until built.
        var references: [SchemaRules?] = []
        /// Canonical JSON pointer of a referenced schema → its index in `references`.
        var indexOf: [String: Int] = [:]
        /// Referenced schemas waiting to be built: (index, pointer, value).
        var pending: [(Int, String, JSONValue)] = []
        /// The references found while building the current table entry: (index, `$ref` text, where).
        var found: [(Int, String, String)] = []

        let source: SourceFile

        init(path: String, root: JSONValue, positions: [String: JSONPosition], source: SourceFile) {
            self.path = path
            self.root = root
            self.positions = positions
            self.source = source
        }

        /// A schema sopkit cannot use (`ticket-schema-invalid`), at the place the pointer names:
        /// the key when it has one, else the value, else the nearest enclosing place.
        func fail(_ message: String, at pointer: String, help: String? = nil) -> LoadError {
            var place = pointer
            var position = positions[place]
            while position == nil, let slash = place.lastIndex(of: "/") {
                place = String(place[..<slash])
                position = positions[place]
            }
            let at = position.map { SourceSpan(at: SourcePosition(line: $0.line, column: $0.column)) } ?? .fileStart
            let d = Diagnostic(file: path, span: at, rule: TicketSchemaInvalidRule.self,
                               message: "\(message) at '\(pointer.isEmpty ? "/" : pointer)'",
                               help: help ?? "see docs/ticket-schema.md for the keywords sopkit reads and the values each takes")
            return LoadError(diagnostic: d, source: source)
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

        /// The root schema, then every schema a `$ref` names, each once, in a loop (a chain of
        /// 600 references costs no stack); then refuses a reference that comes back to itself.
        mutating func build() throws(LoadError) -> SchemaRules {
            let rootIndex = slot(for: "", value: root)
            var edges: [[(Int, String, String)]] = []
            var rootRules = SchemaRules()
            while let (index, pointer, value) = pending.popLast() {
                found = []
                let rules = try self.rules(value, pointer: pointer)
                references[index] = rules
                while edges.count < references.count { edges.append([]) }
                edges[index] = found
                if index == rootIndex { rootRules = rules }
            }
            while edges.count < references.count { edges.append([]) }
            try refuseCycles(edges)
            return rootRules
        }

        /// The index of the schema at `pointer` in `references`, queued to be built the first time.
        mutating func slot(for pointer: String, value: JSONValue) -> Int {
            if let i = indexOf[pointer] { return i }
            let i = references.count
            references.append(nil)
            indexOf[pointer] = i
            pending.append((i, pointer, value))
            return i
        }

        /// A schema whose references lead back to it would be a recursive ticket model: refused.
        /// Depth-first, with an explicit stack.
        func refuseCycles(_ edges: [[(Int, String, String)]]) throws(LoadError) {
            var state = [UInt8](repeating: 0, count: edges.count)  // 0 new, 1 on the path, 2 done
            for start in edges.indices where state[start] == 0 {
                var stack: [(node: Int, next: Int)] = [(start, 0)]
                state[start] = 1
                while let top = stack.last {
                    if top.next == edges[top.node].count {
                        state[top.node] = 2
                        stack.removeLast()
                        continue
                    }
                    stack[stack.count - 1].next += 1
                    let (target, ref, here) = edges[top.node][top.next]
                    switch state[target] {
                    case 1: throw fail("'$ref' \(ref) refers to itself; a recursive ticket schema is not supported", at: here,
                                      help: "describe the nested level inline, to the depth tickets have, instead of referring back")
                    case 0: state[target] = 1; stack.append((target, 0))
                    default: break
                    }
                }
            }
        }

        /// Records a local `$ref` (`#`, `#/$defs/name`, any JSON pointer into this file, percent-
        /// encoded as a URI fragment may be) and returns the index of what it names.
        mutating func referenced(_ ref: String, at here: String) throws(LoadError) -> Int {
            guard ref.hasPrefix("#") else {
                throw fail("only local $ref ('#/$defs/…') is supported, found '\(ref)'", at: here,
                           help: "copy the schema it names into this file's \"$defs\" and refer to it as '#/$defs/NAME'")
            }
            guard let fragment = String(ref.dropFirst()).removingPercentEncoding else {
                throw fail("'$ref' \(ref) is not a valid URI fragment (a '%' must start an escape such as %20)", at: here)
            }
            guard fragment.isEmpty || fragment.hasPrefix("/") else {
                throw fail("'$ref' \(ref) is not a JSON pointer ('#/$defs/name'); anchors are not supported", at: here)
            }
            var target = root
            var canonical = ""
            for token in fragment.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
                let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
                switch target {
                case .object(let members) where members[key] != nil: target = members[key]!
                case .array(let items) where Int(key).map(items.indices.contains) == true: target = items[Int(key)!]
                default:
                    var names: [String] = []
                    if case .object(let members) = target { names = members.map(\.key) }
                    throw fail("'$ref' \(ref) names nothing in this file", at: here,
                               help: Suggestions.didYouMean(key, in: names).map { "\($0) (in \(canonical.isEmpty ? "#" : "#" + canonical))" }
                                   ?? "point it at a schema of this file, such as '#/$defs/NAME'")
                }
                canonical += "/" + JSONParser.escapePointer(key)
            }
            let index = slot(for: canonical, value: target)
            found.append((index, ref, here))
            return index
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
                rules.ref = try referenced(r, at: pointer + "/$ref")
            }
            for (key, value) in members where key != "$ref" {
                let here = pointer + "/" + JSONParser.escapePointer(key)
                if try readStructure(key, value, at: here, into: &rules) { continue }
                if try readValueForm(key, value, at: here, into: &rules) { continue }
                if try readBound(key, value, at: here, into: &rules) { continue }
                if key == "description", case .string(let text) = value { rules.description = text }
                if !TicketSchema.annotations.contains(key) {
                    unsupported("keyword '\(key)'", at: here, help: "sopkit supports " + TicketSchema.supported.sorted().joined(separator: ", ")
                                + "; remove it, or enforce it outside sopkit")
                }
            }
            return rules
        }

        /// The keywords that shape the schema: its dialect, definitions, and the schemas of its
        /// fields and items. False for any other keyword.
        private mutating func readStructure(_ key: String, _ value: JSONValue, at here: String,
                                            into rules: inout SchemaRules) throws(LoadError) -> Bool {
            switch key {
            case "$schema":
                // The subset is read with draft 2020-12's meaning; another dialect (or a custom
                // meta-schema that switches vocabularies off) could mean something else.
                guard case .string(let uri) = value,
                      ["https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2020-12/schema#"].contains(uri) else {
                    unsupported("dialect \(value.render()) in '$schema'", at: here,
                                help: "sopkit reads ticket schemas as draft 2020-12: write \"$schema\": \"https://json-schema.org/draft/2020-12/schema\", or leave it out")
                    return true
                }
            case "$defs":
                guard case .object(let defs) = value else { throw fail("'$defs' must be an object", at: here) }
                // Built as referenced schemas (once each), so a mistake in a definition nobody
                // refers to is still found.
                for (name, sub) in defs { _ = slot(for: here + "/" + JSONParser.escapePointer(name), value: sub) }
            case "properties":
                guard case .object(let props) = value else { throw fail("'properties' must be an object", at: here) }
                for (name, sub) in props {
                    rules.properties.append((name, .node(try self.rules(sub, pointer: here + "/" + JSONParser.escapePointer(name)))))
                }
            case "required":
                guard case .array(let names) = value else { throw fail("'required' must be an array", at: here) }
                rules.required = try names.map { name throws(LoadError) -> String in
                    guard case .string(let s) = name else { throw fail("'required' lists field names (strings)", at: here) }
                    return s
                }
            case "items":
                rules.items = .node(try self.rules(value, pointer: here))
            case "additionalProperties":
                if case .bool(let b) = value {
                    rules.additionalProperties = b
                } else {
                    rules.additionalSchema = .node(try self.rules(value, pointer: here))
                }
            default:
                return false
            }
            return true
        }

        /// The keywords that say what a value may be: its type, the values allowed, its format
        /// and pattern. False for any other keyword.
        private mutating func readValueForm(_ key: String, _ value: JSONValue, at here: String,
                                            into rules: inout SchemaRules) throws(LoadError) -> Bool {
            switch key {
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
                    throw fail("unknown type '\(name)'", at: here,
                               help: Suggestions.didYouMean(name, in: TicketSchema.jsonTypes.sorted())
                                   ?? "the types are string, integer, number, boolean, object, array and null")
                }
                rules.types = Set(names)
            case "enum":
                guard case .array(let values) = value else { throw fail("'enum' must be an array", at: here) }
                rules.enumValues = values
            case "const":
                rules.constValue = value
            case "format":
                guard case .string(let f) = value else { throw fail("'format' must be a string", at: here) }
                if f == "date" || f == "date-time" {
                    rules.format = f
                } else {
                    unsupported("format '\(f)'", at: here, help: "sopkit checks the formats date and date-time")
                }
            case "pattern":
                guard case .string(let p) = value else { throw fail("'pattern' must be a string", at: here) }
                switch InputPattern.compile(p) {
                case .success(let program): rules.compiledPattern = program
                case .failure(let error): throw fail("'pattern' is not a valid regular expression (\(error.message))", at: here)
                }
                rules.pattern = p
            default:
                return false
            }
            return true
        }

        /// The bounds on numbers, texts and arrays. False for any other keyword.
        private func readBound(_ key: String, _ value: JSONValue, at here: String,
                               into rules: inout SchemaRules) throws(LoadError) -> Bool {
            switch key {
            case "minimum": rules.minimum = try decimal(value, key, at: here)
            case "maximum": rules.maximum = try decimal(value, key, at: here)
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
            default:
                return false
            }
            return true
        }

        private mutating func unsupported(_ what: String, at pointer: String, help: String) {
            guard reported.insert(pointer).inserted else { return }
            let p = positions[pointer] ?? JSONPosition(line: 1, column: 1)
            let start = SourcePosition(line: p.line, column: p.column)
            diagnostics.append(Diagnostic(
                file: path, span: SourceSpan(at: start), rule: UnknownKeyRule.self,
                message: "unsupported JSON Schema \(what) at '\(pointer)': sopkit would not enforce it", help: help))
        }
    }
}
