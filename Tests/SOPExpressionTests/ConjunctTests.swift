import Testing
import SOPExpression

/// A guard's top-level `and` chain split into its conjuncts, each with its text as written:
/// what a refused event names (docs/runtime.md, "Refusals").
struct ConjunctTests {
    @Test(arguments: [
        ("ticket.a == 1", ["ticket.a == 1"]),
        ("ticket.a == 1 and ticket.b", ["ticket.a == 1", "ticket.b"]),
        ("ticket.a and ticket.b and  ticket.c", ["ticket.a", "ticket.b", "ticket.c"]),
        ("ticket.a or ticket.b and ticket.c", ["ticket.a or ticket.b and ticket.c"]),
        ("(ticket.a or ticket.b) and ticket.c", ["(ticket.a or ticket.b)", "ticket.c"]),
        ("(ticket.a + 1) > 2 and ticket.b", ["(ticket.a + 1) > 2", "ticket.b"]),
        ("ticket.b and 2 < (ticket.a + 1)", ["ticket.b", "2 < (ticket.a + 1)"]),
        ("( (ticket.a) ) and ticket.b == ')'", ["( (ticket.a) )", "ticket.b == ')'"]),
        ("(ticket.a and ticket.b) and ticket.c", ["ticket.a", "ticket.b", "ticket.c"]),
        ("not (ticket.a and ticket.b)", ["not (ticket.a and ticket.b)"]),
        ("ticket.name == 'é' and ticket.b", ["ticket.name == 'é'", "ticket.b"]),
    ])
    func conjunctsKeepTheirText(_ text: String, _ expected: [String]) throws {
        let e = try #require(try? ExpressionParser.parse(text).get(), "does not parse: \(text)")
        #expect(e.conjuncts(in: text).map(\.text) == expected)
    }

    /// In a template the ranges count from the start of the whole text.
    @Test func aTemplatesConjunctsAreCutFromTheWholeText() throws {
        let text = "${{ input.ok == true and ticket.status == 'pending' }}"
        let e = try #require((try? Template.parse(text).get())?.singleExpression)
        #expect(e.conjuncts(in: text).map(\.text) == ["input.ok == true", "ticket.status == 'pending'"])
    }
}
