import Foundation
import Testing
import TestSupport
@testable import SOPJSON

/// Journal hashes are computed over canonical JSON, so its bytes must never change: the byte
/// writer is checked against the straightforward definition (keys sorted by UTF-16 code units,
/// strings escaped as before) on random objects, with keys drawn to hit the cases where UTF-8
/// and UTF-16 order differ (characters above U+FFFF against U+E000–U+FFFF).
struct JSONWriterTests {
    static let alphabet: [String] = ["a", "b", "z", "A", "_", "é", "ß", "\u{E000}", "\u{FFFD}", "\u{FF5E}", "😀", "𝒜",
                                     "\u{10FFFF}", "\"", "\\", "\n", "\u{1}", "\u{7F}", "€", " "]

    /// The reference: what `canonical()` was before it wrote bytes.
    static func reference(_ v: JSONValue) -> String {
        switch v {
        case .array(let items): return "[" + items.map(reference).joined(separator: ",") + "]"
        case .object(let members):
            let sorted = members.sorted { $0.0.utf16.lexicographicallyPrecedes($1.0.utf16) }
            return "{" + sorted.map { quote($0.0) + ":" + reference($0.1) }.joined(separator: ",") + "}"
        case .string(let s): return quote(s)
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .number(let d): return "\(d)"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case _ where u.value < 0x20 || u.value == 0x7F: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    func randomValue(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
        func key() -> String { (0..<Int(rng.next() % 4)).map { _ in rng.pick(Self.alphabet) }.joined() }
        switch depth <= 0 ? rng.next() % 4 : rng.next() % 6 {
        case 0: return .string(key())
        case 1: return .int(Int(truncatingIfNeeded: rng.next() >> 40) - (1 << 23))
        case 2: return rng.next() % 2 == 0 ? .null : .bool(rng.next() % 2 == 0)
        case 3: return .number(Decimal(string: "\(rng.next() % 100000).\(rng.next() % 1000)")!)
        case 4: return .array((0..<Int(rng.next() % 4)).map { _ in randomValue(&rng, depth: depth - 1) })
        default: return .object(JSONObject((0..<Int(rng.next() % 6)).map { _ in (key(), randomValue(&rng, depth: depth - 1)) }))
        }
    }

    @Test func canonicalBytesMatchTheDefinition() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<3_000 {
            let value = randomValue(&rng, depth: 4)
            #expect(value.canonical() == Self.reference(value))
            #expect(value.canonicalBytes() == Array(Self.reference(value).utf8))
        }
    }

    @Test func keyOrderIsUTF16Order() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let a = (0..<Int(rng.next() % 4)).map { _ in rng.pick(Self.alphabet) }.joined()
            let b = (0..<Int(rng.next() % 4)).map { _ in rng.pick(Self.alphabet) }.joined()
            #expect(JSONWriter.precedes(a, b) == a.utf16.lexicographicallyPrecedes(b.utf16), "\(a.debugDescription) vs \(b.debugDescription)")
        }
    }

    @Test func renderKeepsKeyOrderAndEqualityIsByCanonicalForm() {
        let v = JSONValue.object([("b", .int(1)), ("a", .array([.string("x\"y"), .null]))])
        #expect(v.render() == #"{"b":1,"a":["x\"y",null]}"#)
        #expect(v.canonical() == #"{"a":["x\"y",null],"b":1}"#)
        #expect(JSONValue.int(1) == .number(1))
        // Equal exactly when the canonical forms are, as the hash is: canonically equivalent
        // but differently encoded strings are different values.
        #expect(JSONValue.string("\u{E9}") != .string("e\u{301}"))
        #expect(JSONValue.object([("\u{E9}", .null)]) != .object([("e\u{301}", .null)]))
        #expect(Set([JSONValue.string("\u{E9}"), .string("e\u{301}")]).count == 2)
        // The members of an object have no order: the same members in another order are the
        // same value, with the same hash.
        let reordered = JSONValue.object([("a", .array([.string("x\"y"), .null])), ("b", .int(1))])
        #expect(v == reordered)
        #expect(Set([v, reordered]).count == 1)
        #expect(v != .object([("a", .array([.null, .string("x\"y")])), ("b", .int(1))]))
    }
}
