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
}
