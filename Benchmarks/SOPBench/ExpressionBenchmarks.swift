import Foundation
import SOPExpression

/// Parse, check and evaluation throughput of the expression language.
enum ExpressionBenchmarks {
    static let guardText = "ticket.priority == 'high' and input.amount > 100 and days_since(ticket.purchased_on) <= 30"

    static let environment = ExpressionEnvironment(
        ticket: .object(["priority": .enumeration(["low", "normal", "high", "urgent"]), "purchased_on": .date,
                         "customer": .object(["tier": .enumeration(["standard", "premium"])])]),
        inputs: ["amount": .number])

    static let context = EvaluationContext(
        ticket: .object(["priority": .string("high"), "purchased_on": .date(CivilTime.parseDate("2026-10-20")!),
                         "customer": .object(["tier": .string("premium")])]),
        inputs: ["amount": .integer(250)],
        now: CivilTime.parseDateTime("2026-11-02T09:00:00Z")!)

    static func run() {
        print("expressions (guard: \(guardText))")
        let parse = Harness.measure("parse a guard of three comparisons") { n in
            for _ in 0..<n { blackHole(ExpressionParser.parse(guardText)) }
        }
        Harness.report(parse)
        guard case .success(let expr) = ExpressionParser.parse(guardText) else { fatalError("guard does not parse") }
        let check = Harness.measure("type-check it") { n in
            for _ in 0..<n {
                var checker = TypeChecker(environment: environment)
                checker.checkCondition(expr)
                blackHole(checker.diagnostics)
            }
        }
        Harness.report(check)
        let both = Harness.measure("parse and check") { n in
            for _ in 0..<n {
                if case .success(let e) = ExpressionParser.parse(guardText) {
                    var checker = TypeChecker(environment: environment)
                    checker.checkCondition(e)
                    blackHole(checker.diagnostics)
                }
            }
        }
        Harness.report(both)
        let compiled = Evaluator.compile(expr)
        precondition((try? compiled.holds(context)) == true)
        let evaluate = Harness.measure("evaluate the compiled guard (holds)") { n in
            var count = 0
            for _ in 0..<n where (try? compiled.holds(context)) == true { count += 1 }
            blackHole(count)
        }
        Harness.report(evaluate)
        guard case .success(let simple) = ExpressionParser.parse("ticket.customer.tier == 'premium'") else { return }
        let one = Evaluator.compile(simple)
        let evaluateOne = Harness.measure("evaluate one nested-path comparison") { n in
            var count = 0
            for _ in 0..<n where (try? one.holds(context)) == true { count += 1 }
            blackHole(count)
        }
        Harness.report(evaluateOne)
        // Issue 36: a rule over the ten items of an order (a lambda runs once per item).
        let items: [Value] = (0..<10).map { .object(["item_id": .string("i\($0)"), "price": .integer($0 + 1)]) }
        let orderContext = EvaluationContext(
            ticket: .object(["orders": .object(["#W1": .object(["items": .list(items)])])]),
            inputs: ["order_id": .string("#W1"), "item_ids": .list([.string("i3"), .string("i7")])])
        let ruleText = "subset(input.item_ids, map(ticket.orders[input.order_id].items, i -> i.item_id))"
            + " and all(ticket.orders[input.order_id].items, i -> i.price > 0)"
        guard case .success(let ruleExpr) = ExpressionParser.parse(ruleText) else { fatalError("the list rule does not parse") }
        let rule = Evaluator.compile(ruleExpr)
        precondition((try? rule.holds(orderContext)) == true)
        let evaluateRule = Harness.measure("evaluate a rule over a list of ten items (map, subset, all)") { n in
            var count = 0
            for _ in 0..<n where (try? rule.holds(orderContext)) == true { count += 1 }
            blackHole(count)
        }
        Harness.report(evaluateRule)
    }
}
