import Testing
@testable import SOPExpression

/// Titles with templates: filled from a context where a ticket is known, and shown with `…` for
/// each template where none is (issue 32, item 6).
@Suite struct TemplateTextTests {
    @Test(arguments: [
        ("Chargeback dispute for ${{ ticket.priority }}", "Chargeback dispute for …"),
        ("${{ ticket.customer.name }}: ${{ ticket.count }} items", "…: … items"),
        ("No template here", "No template here"),
        ("Not closed ${{ ticket.priority", "Not closed ${{ ticket.priority"),
        ("A brace } and ${{ '}}' }} inside", "A brace } and … inside"),
    ])
    func titlesWithoutATicketShowAnEllipsisForEachTemplate(text: String, shown: String) {
        #expect(Template.withoutExpressions(text) == shown)
    }

    @Test func titlesWithATicketAreFilledFromIt() {
        #expect(Template.render("Dispute for ${{ ticket.customer.name }} (${{ ticket.count }})", in: testContext) == "Dispute for Ana Lima (3)")
        #expect(Template.render("Plain", in: testContext) == "Plain")
        #expect(Template.render("${{ -ticket.priority }}", in: testContext) == nil)
    }
}
