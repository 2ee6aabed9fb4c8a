import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPLanguageServer
import Testing

struct HoverTests {
    /// The hover at `‸` (placed inside or at the start of the word asked about).
    func hover(_ marked: String) throws -> HoverInfo? {
        let text = MarkedText(marked)
        return Hover.info(in: text.source, at: text.position, context: try AuthoringFixtures.context())
    }

    @Test func onAKeyTheTextOfDocsFormat() throws {
        let info = try #require(try hover(AuthoringFixtures.sop(replacing: "    role: lead", with: "    ro‸le: lead")))
        #expect(info.markdown == KeyDocs.markdown(for: "role", in: .state))
        #expect(info.markdown.contains("who acts in this state"))
        let line = MarkedText(AuthoringFixtures.sop(replacing: "    role: lead", with: "    ro‸le: lead")).position.line
        #expect(info.span == SourceSpan(start: SourcePosition(line: line, column: 5), end: SourcePosition(line: line, column: 9)))
        // The same word means another thing elsewhere: `role` of a transition.
        let transition = try #require(try hover(AuthoringFixtures.sop(replacing: "        on: decline", with: "        on: decline\n        ‸role: lead")))
        #expect(transition.markdown == KeyDocs.markdown(for: "role", in: .transition))
        // In a flow mapping.
        let flow = try #require(try hover(AuthoringFixtures.sop(replacing: "      - {to: refunded, on: approve}", with: "      - {to: refunded, o‸n: approve}")))
        #expect(flow.markdown.contains("taken when this event is sent"))
    }

    @Test func onATicketFieldItsTypeAndDescription() throws {
        let info = try #require(try hover(AuthoringFixtures.sop(replacing: "        when: input.amount > 100",
                                                               with: "        when: ticket.customer.ti‸er == 'premium'")))
        #expect(info.markdown == "`ticket.customer.tier`: enum (standard, premium)\n\nThe customer's contract.")
        let line = MarkedText(AuthoringFixtures.sop(replacing: "        when: input.amount > 100",
                                                    with: "        when: ticket.customer.ti‸er == 'premium'")).position.line
        #expect(info.span == SourceSpan(start: SourcePosition(line: line, column: 15), end: SourcePosition(line: line, column: 35)))
    }

    @Test func onAFunctionItsSignatureAndWhatItDoes() throws {
        let info = try #require(try hover(AuthoringFixtures.sop(replacing: "        when: input.amount > 100",
                                                               with: "        when: days_si‸nce(ticket.due_on) > 2")))
        #expect(info.markdown.hasPrefix("```\ndays_since(date or datetime)\n```\ninteger: whole days until today"))
    }

    @Test func onAnExpressionItsTypeFromTheChecker() throws {
        // On the operator: the comparison, a boolean.
        let info = try #require(try hover(AuthoringFixtures.sop(replacing: "        when: input.amount > 100",
                                                               with: "        when: input.amount ‸> 100")))
        #expect(info.markdown == "`input.amount > 100`: boolean")
        // In a template of a title, past non-ASCII text.
        let template = try #require(try hover(AuthoringFixtures.sop(replacing: "title: Check a refund",
                                                                   with: "title: Vérifiez ✓ ${{ var.attempts ‸+ 1 }}")))
        #expect(template.markdown == "`var.attempts + 1`: integer")
        let line = MarkedText(AuthoringFixtures.sop(replacing: "title: Check a refund",
                                                    with: "title: Vérifiez ✓ ${{ var.attempts ‸+ 1 }}")).position.line
        #expect(template.span == SourceSpan(start: SourcePosition(line: line, column: 23), end: SourcePosition(line: line, column: 39)))
    }

    @Test func onAStateIdItsTitle() throws {
        let info = try #require(try hover(AuthoringFixtures.sop(replacing: "      - to: approve", with: "      - to: appr‸ove")))
        #expect(info.markdown == "state `approve`: A lead approves")
        let start = try #require(try hover(AuthoringFixtures.sop(replacing: "start: verify", with: "start: ‸verify")))
        #expect(start.markdown == "state `verify`: Vérifier l'achat ✓")
    }

    @Test func plainTextHasNoHover() throws {
        #expect(try hover(AuthoringFixtures.sop(replacing: "title: Check a refund", with: "title: Check a re‸fund")) == nil)
        let source = SourceFile(path: "sops/x.sop.yaml", text: "sop: x\n")
        let context = try AuthoringFixtures.context()
        for position in [SourcePosition(line: 0, column: 0), SourcePosition(line: 9, column: 1), SourcePosition(line: 1, column: 99)] {
            #expect(Hover.info(in: source, at: position, context: context) == nil)
        }
    }

    /// The functions' descriptions are the rows of docs/expressions.md's function table.
    @Test func theFunctionCatalogueIsTheTableOfDocsExpressions() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: repository.appendingPathComponent("docs/expressions.md"), encoding: .utf8)
        let rows = doc.components(separatedBy: "\n").filter { $0.hasPrefix("| `") }
        #expect(FunctionCatalogue.entries.count == 21)
        for entry in FunctionCatalogue.entries {
            let row = try #require(rows.first { $0.split(separator: "|").first?.contains("`\(entry.name)(") == true },
                                   "docs/expressions.md has no row for \(entry.name)")
            #expect(row.contains("| \(entry.returns) | \(entry.example) |"), "\(entry.name): \(row)")
            #expect(!entry.returns.isEmpty)
        }
    }
}
