import SOPDiagnostics
import Testing
@testable import SOPExpression

private let environment = ExpressionEnvironment(
    ticket: .object([
        "priority": .enumeration(["low", "normal", "high", "urgent"]),
        "vip": .boolean,
        "tags": .list(.string),
        "total": .number,
        "count": .integer,
        "purchased_on": .date,
        "created_at": .datetime,
        "customer": .object(["name": .string, "tier": .enumeration(["standard", "premium"])]),
    ]),
    vars: ["warnings": .integer, "channel": .enumeration(["email", "phone"])],
    inputs: ["order_found": .boolean, "amount": .number, "reason": .enumeration(["damaged", "used"])],
    childOutcomes: ["resolved", "declined"],
    states: ["open", "closed"])

private func check(_ text: String) -> (ExprType, [ExpressionDiagnostic]) {
    guard case .success(let expr) = ExpressionParser.parse(text) else {
        Issue.record("'\(text)' did not parse")
        return (.any, [])
    }
    var checker = TypeChecker(environment: environment)
    let type = checker.check(expr)
    return (type, checker.diagnostics)
}

/// The checker, rule by rule: each expression with its type or its one diagnostic.
struct CheckerTests {
    @Test(arguments: [
        ("ticket.priority == 'high'", ExprType.boolean),
        ("ticket.total + 1", .number),
        ("ticket.count + 1", .integer),
        ("ticket.count / 2", .number),
        ("ticket.purchased_on + 2d", .date),
        ("now - ticket.created_at", .duration),
        ("ticket.created_at + 1h30m", .datetime),
        ("days_since(ticket.purchased_on)", .integer),
        ("hours_since(ticket.created_at)", .integer),
        ("if(ticket.vip, 4h, 1d)", .duration),
        ("coalesce(ticket.count, 0)", .integer),
        ("coalesce(ticket.total, 0)", .number),
        ("lower(ticket.customer.name)", .string),
        ("len(ticket.tags)", .integer),
        ("contains(ticket.tags, 'vip')", .boolean),
        ("child.outcome == 'resolved'", .boolean),
        ("run.state == 'open'", .boolean),
        ("exists(ticket.customer.name)", .boolean),
        ("'a' + ticket.customer.name", .string),
        ("2 * 1h", .duration),
        ("[1, 2.5]", .list(.number)),
        ("today() - 1w", .date),
        ("ticket.unknown_but_fine", .any),
    ])
    func wellTypedExpressions(text: String, type: ExprType) {
        let (actual, diagnostics) = check(text)
        if text == "ticket.unknown_but_fine" {
            #expect(diagnostics.map(\.kind) == [.unknownField])
            return
        }
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(actual == type)
    }

    @Test(arguments: [
        ("ticket.priorty == 'high'", ExpressionProblem.unknownField, "'ticket.priorty' is not a field of the ticket schema", "did you mean 'priority'?"),
        ("ticket.customer.nme", .unknownField, "'ticket.customer.nme' is not a field of the ticket schema", "did you mean 'name'?"),
        ("var.warning > 1", .unknownVariable, "variable 'warning' is not declared in this SOP's vars", "did you mean 'warnings'?"),
        ("input.amout > 1", .unknownInput, "input 'amout' is not declared by any state of this SOP", "did you mean 'amount'?"),
        ("run.status", .unknownVariable, "'run.status' is not a run property", "use run.started_at, run.entered_at or run.state"),
        ("lenn(ticket.tags)", .unknownFunction, "unknown function 'lenn'", "did you mean 'len'?"),
        ("len(ticket.tags, 2)", .unknownFunction, "len takes 1 argument, found 2", "call it as len(string or list)"),
        ("ticket.priority == 'urgnt'", .invalidEnumValue,
         "'urgnt' is not a value of ticket.priority; the values are low, normal, high, urgent", "did you mean 'urgent'?"),
        ("input.reason in ['damaged', 'brokn']", .invalidEnumValue,
         "'brokn' is not a value of input.reason; the values are damaged, used", "use one of its values, or add 'brokn' to its values"),
        ("child.outcome == 'resolvd'", .invalidEnumValue,
         "'resolvd' is not a value of child.outcome; the values are resolved, declined", "did you mean 'resolved'?"),
        ("ticket.purchased_on > 30", .typeMismatch, "cannot order a date and an integer with '>'",
         "order a date or datetime against another of the same type, e.g. date('2026-01-31') or now - 2d"),
        // A number written as text: no enum is involved, so the help must not speak of one.
        ("ticket.count < '20'", .typeMismatch, "cannot order an integer and a string with '<'",
         "a number cannot be ordered against text; write the number without quotes, e.g. 20 rather than '20'"),
        ("ticket.vip == 'yes'", .typeMismatch, "cannot compare a boolean with a string",
         "a boolean is true or false, not 'yes': write ticket.vip alone, or ticket.vip == true"),
        ("ticket.priority > 'low'", .typeMismatch, "cannot order an enum (low, normal, high, urgent) and a string with '>'",
         "enum values have no order; compare with '==' or 'in'"),
        ("ticket.count and ticket.vip", .typeMismatch, "'and' needs boolean operands, found integer", "make each side a condition, e.g. input.amount > 0 and ticket.priority == 'high'"),
        ("not ticket.count", .typeMismatch, "'not' needs a boolean, found integer", "compare first, e.g. not (x == 'a'), or write x != 'a'"),
        ("ticket.customer.name + 1", .typeMismatch, "'+' cannot add a string and an integer", "arithmetic works on numbers, on durations, and on a date or datetime with a duration"),
        ("ticket.purchased_on + 1", .typeMismatch, "'+' cannot add a date and an integer", "add or subtract a duration such as 2d or 48h"),
        ("days_since(ticket.count)", .typeMismatch, "days_since() needs a date or a datetime, found integer",
         "call it as days_since(date or datetime)"),
        ("ticket.vip in 3", .typeMismatch, "'in' needs a list or a string on the right, found integer", "write a list on the right, e.g. x in ['a', 'b']"),
        ("exists('x')", .typeMismatch, "exists() takes a path such as ticket.order_id or ticket.orders[input.order_id]", nil),
        ("ticket.customer.tier.level", .typeMismatch, "'ticket.customer.tier' is an enum (standard, premium) and has no field 'level'", nil),
        ("- ticket.customer.name", .typeMismatch, "'-' cannot negate a string", "only numbers and durations can be negated"),
    ] as [(String, ExpressionProblem, String, String?)])
    func diagnostics(text: String, rule: ExpressionProblem, message: String, help: String?) {
        let (_, diagnostics) = check(text)
        #expect(diagnostics.count == 1, "\(diagnostics)")
        #expect(diagnostics.first?.kind == rule)
        #expect(diagnostics.first?.message == message)
        #expect(diagnostics.first?.help == help)
    }

    @Test func diagnosticsPointAtTheOffendingToken() {
        let (_, d1) = check("ticket.vip and ticket.customer.nme == 'x'")
        #expect(d1.first?.range == 31..<34)
        let (_, d2) = check("ticket.priority == 'urgnt'")
        #expect(d2.first?.range == 19..<26)
        let (_, d3) = check("ticket.vip or lenn(ticket.tags) > 1")
        #expect(d3.first?.range == 14..<18)
    }

    @Test func guardsMustBeBoolean() throws {
        let expr = try ExpressionParser.parse("ticket.count + 1").get()
        var checker = TypeChecker(environment: environment)
        checker.checkCondition(expr)
        #expect(checker.diagnostics.map(\.message) == ["a guard must be boolean, found integer"])
    }

    @Test func everyProblemIsReportedNotOnlyTheFirst() {
        let (_, d) = check("ticket.a == 1 and var.b == 2 and input.c == 3 and f(1) == 2")
        #expect(d.map(\.kind) == [.unknownField, .unknownVariable, .unknownInput, .unknownFunction])
    }

    @Test func withoutASchemaTicketPathsAreUnchecked() throws {
        let expr = try ExpressionParser.parse("ticket.anything.at.all > 3").get()
        var checker = TypeChecker(environment: ExpressionEnvironment())
        #expect(checker.check(expr) == .boolean)
        #expect(checker.diagnostics.isEmpty)
    }
}
