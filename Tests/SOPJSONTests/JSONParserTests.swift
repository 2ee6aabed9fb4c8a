import Foundation
import Testing
@testable import SOPJSON

struct JSONParserTests {
    @Test func parsesAndKeepsOrderAndExactNumbers() throws {
        let value = try JSONParser.parse(#"{"b": 1, "a": [true, null, 19.99, -0.5e1, "x\u00e9\n"], "c": {}}"#)
        #expect(value.render() == #"{"b":1,"a":[true,null,19.99,-5,"xé\n"],"c":{}}"#)
        #expect(value.canonical() == #"{"a":[true,null,19.99,-5,"xé\n"],"b":1,"c":{}}"#)
        #expect(value["b"] == .int(1))
    }

    @Test(arguments: [
        ("", "1:1: the text ends where a value was expected"),
        ("{\"a\": 1,}", "1:9: expected a key in double quotes"),
        ("{\"a\": 1, \"a\": 2}", "1:10: key \"a\" appears twice in one object"),
        ("[1 2]", "1:4: expected ',' or ']' in an array"),
        ("{\n  \"a\": tru\n}", "2:8: unexpected word; expected true"),
        ("01", "1:2: numbers cannot have leading zeros"),
        ("\"abc", "1:5: the text ends inside a string"),
        ("[1] x", "1:5: unexpected text after the JSON value"),
        ("\"\\x\"", "1:4: unknown escape '\\x'"),
    ])
    func errorsSayWhereAndWhat(text: String, expected: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(text) }
        do {
            _ = try JSONParser.parse(text)
        } catch {
            #expect(error.description == expected)
        }
    }

    /// A key repeated in a large object is found through its index, at the repeated key; keys
    /// spelt alike but with different bytes (a precomposed and a decomposed é) are two keys, as
    /// in `JSONObject`, in small objects and large ones.
    @Test func repeatedKeysAreFoundInLargeObjectsAndBytesDecide() throws {
        let many = (0..<40).map { "\"k\($0)\": \($0)" }
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse("{" + (many + ["\"k7\": 0"]).joined(separator: ", ") + "}") }
        let large = try JSONParser.parse("{" + many.joined(separator: ", ") + "}")
        #expect(large["k39"] == .int(39) && large["k0"] == .int(0))
        for members in [[String](), many] {
            let text = "{" + (members + ["\"\u{E9}\": 1", "\"e\u{301}\": 2"]).joined(separator: ", ") + "}"
            guard case .object(let object) = try JSONParser.parse(text) else { Issue.record("not an object"); continue }
            #expect(object.count == members.count + 2)
            #expect(object["\u{E9}"] == .int(1) && object["e\u{301}"] == .int(2))
        }
    }

    @Test func deepNestingIsAnError() {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(String(repeating: "[", count: 100_000)) }
    }

    @Test func recordsPositionsByPointer() throws {
        var parser = JSONParser(Array("{\n  \"properties\": {\n    \"email\": {\"pattern\": \"x\"}\n  }\n}".utf8), recordPositions: true)
        _ = try parser.parseDocument()
        #expect(parser.positions["/properties/email/pattern"] == JSONPosition(line: 3, column: 26))
    }

    @Test func randomBytesNeverTrap() {
        var state: UInt64 = 1
        let alphabet = Array("{}[]\",:0123456789.eE-+truefalsenull \\u".utf8)
        for _ in 0..<3_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(state % 64) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            _ = try? JSONParser.parse(bytes)
        }
    }
}
