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
        guard case .object(let fields) = try Self.schema().value(of: ticket) else { return }
        #expect(fields["opened"] == .date(CivilTime.parseDate("2026-11-02")!))
        #expect(fields["seen_at"] == .datetime(CivilTime.parseDateTime("2026-11-02T09:00:00Z")!))
        #expect(fields["id"] == .string("T-1"))
    }

    @Test func unsupportedKeywordsAreReportedWithTheirPlace() throws {
        let schema = try TicketSchema.parse(bytes: Array("""
            {"type": "object",
             "properties": {"email": {"type": "string", "pattern": "@", "format": "email"}},
             "oneOf": []}
            """.utf8), path: "s.json")
        #expect(schema.diagnostics.map(\.message) == [
            "unsupported JSON Schema keyword 'pattern' at '/properties/email/pattern': sopkit would not enforce it",
            "unsupported JSON Schema format 'email' at '/properties/email/format': sopkit would not enforce it",
            "unsupported JSON Schema keyword 'oneOf' at '/oneOf': sopkit would not enforce it",
        ])
        #expect(schema.diagnostics.map { "\($0.span.start)" } == ["2:45", "2:61", "3:2"])
        #expect(schema.diagnostics.allSatisfy { $0.rule == .unknownKey })
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
