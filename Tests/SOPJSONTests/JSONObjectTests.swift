import Foundation
import SOPJSON
import Testing
import TestSupport

/// A JSON object holds each key once, however it is built.
@Suite struct JSONObjectTests {
    @Test func aKeyGivenAgainReplacesItsValueInPlace() {
        let literal: JSONObject = [("a", .int(1)), ("b", .int(2)), ("a", .int(3))]
        #expect(JSONValue.object(literal).render() == #"{"a":3,"b":2}"#)
        var built = JSONObject([("x", .null), ("y", .bool(true))])
        built["x"] = .string("set")
        built["z"] = .int(0)
        built["y"] = nil
        #expect(JSONValue.object(built).render() == #"{"x":"set","z":0}"#)
        #expect(built["x"] == .string("set") && built["y"] == nil && built.count == 2)
    }

    /// Against a plain model (an array of pairs with replace-or-append), over random edits of
    /// objects small and large (the large ones keep an index).
    @Test func randomEditsMatchAModelAndNeverRepeatAKey() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<300 {
            var object = JSONObject()
            var model: [(String, Int)] = []
            for _ in 0..<Int(rng.next() % 60) {
                let key = "k\(rng.next() % 30)"
                let value = Int(rng.next() % 100)
                if rng.next() % 5 == 0 {
                    object[key] = nil
                    model.removeAll { $0.0 == key }
                } else {
                    object[key] = .int(value)
                    if let i = model.firstIndex(where: { $0.0 == key }) { model[i].1 = value } else { model.append((key, value)) }
                }
            }
            #expect(object.map(\.key) == model.map(\.0))
            #expect(object.map(\.value) == model.map { .int($0.1) })
            #expect(Set(object.map(\.key)).count == object.count)
            let text = JSONValue.object(object).render()
            #expect(try JSONParser.parse(text) == .object(object))
        }
    }

    /// Equality and the hash ignore the order of an object's members at every depth, and agree
    /// with the canonical form: two random values are equal exactly when their canonical bytes
    /// are, and a value with its members shuffled (small objects and indexed large ones) is equal
    /// to it with the same hash.
    @Test func equalityAndHashIgnoreMemberOrderAndAgreeWithTheCanonicalForm() {
        var rng = SplitMix64(seed: 11)
        func value(_ depth: Int) -> JSONValue {
            switch rng.next() % (depth > 3 ? 4 : 7) {
            case 0: return .null
            case 1: return .int(Int(rng.next() % 3))
            case 2: return .string(["a", "b", "\u{E9}", "e\u{301}"][Int(rng.next() % 4)])
            case 3: return rng.next() % 2 == 0 ? .bool(true) : .number(Decimal(Int(rng.next() % 3)) / 2)
            case 4, 5:
                let count = rng.next() % 10 == 0 ? 40 + Int(rng.next() % 10) : Int(rng.next() % 4)
                return .object(JSONObject((0..<count).map { _ in ("k\(rng.next() % UInt64(max(count, 3)))", value(depth + 1)) }))
            default: return .array((0..<Int(rng.next() % 3)).map { _ in value(depth + 1) })
            }
        }
        func shuffled(_ v: JSONValue) -> JSONValue {
            switch v {
            case .object(let members):
                var pairs = members.map { ($0.key, shuffled($0.value)) }
                for i in stride(from: pairs.count - 1, to: 0, by: -1) { pairs.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
                return .object(JSONObject(pairs))
            case .array(let items): return .array(items.map(shuffled))
            default: return v
            }
        }
        var equalPairs = 0
        for _ in 0..<3000 {
            let a = value(0), b = value(0), c = shuffled(a)
            #expect(a == c && a.hashValue == c.hashValue && a.canonical() == c.canonical())
            #expect((a == b) == (a.canonicalBytes() == b.canonicalBytes()), "\(a.render()) vs \(b.render())")
            if a == b {
                equalPairs += 1
                #expect(a.hashValue == b.hashValue)
            }
        }
        #expect(equalPairs > 50)  // the generator draws equal pairs often enough to test them
    }
}
