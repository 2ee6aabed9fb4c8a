import Foundation
import Testing
@testable import SOPExpression

// Rules over lists (issue 36): indexing, lambdas as the last argument of all/any/map/find/count,
// sum/subset/keys, and list + list. The ticket is the retail one of the issue, keyed as the
// tools return it.

private func number(_ s: String) -> Value { .number(Decimal(string: s)!) }

private let retailContext = EvaluationContext(
    ticket: .object([
        "user_id": .string("yusuf_rossi_9620"),
        "user": .object(["payment_methods": .object([
            "credit_card_9513926": .object(["source": .string("credit_card")]),
            "gift_card_1": .object(["source": .string("gift_card"), "balance": number("60.5")]),
        ])]),
        "orders": .object(["#W2378156": .object([
            "user_id": .string("yusuf_rossi_9620"),
            "status": .string("delivered"),
            "items": .list([
                .object(["item_id": .string("1151293680"), "product_id": .string("1656367028"), "price": number("272.33")]),
                .object(["item_id": .string("4983901480"), "product_id": .string("4896585277"), "price": number("262.47")]),
            ]),
            "payment_history": .list([.object([
                "transaction_type": .string("payment"), "amount": number("1000.1"), "payment_method_id": .string("credit_card_9513926"),
            ])]),
        ])]),
        "products": .object([
            "1656367028": .object(["variants": .object([
                "7706410293": .object(["available": .boolean(true), "price": number("269.16")]),
                "1151293680": .object(["available": .boolean(true), "price": number("272.33")]),
                "9999999999": .object(["available": .boolean(false), "price": number("250")]),
            ])]),
            "4896585277": .object(["variants": .object([
                "4983901480": .object(["available": .boolean(true), "price": number("262.47")]),
                "1234567890": .object(["available": .boolean(true), "price": number("300")]),
            ])]),
        ]),
        "counts": .list([.integer(1), .integer(2), .integer(3)]),
        "nothing": .null,
    ]),
    vars: ["done": .list([.string("#W1")])],
    inputs: [
        "order_id": .string("#W2378156"),
        "item_ids": .list([.string("1151293680"), .string("4983901480")]),
        "new_item_ids": .list([.string("7706410293"), .string("1234567890")]),
        "payment_method_id": .string("gift_card_1"),
    ])

private func evaluate(_ text: String) throws -> Value {
    let expr = try ExpressionParser.parse(text).get()
    return try Evaluator.evaluate(expr, in: retailContext)
}

/// The syntax: each expression next to its fully parenthesised reading, which parses back to
/// the same tree.
struct ListSyntaxTests {
    @Test(arguments: [
        ("ticket.orders[input.order_id].status", "ticket.orders[input.order_id]['status']"),
        ("ticket.products[p].variants", nil),
        ("xs[0]", nil),
        ("ticket.a[0][1]", "ticket.a[0][1]"),
        ("[1, 2][0] + 1", "([1, 2][0] + 1)"),
        ("all(ticket.items, i -> i.price > 0)", "all(ticket.items, (i) -> (i.price > 0))"),
        ("all(input.a, input.b, (x, y) -> x == y)", "all(input.a, input.b, (x, y) -> (x == y))"),
        ("any(ticket.items, i -> any(i.tags, t -> t == i.name))", "any(ticket.items, (i) -> any(i.tags, (t) -> (t == i.name)))"),
        ("map(ticket.items, i -> i[0])", "map(ticket.items, (i) -> i[0])"),
        ("count(ticket.items, (i) -> i.ok)", "count(ticket.items, (i) -> i.ok)"),
        ("var.done + [input.order_id]", "(var.done + [input.order_id])"),
        ("keys(ticket.orders)", "keys(ticket.orders)"),
        ("find(ticket.items, i -> i.id == input.x).price", "find(ticket.items, (i) -> (i.id == input.x))['price']"),
    ] as [(String, String?)])
    func parsesAndPrints(text: String, printed: String?) throws {
        if printed == nil {
            // Bare names are not roots: `p` and `xs` outside a lambda are unknown.
            let error = try #require(ExpressionParser.parse(text).failure)
            #expect(error.kind == .unknownVariable)
            return
        }
        let expr = try ExpressionParser.parse(text).get()
        #expect(expr.description == printed)
        #expect(try ExpressionParser.parse(expr.description).get() == expr)
    }

    @Test(arguments: [
        ("x -> x > 1", "a lambda can only be the last argument of all(), any(), count(), find(), map()", 0..<4),
        ("len(x -> 1)", "a lambda can only be the last argument of all(), any(), count(), find(), map(); len() takes none", 4..<10),
        ("all(x -> true, ticket.items)", "a lambda must be the last argument of all()", 4..<13),
        ("ticket.a == (x, y) -> 1", "a lambda can only be the last argument of all(), any(), count(), find(), map()", 12..<13),
        ("all(ticket.items, ticket -> ticket.ok)", "the lambda parameter 'ticket' is a path root; give it a name of its own", 18..<24),
        ("all(ticket.items, len -> true)", "the lambda parameter 'len' is a function; give it a name of its own", 18..<21),
        ("all(ticket.items, (x, x) -> true)", "the lambda parameter 'x' is already a parameter here; give it a name of its own", 22..<23),
        ("all(ticket.a, x -> any(x.b, x -> x))", "the lambda parameter 'x' is already a parameter here; give it a name of its own", 28..<29),
        ("ticket.a[1", "expected ']' to close the index, found the end of the expression", 8..<9),
        // A lambda as the last argument of an unclosed call: the missing ')' is the mistake.
        ("all(ticket.items, i -> i.p > 0", "expected ')' to close the call of all, found the end of the expression", 3..<4),
        ("ticket.a[0].", "a field name must follow '.'", 12..<13),
    ])
    func syntaxErrors(text: String, message: String, range: Range<Int>) throws {
        let error = try #require(ExpressionParser.parse(text).failure)
        #expect(error.kind == .syntax)
        #expect(error.message == message)
        #expect(error.range == range)
    }

    /// The depth and operator caps hold for the new syntax too: hostile input is an error.
    @Test func indexChainsAndNestedLambdasAreCapped() throws {
        let chain = "ticket.a" + String(repeating: "[0]", count: 300)
        #expect(try #require(ExpressionParser.parse(chain).failure).message.contains("more than 256 operators"))
        var nested = "true"
        for i in 0..<70 { nested = "all(ticket.a, x\(i) -> \(nested))" }
        #expect(try #require(ExpressionParser.parse(nested).failure).message.contains("deeper than 64"))
    }
}

/// The checker over the new syntax: types inferred, and each problem with its rule and place.
struct ListCheckerTests {
    static let environment = ExpressionEnvironment(
        ticket: .object([
            "orders": .map(.object([
                "status": .enumeration(["pending", "delivered", "cancelled"]),
                "items": .list(.object(["item_id": .string, "product_id": .string, "price": .number])),
            ])),
            "products": .map(.object(["variants": .map(.object(["available": .boolean, "price": .number]))])),
            "tags": .list(.string),
            "counts": .list(.integer),
            "customer": .object(["name": .string]),
        ]),
        inputs: ["order_id": .string, "item_ids": .list(.string), "new_item_ids": .list(.string), "n": .integer])

    private func check(_ text: String) throws -> (ExprType, [ExpressionDiagnostic]) {
        let expr = try ExpressionParser.parse(text).get()
        var checker = TypeChecker(environment: Self.environment)
        let type = checker.check(expr)
        return (type, checker.diagnostics)
    }

    @Test(arguments: [
        ("ticket.orders[input.order_id].status", ExprType.enumeration(["pending", "delivered", "cancelled"])),
        ("ticket.orders[input.order_id]['status'] == 'delivered'", .boolean),
        ("ticket.orders.any_id.items[0].price", .number),
        ("ticket.products[ticket.orders[input.order_id].items[0].product_id].variants[input.order_id].price", .number),
        ("all(ticket.orders[input.order_id].items, i -> i.price > 0)", .boolean),
        ("any(ticket.tags, t -> t == 'vip')", .boolean),
        ("all(input.item_ids, input.new_item_ids, (old, new) -> old != new)", .boolean),
        ("map(ticket.orders[input.order_id].items, i -> i.item_id)", .list(.string)),
        ("find(ticket.orders[input.order_id].items, i -> i.item_id == input.order_id)",
         .object(["item_id": .string, "product_id": .string, "price": .number])),
        ("count(ticket.tags, t -> t != 'x')", .integer),
        ("sum(ticket.counts)", .integer),
        ("sum(map(ticket.orders[input.order_id].items, i -> i.price))", .number),
        ("subset(input.item_ids, map(ticket.orders[input.order_id].items, i -> i.item_id))", .boolean),
        ("keys(ticket.orders)", .list(.string)),
        ("ticket.tags + ['x']", .list(.string)),
        ("ticket.counts[input.n]", .integer),
        ("any(ticket.orders[input.order_id].items, i -> all(input.item_ids, id -> id == i.item_id))", .boolean),
        ("ticket.orders[input.order_id].status == 'delivered'", .boolean),
    ])
    func wellTyped(text: String, type: ExprType) throws {
        let (actual, diagnostics) = try check(text)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(actual == type)
    }

    @Test(arguments: [
        ("all(ticket.tags, t -> len(t))", ExpressionProblem.typeMismatch, "the condition of all() must be boolean, found integer", 22..<28),
        ("ticket.tags['a']", .typeMismatch, "a list is indexed by an integer position, found a string", 12..<15),
        ("ticket.orders[1]", .typeMismatch, "an object is indexed by a string, found an integer", 14..<15),
        ("ticket.customer['nme']", .unknownField, "'ticket.customer' has no field 'nme'", 16..<21),
        ("ticket.customer.name[0]", .typeMismatch, "'ticket.customer.name' is a string and cannot be indexed", 20..<23),
        ("ticket.orders[input.order_id].statu", .unknownField, "'ticket.orders[input.order_id]' has no field 'statu'", 30..<35),
        ("all(ticket.customer, x -> true)", .typeMismatch, "all() needs a list, found object", 4..<19),
        ("all(ticket.tags, (a, b) -> true)", .typeMismatch, "the lambda of all() over 1 list takes 1 parameter, found 2", 17..<31),
        ("all(ticket.tags)", .unknownFunction, "all() takes one or two lists and then a lambda", 0..<16),
        ("find(ticket.tags, ticket.tags, (a, b) -> true)", .unknownFunction, "find() takes a list and then a lambda", 0..<46),
        ("any(ticket.orders[input.order_id].items, i -> i.status == 'x')", .unknownField, "'i.status' is not a field of 'i' (an item of its list, typed by the ticket schema)", 48..<54),
        ("ticket.orders[input.order_id].status == 'shipped'", .invalidEnumValue,
         "'shipped' is not a value of the enum; the values are pending, delivered, cancelled", 40..<49),
        ("sum(ticket.tags)", .typeMismatch, "sum() needs a list of numbers, found list of string", 4..<15),
        ("keys(ticket.tags)", .typeMismatch, "keys() needs an object, found list of string", 5..<16),
        ("subset(ticket.tags, 'a')", .typeMismatch, "subset() needs a list, found string", 20..<23),
    ] as [(String, ExpressionProblem, String, Range<Int>)])
    func diagnostics(text: String, kind: ExpressionProblem, message: String, range: Range<Int>) throws {
        let (_, diagnostics) = try check(text)
        #expect(diagnostics.count == 1, "\(diagnostics)")
        let first = try #require(diagnostics.first)
        #expect(first.kind == kind)
        #expect(first.message == message)
        #expect(first.range == range)
    }

    /// A lambda parameter typed string compares with an enum as any string does: the literal is
    /// checked against the enum's values.
    @Test func aParameterComparedWithAnEnum() throws {
        let (_, diagnostics) = try check("any(ticket.tags, t -> t == ticket.orders[input.order_id].status)")
        #expect(diagnostics.isEmpty)
    }

    /// Inputs read inside a lambda body or an index key count as read (for `unused-input`).
    @Test func readsInsideLambdasAndIndexesAreSeen() throws {
        let expr = try ExpressionParser.parse("all(ticket.orders[input.order_id].items, i -> i.item_id in input.item_ids)").get()
        var checker = TypeChecker(environment: Self.environment)
        checker.check(expr)
        #expect(checker.inputsRead == ["order_id", "item_ids"])
        var inputs: [String] = []
        expr.forEachNode { if case .path(.input, let s, _) = $0, let name = s.first { inputs.append(name) } }
        #expect(inputs == ["order_id", "item_ids"])
    }
}

/// Evaluation: each function, the null rules, pairs of different lengths, multiset subset,
/// nested lambdas, indexes with missing keys.
struct ListEvaluatorTests {
    @Test(arguments: [
        // indexing
        ("ticket.orders[input.order_id].status", Value.string("delivered")),
        ("ticket.orders[input.order_id].items[1].price", number("262.47")),
        ("ticket.orders['#nope']", .null), ("ticket.orders['#nope'].status", .null),
        ("ticket.counts[0]", .integer(1)), ("ticket.counts[2]", .integer(3)), ("ticket.counts[3]", .null), ("ticket.counts[-1]", .null),
        ("ticket.nothing[0]", .null), ("ticket.nothing['a']", .null), ("ticket.counts[ticket.nothing]", .null),
        ("ticket.user.payment_methods[input.payment_method_id].balance", number("60.5")),
        // all / any, one list and pairs
        ("all(ticket.counts, n -> n > 0)", .boolean(true)), ("all(ticket.counts, n -> n > 1)", .boolean(false)),
        ("any(ticket.counts, n -> n > 2)", .boolean(true)), ("any(ticket.counts, n -> n > 3)", .boolean(false)),
        ("all([], n -> false)", .boolean(true)), ("any([], n -> true)", .boolean(false)),
        ("all([1, 2], [1, 2], (a, b) -> a == b)", .boolean(true)), ("all([1, 2], [1, 3], (a, b) -> a == b)", .boolean(false)),
        ("all([1, 2], [1, 2, 3], (a, b) -> true)", .boolean(false)), ("any([1], [1, 2], (a, b) -> true)", .boolean(false)),
        ("any([1, 2], [3, 2], (a, b) -> a == b)", .boolean(true)),
        ("all(ticket.counts, n -> ticket.nothing)", .boolean(false)),
        // map / find / count
        ("map(ticket.counts, n -> n * 2)", .list([.integer(2), .integer(4), .integer(6)])),
        ("map([1, 2], [10, 20], (a, b) -> a + b)", .list([.integer(11), .integer(22)])),
        ("map([1, 2], [10], (a, b) -> a + b)", .null), ("map([], n -> n)", .list([])),
        ("find(ticket.counts, n -> n > 1)", .integer(2)), ("find(ticket.counts, n -> n > 5)", .null),
        ("count(ticket.counts, n -> n >= 2)", .integer(2)), ("count([], n -> true)", .integer(0)),
        // sum / subset / keys / +
        ("sum(ticket.counts)", .integer(6)), ("sum([1, 2.5])", number("3.5")), ("sum([])", .integer(0)), ("sum([1, null])", .null),
        ("subset(['a', 'b'], ['b', 'a', 'c'])", .boolean(true)), ("subset(['x', 'x'], ['x'])", .boolean(false)),
        ("subset(['x', 'x'], ['x', 'y', 'x'])", .boolean(true)), ("subset([], [])", .boolean(true)), ("subset([1], [1.0])", .boolean(true)),
        ("keys(ticket.user.payment_methods)", .list([.string("credit_card_9513926"), .string("gift_card_1")])),
        ("var.done + [input.order_id]", .list([.string("#W1"), .string("#W2378156")])),
        ("[] + []", .list([])),
        // null list arguments
        ("all(ticket.nothing, n -> true)", .null), ("any(ticket.missing, n -> true)", .null), ("map(ticket.nothing, n -> n)", .null),
        ("find(ticket.nothing, n -> true)", .null), ("count(ticket.nothing, n -> true)", .null),
        ("all([1], ticket.nothing, (a, b) -> true)", .null),
        ("sum(ticket.nothing)", .null), ("subset(ticket.nothing, [])", .null), ("keys(ticket.nothing)", .null),
        ("ticket.nothing + [1]", .null),
        // nested lambdas see the parameters around them
        ("any(ticket.orders[input.order_id].items, i -> any(input.item_ids, id -> id == i.item_id))", .boolean(true)),
        ("map([1, 2], a -> map([10, 20], b -> a * b))", .list([.list([.integer(10), .integer(20)]), .list([.integer(20), .integer(40)])])),
        ("count([1, 2, 3], a -> any([1, 2, 3], b -> b > a))", .integer(2)),
    ])
    func evaluates(text: String, expected: Value) throws {
        let value = try evaluate(text)
        #expect(Evaluator.equals(value, expected) && value.typeName == expected.typeName, "\(text) = \(value), expected \(expected)")
    }

    /// The rules, as the retail SOPs write them.
    @Test func theRetailRules() throws {
        // The items named belong to the order.
        #expect(try evaluate("subset(input.item_ids, map(ticket.orders[input.order_id].items, i -> i.item_id))") == .boolean(true))
        // Each new item is an available variant of the same product as the item it replaces.
        let sameProduct = """
            all(input.item_ids, input.new_item_ids, (old, new) ->
                ticket.products[find(ticket.orders[input.order_id].items, i -> i.item_id == old).product_id].variants[new].available == true)
            """
        #expect(try evaluate(sameProduct) == .boolean(true))
        // A gift card covers the price difference.
        let covers = """
            ticket.user.payment_methods[input.payment_method_id].balance >=
                sum(map(input.item_ids, input.new_item_ids, (old, new) ->
                    ticket.products[find(ticket.orders[input.order_id].items, i -> i.item_id == old).product_id].variants[new].price
                    - find(ticket.orders[input.order_id].items, i -> i.item_id == old).price))
            """
        // 269.16 - 272.33 + 300 - 262.47 = 34.36
        #expect(try evaluate(covers) == .boolean(true))
    }

    @Test(arguments: [
        ("ticket.counts['a']", "a list is indexed by an integer position, found a string 'a'"),
        ("ticket.orders[1]", "an object is indexed by a string, found an integer 1"),
        ("ticket.user_id[0]", "only objects and lists can be indexed, found a string"),
        ("all(ticket.user_id, c -> true)", "all() needs a list, found a string"),
        ("all(ticket.counts, n -> n)", "the condition of all() must be boolean, found integer 1"),
        ("sum(['a'])", "sum() needs a list of numbers, found a string"),
        ("sum([9223372036854775807, 1])", "integer overflow in sum()"),
        ("keys([1])", "keys() needs an object, found list"),
        ("subset(1, [])", "subset() needs two lists, found integer and list"),
    ])
    func runTimeErrorsAreValuesNotTraps(text: String, message: String) throws {
        let expr = try ExpressionParser.parse(text).get()
        let error = try #require(Result { () throws(EvaluationError) -> Value in try Evaluator.evaluate(expr, in: retailContext) }.failure)
        #expect(error.message == message)
    }

    /// Nested lambdas multiply: thirty levels over two items would run 2^30 bodies. The
    /// evaluation stops with an error after `Evaluator.maxLambdaSteps`, it does not hang.
    @Test func nestedLambdasOverLongListsStop() throws {
        var text = "true"
        for i in 0..<30 { text = "all([1, 2], x\(i) -> \(text))" }
        let expr = try ExpressionParser.parse(text).get()
        let error = try #require(Result { () throws(EvaluationError) -> Value in try Evaluator.evaluate(expr, in: retailContext) }.failure)
        #expect(error.message == "all() runs its lambda more than 1000000 times (lambdas nested over long lists)")
        // Within the budget, separate evaluations each get their own.
        #expect(try evaluate("count([1, 2, 3], a -> any([1, 2, 3], b -> b > a))") == .integer(2))
    }

    /// A tree built by hand with a misplaced lambda or a parameter out of scope fails when
    /// evaluated; it never traps.
    @Test func handBuiltTreesFailCleanly() throws {
        let lambda = Expr.lambda(["x"], .literal(.boolean(true), 0..<1), 0..<1)
        #expect(throws: EvaluationError.self) { try Evaluator.evaluate(lambda, in: retailContext) }
        let stray = Expr.param("x", PathSegments(), 0..<1)
        #expect(throws: EvaluationError.self) { try Evaluator.evaluate(stray, in: retailContext) }
        let noLambda = Expr.call("all", [.list([], 0..<1), .literal(.boolean(true), 0..<1)], 0..<1)
        #expect(throws: EvaluationError.self) { try Evaluator.evaluate(noLambda, in: retailContext) }
    }
}

extension Result {
    /// The error, if this is a failure.
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
