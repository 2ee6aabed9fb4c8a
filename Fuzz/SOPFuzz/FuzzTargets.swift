import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON

/// The fuzz targets: each takes arbitrary bytes to one of sopkit's parsers and checks what must
/// hold whatever the input (no trap, and round trips where there are any). A broken property
/// calls `fatalError`, which libFuzzer reports as a crash with the input that caused it.
enum FuzzTargets {
    static let all: [String: @Sendable (UnsafeBufferPointer<UInt8>) -> Void] = [
        "sop": sop, "expression": expression, "json": json, "ticket": ticket, "datetime": datetime,
        "scenario": scenario, "input": input, "scan": scan, "pattern": pattern, "shapes": shapes,
        "lsp-framing": lspFraming, "lsp-edits": lspEdits,
    ]

    static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    /// An SOP file: the YAML layer, the decoder, the expression checker and every lint rule; each
    /// reported position lies inside the file.
    static func sop(_ bytes: UnsafeBufferPointer<UInt8>) {
        let source = SourceFile(path: "fuzz.sop.yaml", bytes: Array(bytes))
        let result = Linter().lint(source)
        for d in result.diagnostics where d.span.start.line < 1 || d.span.start.line > max(1, source.lineCount) {
            fatalError("diagnostic outside the file: \(d)")
        }
        if result.diagnostics.allSatisfy({ $0.severity != .error }) {
            _ = try? CompiledSOP.compile(source, schema: nil)
        }
    }

    /// An expression (or a text with templates): parse, print and parse back to the same tree,
    /// then evaluate against an empty run.
    static func expression(_ bytes: UnsafeBufferPointer<UInt8>) {
        let s = text(bytes)
        if case .success(let e) = ExpressionParser.parse(s) {
            switch ExpressionParser.parse(e.description) {
            case .success(let again) where again == e: break
            // Printing adds a level of parentheses per operator: a deep tree can print deeper
            // than the parser's nesting limit.
            case .failure(let error) where error.message.contains("nests deeper"): break
            default: fatalError("'\(s)' prints as '\(e.description)', which does not parse back to the same tree")
            }
            _ = try? Evaluator.evaluate(e, in: EvaluationContext(now: 0))
        }
        _ = Template.parse(s)
        _ = Template.misspellings(s)
    }

    /// JSON: strict parse; what parses renders to text that parses back to the same value.
    static func json(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = try? JSONParser.parse(Array(bytes)) else { return }
        guard let again = try? JSONParser.parse(value.render()), again == value else {
            fatalError("\(value.render()) does not parse back to itself")
        }
        guard (try? JSONParser.parse(value.canonical())).map({ $0.canonical() == value.canonical() }) == true else {
            fatalError("the canonical form of \(value.render()) is not stable")
        }
    }

    /// The pull scanner `sop report` reads journal records with: never traps, and on any text the
    /// strict parser accepts it skips the whole value, and it reads a top-level object's keys,
    /// strings and integers as the parser does.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) {
        var skipper = JSONScanner(bytes)
        let skipped = (try? skipper.skip()).flatMap { try? skipper.end() } != nil
        var reader = JSONScanner(bytes)
        var members: [(key: String, value: JSONValue?)] = []
        let read: Bool
        do {
            try reader.beginObject()
            while let key = try reader.nextKey() {
                var probe = reader
                if let string = try probe.stringOrSkip() {
                    members.append((text(key), .string(string)))
                    reader = probe
                } else if let n = try reader.intOrSkip() {
                    members.append((text(key), .int(n)))
                } else {
                    members.append((text(key), nil))
                }
            }
            try reader.end()
            read = true
        } catch {
            read = false
        }
        guard let value = try? JSONParser.parse(Array(bytes)) else { return }
        guard skipped else { fatalError("the scanner does not skip \(value.render())") }
        guard case .object(let object) = value else { return }
        guard read, members.count == object.count else { fatalError("the scanner does not read \(value.render())") }
        for (member, (key, parsed)) in zip(members, object) where !member.key.contains("\\") {
            guard member.key == key else { fatalError("key \(member.key) read where \(key) is") }
            switch parsed {
            case .string, .int: guard member.value == parsed else { fatalError("\(key): \(String(describing: member.value)), not \(parsed)") }
            default: guard member.value == nil else { fatalError("\(key): a string or integer read in \(parsed)") }
            }
        }
    }

    static let shippedSchema: TicketSchema? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../schemas/ticket.schema.json")
        return try? TicketSchema.load(path: url.standardizedFileURL.path)
    }()

    /// A ticket schema, and a ticket: the schema is read (or refused) and validates a few
    /// tickets; the input as a ticket is validated against the shipped schema and typed.
    static func ticket(_ bytes: UnsafeBufferPointer<UInt8>) {
        if let schema = try? TicketSchema.parse(bytes: Array(bytes), path: "fuzz.json") {
            for t in [JSONValue.object([]), .object([("id", .string("T")), ("n", .int(3))]), .array([.int(1), .int(1)]), .null,
                      .string(String(repeating: "a", count: 40) + "!")] {
                _ = schema.validate(t)
                _ = schema.value(of: t)
            }
        }
        if let ticket = try? JSONParser.parse(Array(bytes)), let schema = shippedSchema {
            _ = schema.validate(ticket)
            _ = schema.value(of: ticket)
        }
    }

    /// Dates, datetimes and durations: what parses formats to text that parses to the same value.
    static func datetime(_ bytes: UnsafeBufferPointer<UInt8>) {
        let s = text(bytes)
        if let ms = CivilTime.parseDateTime(s), CivilTime.parseDateTime(CivilTime.formatDateTime(ms)) != ms {
            fatalError("'\(s)' → \(ms) → '\(CivilTime.formatDateTime(ms))' does not parse back")
        }
        if let days = CivilTime.parseDate(s), CivilTime.parseDate(CivilTime.formatDate(days)) != days {
            fatalError("'\(s)' → \(days) does not parse back")
        }
        if let ms = DurationFormat.parse(s), DurationFormat.parse(DurationFormat.format(ms)) != ms {
            fatalError("'\(s)' → \(ms) ms → '\(DurationFormat.format(ms))' does not parse back")
        }
    }

    /// A scenario test file: loaded and linted on its own.
    static func scenario(_ bytes: UnsafeBufferPointer<UInt8>) {
        let source = SourceFile(path: "fuzz.test.yaml", bytes: Array(bytes))
        _ = ScenarioLoader.load(source)
        _ = Linter().lint(source)
    }

    static let specs: [InputSpec] = {
        let at = SourceSpan.fileStart
        return [
            InputSpec(id: Located("s", at: at), type: .string, minLength: 1, maxLength: 20, pattern: "^[A-Z]"),
            InputSpec(id: Located("i", at: at), type: .integer, min: -5, max: 1e9),
            InputSpec(id: Located("n", at: at), type: .number, min: 0),
            InputSpec(id: Located("b", at: at), type: .boolean),
            InputSpec(id: Located("d", at: at), type: .date),
            InputSpec(id: Located("t", at: at), type: .datetime),
            InputSpec(id: Located("u", at: at), type: .duration),
            InputSpec(id: Located("e", at: at), type: .enum, values: [Located("a", at: at), Located("b", at: at)]),
            InputSpec(id: Located("l", at: at), type: .list),
        ]
    }()

    /// An agent's typed answer (`--input NAME=VALUE`), parsed as every type of input.
    static func input(_ bytes: UnsafeBufferPointer<UInt8>) {
        let s = text(bytes)
        for spec in specs { _ = try? InputParser.parse(s, spec: spec) }
    }

    /// A pattern and a text, split at the first line break: the pattern compiles or is refused
    /// with a reason, and searching any text finishes in time linear in it (libFuzzer's
    /// `-timeout` catches a search that does not); `problem` and `compile` agree.
    static func pattern(_ bytes: UnsafeBufferPointer<UInt8>) {
        let parts = text(bytes).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let pattern = String(parts[0])
        let subject = parts.count > 1 ? String(parts[1]) : ""
        switch InputPattern.compile(pattern) {
        case .success(let program):
            guard InputPattern.problem(pattern) == nil else { fatalError("'\(pattern)' compiles but has a problem") }
            // The text, and the text made long: a pattern that backtracks would take exponential time here.
            _ = program.search(subject)
            _ = program.search(String(repeating: subject.isEmpty ? "a" : subject, count: max(1, 2000 / max(1, subject.count))) + "!")
        case .failure:
            guard InputPattern.problem(pattern) != nil else { fatalError("'\(pattern)' is refused without a problem") }
        }
    }

    /// Deep structure random bytes rarely reach: the bytes choose a shape and its sizes, and the
    /// target builds the schema (or ticket) and reads and uses it. A chain of `$ref`s (up to 4,000
    /// links), a reference bomb (definitions that each refer to the next one up to 4 times, up to
    /// 48 levels), objects of many keys (up to 100,000), and patterns of nested quantifiers
    /// against long texts. What must hold: no trap, no stack overflow, no hang (`-timeout`),
    /// references never expanded (the schema's table is one entry per definition).
    static func shapes(_ bytes: UnsafeBufferPointer<UInt8>) {
        var r = ShapeReader(bytes)
        switch r.next() % 4 {
        case 0:
            let links = r.number(upTo: 4000)
            let sibling = r.pick(["", #", "maxLength": 3"#, #", "type": "string""#, #", "pattern": "^(a+)+$""#, #", "description": "x""#])
            var defs = (0..<links).map { i in ##""d\##(i)": {"$ref": "#/$defs/d\##(i + 1)"\##(i % 7 == 3 ? sibling : "")}"## }
            defs.append(##""d\##(links)": {"type": "string"}"##)
            let schemaText = #"{"$defs": {"# + defs.joined(separator: ", ") + ##"}, "properties": {"id": {"$ref": "#/$defs/d0"}}}"##
            use(schemaText, definitions: links + 1, tickets: [#"{"id": "aaaaaaaaaaaaaaaaaaaaaa!"}"#, #"{"id": 5}"#])
        case 1:
            let levels = r.number(upTo: 48), fanOut = 1 + r.number(upTo: 3)
            var defs = (0..<levels).map { i in
                let members = (0..<fanOut).map { k in ##""p\##(k)": {"$ref": "#/$defs/l\##(i + 1)"}"## }
                return #""l\#(i)": {"type": "object", "properties": {"# + members.joined(separator: ", ") + "}}"
            }
            defs.append(#""l\#(levels)": {"type": "integer"}"#)
            let schemaText = #"{"$defs": {"# + defs.joined(separator: ", ") + ##"}, "$ref": "#/$defs/l0"}"##
            let deep = String(repeating: #"{"p0": "#, count: min(levels, 60)) + "1" + String(repeating: "}", count: min(levels, 60))
            use(schemaText, definitions: levels + 1, tickets: [deep])
        case 2:
            let keys = r.number(upTo: 100_000)
            let ticket = "{" + (0..<keys).map { #""k\#($0)": \#($0)"# }.joined(separator: ",") + "}"
            let bytes = Array(ticket.utf8)
            if let value = try? JSONParser.parse(bytes), let schema = shippedSchema {
                _ = schema.validate(value)
                _ = schema.value(of: value)
            }
            let properties = (0..<min(keys, 5000)).map { #""k\#($0)": {"type": "integer", "minimum": 0}"# }.joined(separator: ",")
            use(#"{"properties": {"# + properties + "}}", definitions: 0, tickets: [ticket])
        default:
            let nesting = 1 + r.number(upTo: 40)
            let inner = r.pick(["a+", "a*", "a|a", "a?a", "(?:a|aa)", "[a-z]+", #"\w+"#, ".*"])
            let pattern = "^" + String(repeating: "(", count: nesting) + inner + String(repeating: ")+", count: nesting) + "$"
            let text = String(repeating: "a", count: r.number(upTo: 5000)) + "!"
            _ = InputPattern.matches(text, pattern)
        }
    }

    /// Reads, uses and checks a generated schema: accepted (or refused for a reason), its
    /// references one entry each, the tickets validated and typed.
    static func use(_ schemaText: String, definitions: Int, tickets: [String]) {
        guard let schema = try? TicketSchema.parse(bytes: Array(schemaText.utf8), path: "shape.json") else { return }
        guard schema.references.count <= definitions + 1 else {
            fatalError("\(definitions) definitions became \(schema.references.count) schemas: references were expanded")
        }
        for t in tickets {
            guard let ticket = try? JSONParser.parse(t) else { continue }
            _ = schema.validate(ticket)
            _ = schema.value(of: ticket)
        }
    }
}

/// Sizes and choices drawn from a fuzzer's bytes (0 when they run out).
struct ShapeReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func next() -> Int {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return Int(bytes[index])
    }

    /// A number from 0 to `limit`, from two bytes.
    mutating func number(upTo limit: Int) -> Int { (next() << 8 | next()) % (limit + 1) }

    mutating func pick(_ choices: [String]) -> String { choices[next() % choices.count] }
}
