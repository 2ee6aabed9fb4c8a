import Foundation
import Testing
@testable import SOPExpression

private func parse(_ text: String) -> Expr? {
    if case .success(let e) = ExpressionParser.parse(text) { return e }
    return nil
}

/// The grammar, case by case: each valid expression next to its fully parenthesised reading.
struct ParserTests {
    @Test(arguments: [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("(1 + 2) * 3", "((1 + 2) * 3)"),
        ("a_ok == 1", nil),
        ("ticket.priority == 'high'", "(ticket.priority == 'high')"),
        ("not a and b", nil),
        ("not ticket.vip and ticket.x", "((not ticket.vip) and ticket.x)"),
        ("ticket.a or ticket.b and ticket.c", "(ticket.a or (ticket.b and ticket.c))"),
        ("ticket.x not in ['a', 'b']", "(ticket.x not in ['a', 'b'])"),
        ("ticket.x in [1, 2.5, 48h]", "(ticket.x in [1, 2.5, 2d])"),
        ("- - 3", "(-(-3))"),
        ("10 - 4 - 3", "((10 - 4) - 3)"),
        ("10 / 5 % 3", "((10 / 5) % 3)"),
        ("len(ticket.tags) >= 2", "(len(ticket.tags) >= 2)"),
        ("today()", "today()"),
        ("if(ticket.vip, 4h, 1d)", "if(ticket.vip, 4h, 1d)"),
        ("1h30m", "1h30m"),
        ("1w2d", "1w2d"),
        ("90s", "1m30s"),
        ("null == ticket.x", "(null == ticket.x)"),
        ("\"a\\\"b\" == 'c\\'d'", "('a\"b' == 'c\\'d')"),
        ("input.order-id == 'x'", "(input.order-id == 'x')"),
        ("input.a - 1", "(input.a - 1)"),
        ("now - run.entered_at > 2d", "((now - run.entered_at) > 2d)"),
        ("[]", "[]"),
        ("  true  ", "true"),
    ] as [(String, String?)])
    func validExpressions(text: String, printed: String?) throws {
        if text.hasPrefix("a_ok") || text.hasPrefix("not a and b") {
            // Bare names are not paths: the parser says which roots exist.
            guard case .failure(let error) = ExpressionParser.parse(text) else {
                Issue.record("'\(text)' parsed")
                return
            }
            #expect(error.message.contains("unknown name"))
            return
        }
        let expr = try #require(parse(text), "'\(text)' did not parse")
        #expect(expr.description == printed)
    }

    @Test(arguments: [
        ("", "the expression is empty", 0..<0),
        ("ticket.a =", "'=' is not an operator", 9..<10),
        ("ticket.a == ", "the expression ends where a value was expected", 12..<12),
        ("(ticket.a", "expected ')' to close this '(', found the end of the expression", 0..<1),
        ("ticket.a ticket.b", "'ticket' cannot follow a complete expression", 9..<15),
        // The first problem in reading order wins: the unclosed string comes later.
        ("1 + + 'abc", "expected a value, found '+'", 4..<5),
        ("== 1 'x", "expected a value, found '=='", 0..<2),
        ("1 < 2 < 3", "comparisons cannot be chained", 6..<7),
        ("'abc", "the string is not closed", 0..<4),
        ("3days", "'3days' is not a duration", 0..<5),
        ("30m1h", "duration units must go from largest to smallest, each once", 0..<5),
        ("1x", "'1x' is not a number", 0..<2),
        ("ticket.", "a field name must follow '.'", 6..<7),
        ("a && b", "'&' is not an operator", 2..<3),
        ("a == 1", "unknown name 'a'", 0..<1),
        ("ticket.a && b", "'&' is not an operator", 9..<10),
        ("ticket.a ? 1", "unexpected character '?'", 9..<10),
        ("f(1, ", "the expression ends where a value was expected", 5..<5),
        ("[1, 2", "expected ']' to close the list, found the end of the expression", 0..<1),
        ("'a\\q'", "unknown escape '\\q' in a string", 2..<4),
        ("99999999999999999999", "the number 99999999999999999999 is too large", 0..<20),
        ("9999999999999999w", "the duration is too large", 0..<17),
    ])
    func invalidExpressions(text: String, message: String, range: Range<Int>) {
        guard case .failure(let error) = ExpressionParser.parse(text) else {
            Issue.record("'\(text)' parsed")
            return
        }
        #expect(error.message == message)
        #expect(error.range == range)
    }

    @Test func nodesCarryOffsets() throws {
        let expr = try #require(parse("ticket.priority == 'high' and len(ticket.tags) > 2"))
        guard case .binary(.and, let left, let right, let whole) = expr,
              case .binary(.equal, let path, let literal, _) = left,
              case .binary(.greater, let call, _, _) = right else {
            Issue.record("unexpected shape \(expr)")
            return
        }
        #expect(whole == 0..<50)
        #expect(path.range == 0..<15)
        #expect(literal.range == 19..<25)
        #expect(call.range == 30..<46)
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        for text in [String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000),
                     String(repeating: "-", count: 5000) + "1",
                     String(repeating: "not ", count: 5000) + "true",
                     String(repeating: "[", count: 5000),
                     String(repeating: "len(", count: 5000)] {
            guard case .failure(let error) = ExpressionParser.parse(text) else {
                Issue.record("deep nesting parsed")
                continue
            }
            #expect(error.message.contains("nests deeper"))
        }
    }

    /// A chain of binary operators builds a tree as deep as the chain is long, which the checker
    /// and the evaluator walk recursively: the fuzzer overflowed the stack with an 18 KB chain of
    /// `-` (Fuzz/corpus/expression/regression-long-operator-chain). 256 operators parse, check and
    /// evaluate; one more is an error.
    @Test func longOperatorChainsAreCappedNotACrash() throws {
        for op in ["+", "-", "*", "and", "or"] {
            let operand = op == "and" || op == "or" ? "true" : "1"
            let longest = Array(repeating: operand, count: ExpressionParser.maxOperators + 1).joined(separator: " \(op) ")
            guard case .success(let e) = ExpressionParser.parse(longest) else {
                Issue.record("a chain of \(ExpressionParser.maxOperators) '\(op)' does not parse")
                continue
            }
            var checker = TypeChecker(environment: ExpressionEnvironment())
            _ = checker.check(e)
            #expect(checker.diagnostics.isEmpty)
            #expect(throws: Never.self) { _ = try Evaluator.evaluate(e, in: EvaluationContext(now: 0)) }
            guard case .failure(let error) = ExpressionParser.parse(longest + " \(op) " + operand) else {
                Issue.record("a chain of \(ExpressionParser.maxOperators + 1) '\(op)' parsed")
                continue
            }
            #expect(error.message == "the expression has more than 256 operators")
        }
        let fuzzed = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus/expression/regression-long-operator-chain"), encoding: .utf8)
        guard case .failure(let error) = ExpressionParser.parse(fuzzed) else {
            Issue.record("the fuzzer's chain parsed")
            return
        }
        #expect(error.message.contains("more than 256 operators"))
    }

    @Test func templatesSplitTextAndExpressions() throws {
        guard case .success(let t) = Template.parse("Hi ${{ ticket.customer.name }}, order ${{ 'A' + '}}' }}!") else {
            Issue.record("template did not parse")
            return
        }
        #expect(t.parts.count == 5)
        #expect(t.expressions.map(\.description) == ["ticket.customer.name", "('A' + '}}')"])
        #expect(t.expressions[0].range == 7..<27)
        #expect(t.singleExpression == nil)
        let single = try Template.parse("  ${{ var.x }} ").get()
        #expect(single.singleExpression?.description == "var.x")
        guard case .failure(let unclosed) = Template.parse("a ${{ b") else {
            Issue.record("unclosed template parsed")
            return
        }
        #expect(unclosed.range == 2..<5)
        guard case .failure(let inner) = Template.parse("x ${{ ticket.a = 1 }}") else {
            Issue.record("a template with '=' in its expression parsed")
            return
        }
        #expect(inner.range == 15..<16)
    }

    /// Bodies are parsed in place with their offset in the whole text, which counts Unicode
    /// scalars: text before, between and inside the pieces may be anything.
    @Test func templateOffsetsCountScalarsOfTheWholeText() throws {
        let text = "Café ☕ ${{ ticket.name }} — ${{ 'über' + input.x }} 🎉 ${{ var.n }}"
        let t = try Template.parse(text).get()
        let scalars = Array(text.unicodeScalars)
        func written(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(scalars[r])) }
        #expect(t.expressions.map { written($0.range) } == ["ticket.name", "'über' + input.x", "var.n"])
        guard case .binary(_, _, let right, _) = t.expressions[1] else {
            Issue.record("not a binary expression")
            return
        }
        #expect(written(right.range) == "input.x")
        let bad = "ñ ${{ 1 }} ü ${{ ticket.a = 2 }}"
        guard case .failure(let error) = Template.parse(bad) else {
            Issue.record("bad template parsed")
            return
        }
        #expect(written(error.range).isEmpty == false)
        #expect(String(String.UnicodeScalarView(Array(bad.unicodeScalars)[error.range])) == "=")
        guard case .failure(let empty) = Template.parse("é ${{  }}") else {
            Issue.record("empty template parsed")
            return
        }
        #expect(empty.message.contains("holds no expression"))
        #expect(empty.range == 2..<9)
    }

    /// The lexer matches path roots from bytes, not through `init(rawValue:)`; both must agree.
    @Test func pathRootsAreRecognisedByTheirExactNames() {
        for root in PathRoot.allCases {
            guard case .success(.path(let parsed, let segments, _)) = ExpressionParser.parse(root.rawValue + ".x") else {
                Issue.record("'\(root.rawValue).x' is not a path")
                continue
            }
            #expect(parsed == root && segments == ["x"])
        }
        for other in ["tickets", "Var", "inputs", "nowx", "chil", "run_", "r"] {
            guard case .failure(let error) = ExpressionParser.parse(other + ".x") else {
                Issue.record("'\(other).x' parsed")
                continue
            }
            #expect(error.message == "unknown name '\(other)'")
        }
    }

    /// Path names are kept as one dotted string; reading them back must give the names parsed.
    @Test(arguments: ["now", "input.order-id", "ticket.customer.tier", "var.a.b.c-d", "ticket . spaced . out"])
    func pathSegmentsGiveBackTheNames(_ text: String) throws {
        guard case .success(.path(_, let segments, _)) = ExpressionParser.parse(text) else {
            Issue.record("'\(text)' is not a path")
            return
        }
        let names = Array(text.replacingOccurrences(of: " ", with: "").split(separator: ".").dropFirst().map(String.init))
        #expect(segments.array == names)
        #expect(segments.count == names.count)
        #expect(segments.first == names.first)
        #expect(segments.isEmpty == names.isEmpty)
        #expect(segments == PathSegments(names))
        #expect(segments.isOnly("order-id") == (names == ["order-id"]))
    }
}

/// `${ x }` and `{{ x }}` in human text are found; real templates and lone braces are not.
@Suite struct TemplateMisspellingTests {
    @Test(arguments: [
        ("Ticket ${ ticket.id }", ["${ ticket.id }"]),
        ("Hello {{ticket.customer.name}}!", ["{{ticket.customer.name}}"]),
        ("${{ ticket.id }} and ${ var.x } and {{ input.y }}", ["${ var.x }", "{{ input.y }}"]),
        ("Real ${{ ticket.id }}, {braces}, $5, ${}, {{ }}", []),
        ("no braces at all", []),
        ("${ unclosed and {{ unclosed", []),
    ])
    func misspellingsAreFound(_ text: String, _ expected: [String]) {
        #expect(Template.misspellings(text).map(\.written) == expected)
    }

    @Test func theHelpNamesTheTemplateMeant() {
        #expect(Template.misspellings("a ${ticket.id} b").first?.meant == "${{ ticket.id }}")
    }
}


/// Found by fuzzing: a long chain of unary minus signs parses and evaluates; printed, it nests a
/// level of parentheses per sign, and reading that back stops at the nesting limit instead of
/// overflowing the stack.
@Suite struct DeepUnaryTests {
    @Test func aChainOfMinusSignsParsesAndEvaluates() throws {
        let text = "21" + String(repeating: "-", count: 48) + "1"
        guard case .success(let e) = ExpressionParser.parse(text) else {
            Issue.record("'\(text)' does not parse")
            return
        }
        #expect(try Evaluator.evaluate(e, in: EvaluationContext(now: 0)) == .integer(22))  // 21 - (-1): 47 signs on the 1
        // Its fully parenthesised reading nests deeper: it either reads back to the same value or
        // is refused for its depth, never anything else.
        switch ExpressionParser.parse(e.description) {
        case .success(let again): #expect(try Evaluator.evaluate(again, in: EvaluationContext(now: 0)) == .integer(22))
        case .failure(let error): #expect(error.message.contains("nests deeper than"))
        }
    }
}
