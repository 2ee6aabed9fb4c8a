import Foundation
import Testing
import TestSupport
@testable import SOPExpression

/// Random expressions of a given static type, built only from operations the checker accepts.
struct ExpressionGenerator {
    var rng: SplitMix64

    mutating func pick<T>(_ options: [T]) -> T { options[Int(rng.next() % UInt64(options.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }

    mutating func expression(_ type: ExprType, depth: Int) -> String {
        if depth <= 0 || chance(25) { return leaf(type) }
        let d = depth - 1
        switch type {
        case .boolean:
            switch rng.next() % 8 {
            case 0: return "(\(expression(.boolean, depth: d)) and \(expression(.boolean, depth: d)))"
            case 1: return "(\(expression(.boolean, depth: d)) or \(expression(.boolean, depth: d)))"
            case 2: return "(not \(expression(.boolean, depth: d)))"
            case 3: return "(\(expression(.integer, depth: d)) \(pick(["<", "<=", ">", ">=", "==", "!="])) \(expression(.number, depth: d)))"
            case 4: return "(\(expression(.date, depth: d)) \(pick(["<", ">=", "=="])) \(expression(.date, depth: d)))"
            case 5: return "(\(expression(.string, depth: d)) \(pick(["in", "not in"])) [\(expression(.string, depth: d)), \(leaf(.string))])"
            case 6: return "contains(\(expression(.string, depth: d)), \(expression(.string, depth: d)))"
            default: return "if(\(expression(.boolean, depth: d)), \(expression(.boolean, depth: d)), \(expression(.boolean, depth: d)))"
            }
        case .integer:
            switch rng.next() % 5 {
            case 0, 1: return "(\(expression(.integer, depth: d)) \(pick(["+", "-", "*", "%"])) \(expression(.integer, depth: d)))"
            case 2: return "(-\(expression(.integer, depth: d)))"
            case 3: return "len(\(expression(.string, depth: d)))"
            default: return "days_since(\(expression(.date, depth: d)))"
            }
        case .number:
            return "(\(expression(.number, depth: d)) \(pick(["+", "-", "*", "/"])) \(expression(.integer, depth: d)))"
        case .string:
            switch rng.next() % 3 {
            case 0: return "(\(expression(.string, depth: d)) + \(expression(.string, depth: d)))"
            case 1: return "\(pick(["lower", "upper"]))(\(expression(.string, depth: d)))"
            default: return "coalesce(\(expression(.string, depth: d)), \(leaf(.string)))"
            }
        case .date:
            return "(\(expression(.date, depth: d)) \(pick(["+", "-"])) \(expression(.duration, depth: d)))"
        case .duration:
            return "(\(expression(.duration, depth: d)) \(pick(["+", "-"])) \(expression(.duration, depth: d)))"
        default:
            return leaf(type)
        }
    }

    mutating func leaf(_ type: ExprType) -> String {
        switch type {
        case .boolean: return pick(["true", "false", "ticket.vip", "ticket.missing", "input.order_found"])
        case .integer: return pick(["0", "1", "7", "9223372036854775807", "ticket.count", "ticket.missing", "var.warnings"])
        case .number: return pick(["0.5", "19.99", "0", "ticket.total", "input.amount", "ticket.missing"])
        case .string: return pick(["'a'", "''", "'it\\'s'", "ticket.priority", "ticket.customer.name", "ticket.missing"])
        case .date: return pick(["date('2024-02-29')", "today()", "ticket.purchased_on", "ticket.missing"])
        case .duration: return pick(["1d", "48h", "1h30m", "0s", "9999999999w"])
        default: return "null"
        }
    }
}

struct PropertyTests {
    static let checkEnvironment = ExpressionEnvironment(
        ticket: .object(["priority": .string, "vip": .boolean, "count": .integer, "total": .number, "purchased_on": .date,
                         "customer": .object(["name": .string]), "missing": .any]),
        vars: ["warnings": .integer], inputs: ["order_found": .boolean, "amount": .number])

    /// Printing an AST and parsing it again gives the same AST.
    @Test func printThenParseIsIdentity() throws {
        var generator = ExpressionGenerator(rng: SplitMix64(seed: 7))
        for _ in 0..<2_000 {
            let type = generator.pick([ExprType.boolean, .integer, .number, .string, .date, .duration])
            let text = generator.expression(type, depth: 5)
            guard case .success(let first) = ExpressionParser.parse(text) else {
                Issue.record("generated text does not parse: \(text)")
                continue
            }
            let printed = first.description
            guard case .success(let second) = ExpressionParser.parse(printed) else {
                Issue.record("printed text does not parse: \(printed)")
                continue
            }
            #expect(first == second, "\(text) → \(printed)")
            #expect(second.description == printed)
        }
    }

    /// Random well-typed expressions type-check cleanly and evaluate without trapping: each gives
    /// a value or an EvaluationError (overflow, division by zero), never a crash.
    @Test func wellTypedExpressionsNeverTrap() {
        var generator = ExpressionGenerator(rng: SplitMix64(seed: 2026))
        var errors = 0
        for _ in 0..<5_000 {
            let text = generator.expression(.boolean, depth: 6)
            guard case .success(let expr) = ExpressionParser.parse(text) else {
                Issue.record("does not parse: \(text)")
                continue
            }
            var checker = TypeChecker(environment: Self.checkEnvironment)
            checker.checkCondition(expr)
            #expect(checker.diagnostics.isEmpty, "\(text): \(checker.diagnostics.map(\.message))")
            do {
                _ = try Evaluator.compile(expr).holds(testContext)
            } catch {
                errors += 1
            }
        }
        // Some generated expressions divide by zero or overflow; most must evaluate.
        #expect(errors < 2_500)
    }

    /// Random text never traps the lexer or parser.
    @Test func randomTextNeverTraps() {
        var rng = SplitMix64(seed: 99)
        let alphabet = Array("ticket.var input()[],'\"\\ 0123456789.5hdwms+-*/%<>=!notandorin${}ab_\n\t")
        for _ in 0..<20_000 {
            let length = Int(rng.next() % 40)
            let text = String((0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            _ = ExpressionParser.parse(text)
            _ = Template.parse(text)
        }
    }

    /// `containsTemplate` jumps between '$' signs; it must agree with a plain search.
    @Test func containsTemplateAgreesWithAPlainSearch() {
        var rng = SplitMix64(seed: 77)
        let pieces = ["$", "{", "}", "{{", "${", "${{", "$$", "a", " ", "é", "\n", "}}"]
        for _ in 0..<5000 {
            let text = (0..<Int(rng.next() % 9)).map { _ in rng.pick(pieces) }.joined()
            #expect(Template.containsTemplate(text) == text.contains("${{"), "\(text)")
        }
    }
}

/// The eight-bytes-at-a-time UTF-8 scans agree with the plain byte loops they replace, on random
/// mixes of ASCII and multi-byte characters at every alignment and length.
@Suite struct UTF8ScanTests {
    @Test func agreesWithByteLoops() {
        var rng = SplitMix64(seed: 0x5CA9)
        let pieces = ["a", " ", "${{", "}}", "é", "→", "😀", "\n", "ü", "Z"]
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int(rng.next() % 40) { text += rng.pick(pieces) }
            let bytes = Array(text.utf8)
            bytes.withUnsafeBufferPointer { buffer in
                #expect(UTF8Scan.hasNonASCII(buffer) == bytes.contains { $0 >= 0x80 })
                let a = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count + 1))
                let b = a + Int(rng.next() % UInt64(bytes.count - a + 1))
                let expected = bytes[a..<b].filter { $0 & 0xC0 != 0x80 }.count
                #expect(UTF8Scan.scalarCount(buffer, from: a, to: b) == expected, "\(text) \(a)..<\(b)")
            }
        }
    }

    @Test func countsWholeTextsAsSwiftDoes() {
        for text in ["", "plain ascii text of some length", "Grüße aus Köln", "→ 😀 ✓", String(repeating: "é", count: 17)] {
            var copy = text
            copy.withUTF8 { buffer in
                #expect(UTF8Scan.scalarCount(buffer, from: 0, to: buffer.count) == text.unicodeScalars.count)
                #expect(UTF8Scan.hasNonASCII(buffer) == !text.utf8.allSatisfy { $0 < 0x80 })
            }
        }
    }
}
