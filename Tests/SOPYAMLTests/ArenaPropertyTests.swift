import SOPDiagnostics
import Testing
import TestSupport
@testable import SOPYAML

/// The document builder finds repeated keys by fingerprint and scan in small mappings and by a
/// hashed index from 16 keys on; both must agree with the plain definition: two keys are the same
/// when their core-schema values are equal (numbers by value, strings by their bytes).
struct ArenaPropertyTests {
    /// Keys that collide in interesting ways: numbers written differently, null and bool
    /// spellings, strings that only differ late, and quoted forms of plain values.
    static let keyPool = [
        "1", "1.0", "0x1", "0o1", "+1", "01", "-0", "0", "0.0", "-0.0", "1e0", ".5", "0.5",
        "~", "null", "Null", "''", "true", "True", "false", "'true'", "\"1\"", "'1'",
        "a", "b", "ab", "ba", "abc", "abd", "xbc", "'a'", "\"a\"", "aaaaaaaaaaaaaaaaaaaaz", "aaaaaaaaaaaaaaaaaaaay",
        "é", "'é'", "café", "cafe",
    ]

    /// The value a key resolves to, compared the way YAML keys are.
    enum Value: Hashable {
        case null, bool(Bool), number(Double), string([UInt8])
    }

    static func value(of key: String) -> Value {
        var text = key
        var quoted = false
        if key.count >= 2, let first = key.first, first == "'" || first == "\"", key.last == first {
            text = String(key.dropFirst().dropLast())
            quoted = true
        }
        switch quoted ? .string(text) : CoreSchema.resolvePlain(text) {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .number(Double(i))
        case .float(let d): return .number(d == 0 ? 0 : d)
        case .string(let s): return .string(Array(s.utf8))
        }
    }

    @Test func repeatedKeysAgreeWithTheDefinition() throws {
        var rng = SplitMix64(seed: 0x5EED_4E75)
        for round in 0..<300 {
            let count = [3, 8, 15, 16, 17, 30][round % 6]
            let keys = (0..<count).map { _ in rng.pick(Self.keyPool) }
            let text = keys.enumerated().map { "\($0.element): v\($0.offset)" }.joined(separator: "\n") + "\n"
            let doc = YAMLParser.parse(SourceFile(path: "t.yaml", text: text))
            var seen = Set<Value>()
            var expectedRepeats: [Int] = []
            for (line, key) in keys.enumerated() where !seen.insert(Self.value(of: key)).inserted {
                expectedRepeats.append(line + 1)
            }
            #expect(doc.problems.map(\.kind).allSatisfy { $0 == .duplicateKey }, "\(keys)")
            #expect(doc.problems.map(\.span.start.line) == expectedRepeats, "\(keys)")
            // The first of each value is kept, in order, with its own value.
            let root = try #require(doc.root)
            let kept = Array(doc.pairs(root)).map { doc.text($0.value) }
            #expect(kept.count == count - expectedRepeats.count)
            #expect(kept == (1...count).filter { !expectedRepeats.contains($0) }.map { "v\($0 - 1)" })
        }
    }

    /// Escapes can make a value longer than its source (`\L` is two bytes written, three decoded):
    /// the builder's text buffer must grow, and every value must survive it.
    @Test func valuesLongerThanTheirSourceSurviveTheBufferGrowing() throws {
        let long = String(repeating: "\\L", count: 3000)
        let text = "a: \"\(long)\"\nb: after\nc: [\"\\P\\P\", x]\n"
        let doc = YAMLParser.parse(SourceFile(path: "t.yaml", text: text))
        #expect(doc.problems.isEmpty)
        let pairs = Array(doc.pairs(try #require(doc.root)))
        #expect(doc.text(pairs[0].value) == String(repeating: "\u{2028}", count: 3000))
        #expect(doc.text(pairs[1].value) == "after")
        #expect(Array(doc.items(pairs[2].value)).map(doc.text) == ["\u{2029}\u{2029}", "x"])
    }
}
