import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import Testing

/// The ticket schema: its JSON Schema subset, the types it gives paths, and run-time validation.
struct TicketSchemaTests {
    static let schemaText = """
        {
          "type": "object",
          "required": ["id", "customer"],
          "additionalProperties": false,
          "properties": {
            "id": {"type": "string"},
            "priority": {"enum": ["low", "high", null]},
            "opened": {"type": "string", "format": "date"},
            "seen_at": {"type": ["string", "null"], "format": "date-time"},
            "total": {"type": "number", "minimum": 0, "maximum": 1000},
            "count": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "customer": {"type": "object", "required": ["email"],
                         "properties": {"email": {"type": "string"}, "vip": {"type": "boolean"}}}
          }
        }
        """

    static func schema() throws -> TicketSchema {
        try TicketSchema.parse(bytes: Array(schemaText.utf8), path: "ticket.schema.json")
    }

    @Test func typesTicketPaths() throws {
        guard case .object(let fields) = try Self.schema().type else {
            Issue.record("the ticket is not an object type")
            return
        }
        #expect(fields["priority"] == .enumeration(["low", "high"]))
        #expect(fields["opened"] == .date)
        #expect(fields["seen_at"] == .datetime)
        #expect(fields["total"] == .number)
        #expect(fields["count"] == .integer)
        #expect(fields["tags"] == .list(.string))
        #expect(fields["customer"] == .object(["email": .string, "vip": .boolean]))
    }

    @Test func validTicketHasNoViolations() throws {
        let ticket = try JSONParser.parse(#"{"id": "T-1", "priority": null, "opened": "2024-02-29", "total": 12.5, "count": 3.0, "customer": {"email": "a@b"}}"#)
        #expect(try Self.schema().validate(ticket).isEmpty)
    }

    @Test func everyViolationIsListedByPath() throws {
        let ticket = try JSONParser.parse("""
            {"priority": "urgent", "opened": "2023-02-29", "seen_at": "yesterday", "total": 1001, "count": 1.5,
             "tags": ["a", 2], "customer": {"vip": "yes"}, "extra": 1}
            """)
        let violations = try Self.schema().validate(ticket).map(\.description)
        #expect(violations == [
            "ticket.id: is required but missing",
            "ticket.priority: the string 'urgent' is not one of \"low\", \"high\", null",
            "ticket.opened: '2023-02-29' is not a date (YYYY-MM-DD)",
            "ticket.seen_at: 'yesterday' is not an RFC 3339 date-time",
            "ticket.total: 1001 is above the maximum 1000",
            "ticket.count: expected integer, found the number 1.5",
            "ticket.tags[1]: expected string, found the number 2",
            "ticket.customer.email: is required but missing",
            "ticket.customer.vip: expected boolean, found the string 'yes'",
            "ticket.extra: is not a field of the ticket schema",
        ])
    }

    @Test func typedValuesTurnDateStringsIntoDates() throws {
        let ticket = try JSONParser.parse(#"{"id": "T-1", "opened": "2026-11-02", "seen_at": "2026-11-02T09:00:00Z", "customer": {"email": "x"}}"#)
        let typed = try Self.schema().value(of: ticket)
        guard case .object(let fields) = typed else {
            Issue.record("the typed ticket is not an object: \(typed)")
            return
        }
        #expect(fields["opened"] == .date(CivilTime.parseDate("2026-11-02")!))
        #expect(fields["seen_at"] == .datetime(CivilTime.parseDateTime("2026-11-02T09:00:00Z")!))
        #expect(fields["id"] == .string("T-1"))
    }

    @Test func unsupportedKeywordsAreReportedWithTheirPlace() throws {
        let schema = try TicketSchema.parse(bytes: Array("""
            {"type": "object",
             "properties": {"email": {"type": "string", "contains": {}, "format": "email"}},
             "oneOf": []}
            """.utf8), path: "s.json")
        #expect(schema.diagnostics.map(\.message) == [
            "unsupported JSON Schema keyword 'contains' at '/properties/email/contains': sopkit would not enforce it",
            "unsupported JSON Schema format 'email' at '/properties/email/format': sopkit would not enforce it",
            "unsupported JSON Schema keyword 'oneOf' at '/oneOf': sopkit would not enforce it",
        ])
        #expect(schema.diagnostics.map { "\($0.span.start)" } == ["2:45", "2:61", "3:2"])
        #expect(schema.diagnostics.allSatisfy { $0.rule == UnknownKeyRule.id })
    }

    @Test func malformedSchemaIsAnErrorWithAPosition() {
        #expect(throws: TicketSchema.LoadError.self) { try TicketSchema.parse(bytes: Array("{\"type\": }".utf8), path: "s.json") }
        #expect(throws: TicketSchema.LoadError.self) { try TicketSchema.parse(bytes: Array("{\"type\": \"strin\"}".utf8), path: "s.json") }
    }

    @Test func shippedSchemaLoadsCleanly() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas/ticket.schema.json").path
        let schema = try TicketSchema.load(path: path)
        #expect(schema.diagnostics.isEmpty)
    }
}

/// The keywords of the supported subset beyond the basics, each enforced, and schemas whose
/// keywords have the wrong form refused at load.
struct TicketSchemaKeywordTests {
    func violations(_ schema: String, _ ticket: String) throws -> [String] {
        let s = try TicketSchema.parse(bytes: Array(schema.utf8), path: "t.json")
        #expect(s.diagnostics.isEmpty, "\(s.diagnostics)")
        return s.validate(try JSONParser.parse(ticket)).map(\.description)
    }

    @Test(arguments: [
        (#"{"minLength": 2, "maxLength": 4}"#, #""abc""#, [String]()),
        (#"{"minLength": 2}"#, #""é""#, ["ticket: 'é' is shorter than 2 characters"]),
        (#"{"maxLength": 2}"#, #""abc""#, ["ticket: 'abc' is longer than 2 characters"]),
        (#"{"pattern": "^T-[0-9]+$"}"#, #""T-12""#, []),
        (#"{"pattern": "^T-[0-9]+$"}"#, #""X-12""#, ["ticket: 'X-12' does not match the pattern ^T-[0-9]+$"]),
        (#"{"exclusiveMinimum": 0, "exclusiveMaximum": 10}"#, "0", ["ticket: 0 is not above 0"]),
        (#"{"exclusiveMaximum": 10}"#, "10", ["ticket: 10 is not below 10"]),
        (#"{"multipleOf": 0.01}"#, "12.34", []),
        (#"{"multipleOf": 0.01}"#, "12.345", ["ticket: 12.345 is not a multiple of 0.01"]),
        (#"{"minItems": 1, "maxItems": 2}"#, "[]", ["ticket: has 0 items, fewer than 1"]),
        (#"{"maxItems": 2}"#, "[1, 2, 3]", ["ticket: has 3 items, more than 2"]),
        (#"{"uniqueItems": true}"#, #"[1, {"a": 1, "b": 2}, {"b": 2, "a": 1}]"#, ["ticket: item 2 repeats an earlier item (the items must be unique)"]),
        (#"{"uniqueItems": true}"#, "[1, 1.5, 2]", []),
        (#"{"const": {"a": 1, "b": [1, 2]}}"#, #"{"b": [1, 2.0], "a": 1}"#, []),
        (#"{"const": "x"}"#, #""y""#, [#"ticket: the string 'y' is not "x""#]),
        (#"{"enum": [{"a": 1, "b": 2}]}"#, #"{"b": 2, "a": 1}"#, []),
        (#"{"properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "string"}}"#, #"{"a": 1, "x": "s", "y": 2}"#,
         ["ticket.y: expected string, found the number 2"]),
        (#"{"properties": {"no": false}}"#, #"{"no": 1}"#, ["ticket.no: no value is allowed here (the schema is false)"]),
        (##"{"$defs": {"id": {"type": "string", "pattern": "^T"}}, "properties": {"a": {"$ref": "#/$defs/id", "maxLength": 3}}}"##,
         #"{"a": "T-100"}"#, ["ticket.a: 'T-100' is longer than 3 characters"]),
        (##"{"$defs": {"id": {"type": "string", "pattern": "^T"}}, "properties": {"a": {"$ref": "#/$defs/id"}}}"##,
         #"{"a": "X"}"#, ["ticket.a: 'X' does not match the pattern ^T"]),
    ])
    func keywordsAreEnforced(_ schema: String, _ ticket: String, _ expected: [String]) throws {
        #expect(try violations(schema, ticket) == expected)
    }

    @Test(arguments: [
        (#"{"type": 5}"#, "'type' must be a type name or a non-empty list of them at '/type'"),
        (#"{"type": []}"#, "'type' must be a type name or a non-empty list of them at '/type'"),
        (#"{"required": [1, "y"]}"#, "'required' lists field names (strings) at '/required'"),
        (#"{"minLength": -1}"#, "'minLength' must be a whole number of 0 or more at '/minLength'"),
        (#"{"multipleOf": 0}"#, "'multipleOf' must be above 0 at '/multipleOf'"),
        (#"{"pattern": "([a"}"#, "'pattern' is not a valid regular expression"),
        (##"{"$ref": "#/$defs/missing"}"##, "'$ref' #/$defs/missing names nothing in this file at '/$ref'"),
        (#"{"$ref": "other.json#/a"}"#, "only local $ref ('#/$defs/…') is supported"),
        (##"{"$defs": {"n": {"properties": {"next": {"$ref": "#/$defs/n"}}}}, "$ref": "#/$defs/n"}"##, "refers to itself"),
        (#"{"properties": {"a": 3}}"#, "the schema must be an object, true or false at '/properties/a'"),
    ])
    func badKeywordsRefuseTheSchema(_ schema: String, _ message: String) {
        #expect {
            try TicketSchema.parse(bytes: Array(schema.utf8), path: "t.json")
        } throws: { "\($0)".contains(message) }
    }

    /// Issue 32 item 21: a chain of references (600 crashed `lint` and `start` with a stack
    /// overflow) is followed in a loop, when the schema is read and when a ticket is checked.
    @Test func longReferenceChainsCostNoStack() throws {
        let links = 5000
        let defs = (0..<links).map { ##""d\##($0)": {"$ref": "#/$defs/d\##($0 + 1)"}"## } + [#""d\#(links)": {"type": "string", "maxLength": 3}"#]
        let text = #"{"$defs": {"# + defs.joined(separator: ", ") + ##"}, "properties": {"id": {"$ref": "#/$defs/d0"}}}"##
        let s = try TicketSchema.parse(bytes: Array(text.utf8), path: "t.json")
        #expect(s.type == .object(["id": .string]))
        #expect(s.validate(try JSONParser.parse(#"{"id": "T-1"}"#)).isEmpty)
        #expect(s.validate(try JSONParser.parse(#"{"id": "T-100"}"#)).map(\.description) == ["ticket.id: 'T-100' is longer than 3 characters"])
        #expect(s.validate(try JSONParser.parse(#"{"id": 5}"#)).map(\.description) == ["ticket.id: expected string, found the number 5"])
    }

    /// Issue 32 item 22: definitions that each refer to the next one twice (2^40 paths) are read,
    /// typed and used without being expanded.
    @Test func referenceBombsAreNotExpanded() throws {
        let levels = 40
        let defs = (0..<levels).map { ##""l\##($0)": {"type": "object", "properties": {"a": {"$ref": "#/$defs/l\##($0 + 1)"}, "b": {"$ref": "#/$defs/l\##($0 + 1)"}}}"## }
            + [#""l\#(levels)": {"type": "integer"}"#]
        let text = #"{"$defs": {"# + defs.joined(separator: ", ") + ##"}, "$ref": "#/$defs/l0"}"##
        let clock = ContinuousClock()
        var schema: TicketSchema?
        let elapsed = try clock.measure { schema = try TicketSchema.parse(bytes: Array(text.utf8), path: "t.json") }
        let s = try #require(schema)
        #expect(elapsed < .seconds(2), "took \(elapsed)")
        #expect(s.references.count == levels + 2)  // the root and each definition, once
        let deep = String(repeating: #"{"a": "#, count: levels) + "7" + String(repeating: "}", count: levels)
        #expect(s.validate(try JSONParser.parse(deep)).isEmpty)
        let wrong = String(repeating: #"{"b": "#, count: levels) + #""x""# + String(repeating: "}", count: levels)
        #expect(s.validate(try JSONParser.parse(wrong)).map(\.description)
                == ["ticket" + String(repeating: ".b", count: levels) + ": expected integer, found the string 'x'"])
    }

    /// The keywords beside a `$ref` and the referenced schema both apply (2020-12): the
    /// referenced schema's `additionalProperties` sees only its own `properties`.
    @Test func aReferenceAndItsSiblingsBothApply() throws {
        let schema = ##"{"$defs": {"closed": {"properties": {"a": {}}, "additionalProperties": false}}, "$ref": "#/$defs/closed", "properties": {"b": {"type": "string"}}}"##
        #expect(try violations(schema, #"{"a": 1, "b": 2}"#) == ["ticket.b: expected string, found the number 2", "ticket.b: is not a field of the ticket schema"])
    }

    /// Issue 32 item 28: pointers in messages escape '/' and '~' (RFC 6901), unsupported keywords
    /// under such names are found at their line and column, and a percent-encoded `$ref` is read.
    @Test func pointersAreEscapedAndReferencesPercentDecoded() throws {
        let s = try TicketSchema.parse(bytes: Array("""
            {"properties": {
              "a/b": {"type": "string", "oneOf": []},
              "x~y": {"contains": {}}}}
            """.utf8), path: "s.json")
        #expect(s.diagnostics.map(\.message) == [
            "unsupported JSON Schema keyword 'oneOf' at '/properties/a~1b/oneOf': sopkit would not enforce it",
            "unsupported JSON Schema keyword 'contains' at '/properties/x~0y/contains': sopkit would not enforce it",
        ])
        #expect(s.diagnostics.map { "\($0.span.start)" } == ["2:29", "3:11"])
        #expect {
            try TicketSchema.parse(bytes: Array(#"{"properties": {"a/b": {"minLength": -1}}}"#.utf8), path: "s.json")
        } throws: { error in
            let d = (error as? TicketSchema.LoadError)?.diagnostic
            return d?.message == "'minLength' must be a whole number of 0 or more at '/properties/a~1b/minLength'"
                && "\(d!.span.start)" == "1:25" && d?.rule == TicketSchemaInvalidRule.id
        }

        let refs = try TicketSchema.parse(bytes: Array(##"""
            {"$defs": {"a b": {"type": "string", "format": "date"}, "c/d": {"type": "integer"}, "50%": {"type": "boolean"}},
             "properties": {"p": {"$ref": "#/$defs/a%20b"}, "q": {"$ref": "#/$defs/c~1d"}, "r": {"$ref": "#/$defs/c%7E1d"},
                            "s": {"$ref": "#/$defs/50%25"}}}
            """##.utf8), path: "t.json")
        #expect(refs.type == .object(["p": .date, "q": .integer, "r": .integer, "s": .boolean]))
        #expect(refs.references.count == 4)  // c/d once, however it is spelt
        #expect {
            try TicketSchema.parse(bytes: Array(##"{"$ref": "#/$defs/%zz"}"##.utf8), path: "s.json")
        } throws: { "\($0)".contains("is not a valid URI fragment") }
    }

    /// `$ref` gives the expression checker the referenced type too.
    @Test func referencedFieldsAreTyped() throws {
        let s = try TicketSchema.parse(bytes: Array(##"{"$defs": {"when": {"type": "string", "format": "date"}}, "properties": {"opened": {"$ref": "#/$defs/when"}}}"##.utf8), path: "t.json")
        #expect(s.type == .object(["opened": .date]))
    }

    /// Issue 36: objects keyed by id (`additionalProperties: <schema>`, no `properties`) type every
    /// field, so `ticket.orders[input.order_id].status` is checked; with `properties` as well only
    /// the named fields are typed, as before.
    @Test func additionalPropertiesSchemasTypeEveryField() throws {
        let text = ##"""
            {"properties": {
              "orders": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                "status": {"enum": ["pending", "delivered"]},
                "items": {"type": "array", "items": {"type": "object", "properties": {"price": {"type": "number"}}}}}}},
              "labels": {"additionalProperties": {"type": "string"}},
              "mixed": {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "string"}}}}
            """##
        let s = try TicketSchema.parse(bytes: Array(text.utf8), path: "t.json")
        let fields = try #require({ if case .object(let f) = s.type { return f } else { return nil } }())
        #expect(fields["orders"] == .map(.object(["status": .enumeration(["pending", "delivered"]), "items": .list(.object(["price": .number]))])))
        #expect(fields["labels"] == .map(.string))
        #expect(fields["mixed"] == .object(["a": .integer]))
        // The checker walks the map by index and by dotted path alike.
        var checker = TypeChecker(environment: ExpressionEnvironment(ticket: s.type, inputs: ["order_id": .string]))
        let byIndex = try ExpressionParser.parse("ticket.orders[input.order_id].items[0].price").get()
        let byPath = try ExpressionParser.parse("ticket.orders.W1.status == 'shipped'").get()
        #expect(checker.check(byIndex) == .number)
        checker.check(byPath)
        #expect(checker.diagnostics.map(\.message) == ["'shipped' is not a value of ticket.orders.W1.status; the values are pending, delivered"])
    }
}
