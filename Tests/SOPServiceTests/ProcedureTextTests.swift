import Foundation
import SOPCore
import SOPService
import Testing

/// The procedure in words an agent reads before a run (`ProcedureText`, served by MCP as the
/// resource `sop://ID` and the prompt `ID`), compared whole with golden files:
/// `SOP_RECORD=1 swift test --filter ProcedureTextTests` writes them again.
@Suite struct ProcedureTextTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/procedure-text")
    static var recording: Bool { ProcessInfo.processInfo.environment["SOP_RECORD"] == "1" }

    /// The text of the SOP `id` in `folder`, with the ticket schema when one is given.
    static func text(_ id: String, folder: URL, schema: URL?) throws -> String {
        let ticketSchema = try schema.map { try TicketSchema.load(path: $0.path) }
        let catalogue = SOPCatalogue(folder: folder.path, schema: ticketSchema)
        let sop = try catalogue.sop(id)
        return ProcedureText.markdown(sop, schema: ticketSchema, catalogue: catalogue)
    }

    static func assertGolden(_ actual: String, _ name: String) throws {
        let golden = fixtures.appendingPathComponent(name)
        if recording {
            try actual.write(to: golden, atomically: true, encoding: .utf8)
            Issue.record("recorded \(name); run again without SOP_RECORD to compare")
            return
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(actual == expected, "the text differs from \(name) (SOP_RECORD=1 re-records it if intended):\n\(actual)")
    }

    /// A shipped SOP, with the shipped ticket schema: an SLA by priority, an SLA event, a
    /// business timer on the SLA's calendar, a call, automatic transitions and ends.
    @Test func theShippedComplaintSOP() throws {
        let text = try Self.text("complaint", folder: Self.root.appendingPathComponent("sops"),
                                 schema: Self.root.appendingPathComponent("schemas/ticket.schema.json"))
        try Self.assertGolden(text, "complaint.md")
    }

    /// The excerpt docs/server.md shows is the golden text, piece by piece (`…` between pieces),
    /// so the docs cannot drift from what the server sends.
    @Test func theDocsExcerptIsRealOutput() throws {
        let page = try String(contentsOf: Self.root.appendingPathComponent("docs/server.md"), encoding: .utf8)
        let golden = try String(contentsOf: Self.fixtures.appendingPathComponent("complaint.md"), encoding: .utf8)
        let start = try #require(page.range(of: "````markdown\n"))
        let end = try #require(page.range(of: "\n````", range: start.upperBound..<page.endIndex))
        let pieces = page[start.upperBound..<end.lowerBound].components(separatedBy: "\n…\n")
        #expect(pieces.count == 2)
        for piece in pieces { #expect(golden.contains(piece), "docs/server.md shows text the generator does not give:\n\(piece)") }
    }

    /// Objects keyed by id and lists of objects are spelled out to their fields, so an agent that
    /// writes its reads into the ticket knows the shape the rules read (the retail policy's
    /// `ticket.orders[input.order_id].items`), and a visit input says it is for this visit only.
    @Test func keyedObjectsAndListsOfObjectsShowTheirFields() throws {
        let text = try Self.text("retail", folder: Self.root.appendingPathComponent("Benchmarks/tau2/sops"),
                                 schema: Self.root.appendingPathComponent("Benchmarks/tau2/ticket.schema.json"))
        for line in [
            "  - `ticket.orders[ID]`: object. one entry per key",
            "    - `ticket.orders[ID].status`: string, required.",
            "      - `ticket.orders[ID].items[N].price`: number, required",
            "      - `ticket.products[ID].variants[ID]`: object. one entry per key",
            "        - `ticket.products[ID].variants[ID].available`: boolean, required",
            "    - `ticket.user.payment_methods[ID].source`: one of `credit_card`, `paypal`, `gift_card`, required",
            "- `confirmed` (boolean, optional, this visit only: forgotten each time the run enters this step)",
        ] {
            #expect(text.contains(line), "missing: \(line)")
        }
    }

    /// Every kind of way out, each said in words: an event (label, a role of its own), a timer
    /// with a rule, a business timer, a computed timer, automatic with and without a rule, a
    /// call with the called SOP's outcomes, ends, SLA warning and breach events.
    @Test func everyKindOfTransition() throws {
        let text = try Self.text("every-kind", folder: Self.fixtures, schema: Self.root.appendingPathComponent("schemas/ticket.schema.json"))
        try Self.assertGolden(text, "every-kind.md")
        let expected = [
            "On the event `ask_customer` (label \"Ask the customer for more\"), role `agent`: go to `wait`",
            "On the event `approve` (label \"Approve the dispute\"), role `lead`, when `var.path == 'quick' or ticket.priority != 'urgent'` holds: go to `check`",
            "On the event `answered`, role `agent`: go to `review`",
            "After 48h in this step, taken by `system`, when `var.attempts < 3` holds: go to `review`",
            "does: set `var.attempts` to `${{ var.attempts + 1 }}`",
            "After 2 business days in this step, on calendar `office` (Europe/Berlin), taken by `system`: go to `dropped`",
            "After ${{ if(ticket.priority == 'urgent', 4h, 24h) }} in this step (a duration worked out from the run), taken by `system`",
            "Automatically, as soon as `input.amount > 500` holds: go to `review`",
            "Automatically, otherwise (no rule): go to `review`",
            "Calls the SOP `chargeback` (File a chargeback)",
            "(`won`, `lost`)",
            "The run ends here with the outcome `won`.",
            "On the SLA event `sla.first_response.warning` (the `first_response` target reached its warning share)",
            "On the SLA event `sla.resolution.breached` (the `resolution` target is breached)",
            "- `first_response`: 4 business hours, on calendar `office` (Europe/Berlin); starts when the run starts; met on entering `review`; `sla.first_response.warning` at 75%",
            "by `ticket.priority`: `urgent` 1 business day (no clock for any other value)",
            "- `reason` (one of `fraud` (\"Not made by the customer\"), `damaged` (\"Item arrived damaged\"), `other`, required): \"Why does the customer dispute it?\"",
            "- `order_id` (string, required, 3 to 12 characters, matching `^A-[0-9]+$`): \"Order number\"",
            "- `amount` (number, required, from 0 to 10000): \"Amount disputed\"",
            "- `note` (string, optional, at most 500 characters): \"note\"",
            "On entering: assign to the role `agent` and the queue `disputes`; notify the team `billing`: \"Dispute ${{ ticket.id }} opened.\"",
            "does: set `var.path` to `\"slow\"`, set `ticket.priority` to `\"high\"`; tag `large`, `reason-${{ input.reason }}`",
            "start a separate run of the SOP `chargeback` (File a chargeback)",
            "- `ticket.customer.sla_hours`: integer or null, at least 1. Hours to resolution promised by the customer's contract.",
            "- `ticket.id`: string, required. The helpdesk's ticket id.",
        ]
        for line in expected { #expect(text.contains(line), "missing: \(line)") }
        // Every state is there, the start first, then the file's order.
        let headings = text.split(separator: "\n").filter { $0.hasPrefix("### ") }.map { String($0.dropFirst(4).prefix { $0 != ":" }) }
        #expect(headings == ["`gather`", "`review`", "`wait`", "`check`", "`done`", "`dropped`"])
    }

    /// The same SOP gives the same text, every time (no dictionary order, no clock).
    @Test func theTextIsDeterministic() throws {
        let folder = Self.root.appendingPathComponent("sops"), schema = Self.root.appendingPathComponent("schemas/ticket.schema.json")
        let first = try Self.text("escalation", folder: folder, schema: schema)
        for _ in 0..<5 { #expect(try Self.text("escalation", folder: folder, schema: schema) == first) }
    }

    /// Without a ticket schema the ticket's fields are not invented.
    @Test func withoutATicketSchema() throws {
        let text = try Self.text("chargeback", folder: Self.fixtures, schema: nil)
        #expect(text.contains("No ticket schema is configured"))
        #expect(!text.contains("`ticket.id`:"))
    }
}
