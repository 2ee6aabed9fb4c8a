import Foundation
@testable import SOPCore
import TestSupport
import Testing

/// The pattern matcher (Runtime/InputPattern.swift): JSON Schema's meaning, refusals with a
/// reason, time linear in the text, and agreement with two references on small inputs.
struct InputPatternTests {
    /// Issue 32 item 23: a pattern that backtracks catastrophically in Swift's `Regex` (more than
    /// 25 s for 22 characters) is answered at once, and the work grows with the text, not
    /// exponentially.
    @Test func nestedQuantifiersRunInLinearTime() {
        let clock = ContinuousClock()
        let short = String(repeating: "a", count: 22) + "!"
        let elapsed = clock.measure {
            #expect(!InputPattern.matches(short, "^(a+)+$"))
            #expect(!InputPattern.matches(short, "(a+)+$b"))
            #expect(!InputPattern.matches(short, "(a|a)*b"))
            #expect(!InputPattern.matches(short, "(a*)*(a*)*b"))
        }
        #expect(elapsed < .seconds(1), "took \(elapsed)")
        let long = String(repeating: "a", count: 20_000) + "!"
        let longElapsed = clock.measure { #expect(!InputPattern.matches(long, "^(a+)+$")) }
        #expect(longElapsed < .seconds(5), "took \(longElapsed)")
    }

    /// Issue 32 item 24: JSON Schema's (ECMAScript's) meaning, not Swift's: ASCII `\d` and `\w`,
    /// `.` one code point, `$` only at the very end.
    @Test(arguments: [
        (#"^\d+$"#, "0123456789", true),
        (#"^\d+$"#, "١٢٣", false),              // Arabic-Indic digits are not \d
        (#"^\d$"#, "߀", false),                 // NKo digit zero
        (#"^\D$"#, "߀", true),
        (#"^\w+$"#, "abc_XYZ_09", true),
        (#"^\w+$"#, "école", false),            // é is not \w
        (#"^\W$"#, "é", true),
        (#"^\s$"#, "\u{A0}", true),             // ECMAScript white space includes NBSP …
        (#"^\s$"#, "\u{FEFF}", true),           // … and the BOM
        (#"^\s$"#, "\u{2029}", true),
        (#"^\S$"#, "\u{2003}", false),
        (#"^.$"#, "e\u{301}", false),           // e + combining acute: two code points
        (#"^..$"#, "e\u{301}", true),
        (#"^.$"#, "😀", true),                   // one code point outside the BMP
        (#"^.$"#, "\n", false),
        (#"^.$"#, "\u{2028}", false),
        (#"^abc$"#, "abc\n", false),            // $ does not match before a final newline
        (#"abc"#, "xxabcxx", true),             // searched anywhere
        (#"^abc"#, "xabc", false),
        (#"^\p{L}+$"#, "école", true),
        (#"^\p{Lu}"#, "école", false),
        (#"^\P{L}+$"#, "123", true),
        (#"^\p{Nd}+$"#, "١٢٣", true),
        (#"^[^a-z]$"#, "é", true),
        (#"^[\d\-]+$"#, "12-34", true),
        (#"^[a-c\w]$"#, "_", true),
        (#"^[\D]$"#, "5", false),
        (#"^(?:ab)+$"#, "abab", true),
        (#"^a{2,3}$"#, "aaaa", false),
        (#"^a{2,}$"#, "aaaa", true),
        (#"^a{2}?$"#, "aa", true),              // lazy: the same yes-or-no answer
        (#"^(a|ab)(c|bcd)(d*)$"#, "abcd", true),
        (#"^\$\^\.\*\/$"#, "$^.*/", true),
        (#"^[\]\[]+$"#, "][", true),
        (#"^$"#, "", true),
        (#"()"#, "", true),
    ])
    func jsonSchemaMeaning(_ pattern: String, _ text: String, _ expected: Bool) {
        #expect(InputPattern.problem(pattern) == nil)
        #expect(InputPattern.matches(text, pattern) == expected, "\(pattern) on \(text.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    /// What the matcher cannot run with its meaning is refused with the reason (at lint).
    @Test(arguments: [
        ("(?=a)", "look-around"),
        ("(?<n>a)", "look-around, named groups"),
        (#"(a)\1"#, "back-references"),
        (#"\bword"#, "word boundary"),
        (#"\a"#, "unknown escape '\\a'"),
        ("a**", "cannot repeat a repetition"),
        ("*a", "nothing to repeat"),
        ("[]", "empty character class"),
        ("[a", "expected ']'"),
        ("(a", "expected ')'"),
        ("a)", "unmatched ')'"),
        ("a{2,1}", "wrong order"),
        ("a{1001}", "above 1000"),
        ("a{", "expected a number"),
        ("x{1}}", "lone '}'"),
        ("[z-a]", "out of order"),
        (#"\p{Lettre}"#, "unknown Unicode category 'Lettre'"),
        (#"\c1"#, "must be followed by a letter"),
        (String(repeating: "(", count: 40) + String(repeating: ")", count: 40), "deeper than 32"),
        ("(a{1000}){1000}", "too large"),
        ("^*", "cannot be repeated"),
    ])
    func refusedWithAReason(_ pattern: String, _ reason: String) throws {
        let problem = try #require(InputPattern.problem(pattern))
        #expect(problem.contains(reason), "\(problem)")
        #expect(!InputPattern.matches("a", pattern))
    }

    /// The `pattern` cases of the official JSON-Schema-Test-Suite's
    /// `tests/draft2020-12/optional/ecmascript-regex.json` (suite commit 64793fe), transcribed:
    /// the suite is not kept here (`scripts/json-schema-suite.py` runs it from a checkout). Each
    /// pattern agrees with the suite, or is refused where sopkit's dialect does not have it.
    @Test(arguments: [
        ("^abc$", ["abc\n": false, "abc": true]),
        (#"^\t$"#, [#"\t"#: false, "\t": true]),
        (#"^\cC$"#, [#"\cC"#: false, "\u{03}": true]),
        (#"^\cc$"#, [#"\cc"#: false, "\u{03}": true]),
        (#"^\d$"#, ["0": true, "\u{07C0}": false]),
        (#"^\D$"#, ["0": false, "߀": true]),
        (#"^\w$"#, ["a": true, "é": false]),
        (#"^\W$"#, ["a": false, "é": true]),
        (#"^\s$"#, [" ": true, "\t": true, "\u{0B}": true, "\u{0C}": true, "\u{A0}": true, "\u{FEFF}": true, "\n": true,
                   "\u{2029}": true, "\u{2003}": true, "\u{01}": false, "\u{2013}": false]),
        (#"^\S$"#, [" ": false, "\t": false, "\u{0B}": false, "\u{0C}": false, "\u{A0}": false, "\u{FEFF}": false, "\n": false,
                   "\u{2029}": false, "\u{2003}": false, "\u{01}": true, "\u{2013}": true]),
        (#"\p{Letter}cole"#, ["l'ecole": true, "l'école": true, "L'ÉCOLE": false]),
        (#"\wcole"#, ["l'ecole": true, "l'école": false, "L'ÉCOLE": false]),
        ("[a-z]cole", ["l'école": false, "l'ecole": true]),
        (#"^\d+$"#, ["42": true, "-%#": false, "৪২": false]),
    ] as [(String, [String: Bool])])
    func ecmascriptRegexCasesOfTheSuite(_ pattern: String, _ cases: [String: Bool]) {
        #expect(InputPattern.problem(pattern) == nil)
        for (text, valid) in cases {
            #expect(InputPattern.matches(text, pattern) == valid, "\(pattern) on \(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    /// The suite's cases sopkit refuses rather than run with a meaning of its own: `\a` (the
    /// suite says it is not a valid ECMA 262 pattern) and `\p{digit}` (not a general category).
    @Test func suitePatternsOutsideTheDialectAreRefused() {
        #expect(InputPattern.problem(#"\a"#)?.contains("unknown escape") == true)
        #expect(InputPattern.problem(#"^\p{digit}+$"#)?.contains("unknown Unicode category 'digit'") == true)
    }

    // MARK: Property tests against references

    /// Every end position `node` can reach from `position`: a reference that tries every way
    /// (what a backtracking matcher explores), exponential but obviously right on small inputs.
    static func ends(_ node: InputPattern.Node, _ text: [Unicode.Scalar], _ position: Int) -> Set<Int> {
        switch node {
        case .empty: return [position]
        case .start: return position == 0 ? [position] : []
        case .end: return position == text.count ? [position] : []
        case .set(let set): return position < text.count && set.contains(text[position]) ? [position + 1] : []
        case .concat(let nodes):
            return nodes.reduce(Set([position])) { from, node in Set(from.flatMap { ends(node, text, $0) }) }
        case .alternation(let branches):
            return branches.reduce(Set<Int>()) { $0.union(ends($1, text, position)) }
        case .repeated(let inner, let min, let max):
            var result: Set<Int> = min == 0 ? [position] : []
            var current: Set<Int> = [position]
            var k = 0
            while !current.isEmpty, max.map({ k < $0 }) ?? true {
                k += 1
                let next = Set(current.flatMap { ends(inner, text, $0) })
                if k > min && next.isSubset(of: result) { break }
                if k >= min { result.formUnion(next) }
                current = next
            }
            return result
        }
    }

    static func randomPattern(_ rng: inout SplitMix64, depth: Int = 0) -> String {
        var out = ""
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            var atom: String
            switch rng.next() % (depth < 3 ? 9 : 6) {
            case 0: atom = "a"
            case 1: atom = "b"
            case 2: atom = rng.pick([".", "[ab]", "[^a]", "[a-c]", #"\w"#, #"\d"#])
            case 3: atom = rng.pick(["^", "$", "c"])
            case 4: atom = "a"
            case 5: atom = "b"
            case 6: atom = "(" + randomPattern(&rng, depth: depth + 1) + ")"
            case 7: atom = "(?:" + randomPattern(&rng, depth: depth + 1) + "|" + randomPattern(&rng, depth: depth + 1) + ")"
            default: atom = "(" + randomPattern(&rng, depth: depth + 1) + ")"
            }
            if atom != "^" && atom != "$" {
                atom += rng.pick(["", "", "", "*", "+", "?", "{2}", "{0,2}", "{1,}", "*?"])
            }
            out += atom
        }
        if rng.next() % 5 == 0 { out += "|" + randomPattern(&rng, depth: depth + 1) }
        return out
    }

    /// The compiled program agrees with the exhaustive reference on the parsed tree, and with
    /// Swift's own backtracking `Regex` where both mean the same (ASCII text, ASCII classes).
    @Test func agreesWithReferencesOnSmallInputs() throws {
        var rng = SplitMix64(seed: 0x5EED_9485)
        var compared = 0
        for _ in 0..<1500 {
            let pattern = Self.randomPattern(&rng)
            var parser = InputPattern.PatternParser(Array(pattern.unicodeScalars))
            let tree = try parser.parse()
            let program = try InputPattern.compile(pattern).get()
            let regex = try Regex(pattern).asciiOnlyCharacterClasses()
            for _ in 0..<6 {
                let text = String((0..<Int(rng.next() % 7)).map { _ in rng.pick(["a", "b", "c", "1", "_"] as [Character]) })
                let scalars = Array(text.unicodeScalars)
                let expected = (0...scalars.count).contains { !Self.ends(tree, scalars, $0).isEmpty }
                #expect(program.search(text) == expected, "\(pattern) on '\(text)'")
                #expect((try regex.firstMatch(in: text) != nil) == expected, "Regex: \(pattern) on '\(text)'")
                compared += 1
            }
        }
        #expect(compared == 9000)
    }
}
