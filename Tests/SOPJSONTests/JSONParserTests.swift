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
        ("{\"a\": 1,}", "1:8: a comma after the last member of an object"),
        ("{a: 1}", "1:2: expected a key in double quotes, found a"),
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

    /// Issue 37: a mistake is reported where it was made, not where the parser noticed it (the
    /// next line), with what to do about it.
    @Test(arguments: [
        ("{\n  \"a\": 1,\n}", "2:9", "remove the comma after the last member"),
        ("[\n  1,\n  2,\n]", "3:4", "remove the comma after the last item"),
        ("{\n  \"a\": 1\n  \"b\": 2\n}", "2:9", "add a comma after this member"),
        ("[\n  1\n  2\n]", "2:4", "add a comma after this item"),
        ("{\n  \"a\": \"x\n}", "2:10", "add the closing double quote; a line break inside a string is written \\n"),
        ("{\"a\" 1}", "1:6", "put ':' between the key and its value: \"a\": VALUE"),
        ("{'a': 1}", "1:2", "write \"…\" instead of '…'"),
        ("{\"a\": 1 // note\n}", "1:9", "remove the comment; a schema can say it in \"description\""),
        ("{\"a\": 1 2}", "1:9", "separate members with ',' and close the object with '}'"),
        ("// note\n{}", "1:1", "remove the comment; a schema can say it in \"description\""),
    ])
    func mistakesAreReportedWhereTheyAreMadeWithAHelp(text: String, position: String, help: String) {
        do {
            _ = try JSONParser.parse(text)
            Issue.record("accepted")
        } catch {
            #expect("\(error.position)" == position)
            #expect(error.help == help)
        }
    }

    /// Bytes that are not UTF-8, in a value or a key, are refused at the first bad byte, never
    /// read as U+FFFD; every well-formed sequence (2, 3 and 4 bytes) is kept.
    @Test(arguments: [
        ([0xFF], "1:11"),                    // never in UTF-8
        ([0xC3], "1:11"),                    // a lead byte without its continuation
        ([0x80], "1:11"),                    // a lone continuation byte
        ([0xC0, 0xAF], "1:11"),              // overlong '/'
        ([0xED, 0xA0, 0x80], "1:11"),        // a UTF-16 surrogate
        ([0xF4, 0x90, 0x80, 0x80], "1:11"),  // above U+10FFFF
        ([0x61, 0xE2, 0x82], "1:12"),        // cut short
    ] as [([UInt8], String)])
    func invalidUTF8IsRefusedWhereItStarts(_ bad: [UInt8], _ position: String) throws {
        for text in [Array(#"{"name": ""#.utf8) + bad + Array(#""}"#.utf8), Array(#"{"a": 1, ""#.utf8) + bad + Array(#"": 2}"#.utf8)] {
            do {
                let value = try JSONParser.parse(text)
                Issue.record("accepted as \(value.render())")
            } catch {
                #expect(error.message.hasPrefix("invalid UTF-8: the byte"))
                #expect(error.kind == .syntax)
            }
        }
        do {
            _ = try JSONParser.parse(Array(#"{"name": ""#.utf8) + bad + Array(#""}"#.utf8))
        } catch {
            #expect("\(error.position)" == position)
        }
        let good = try JSONParser.parse(Array("[\"é€😀\"]".utf8))
        #expect(good == .array([.string("é€😀")]))
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

    /// A number is kept exactly or refused, as valid JSON sopkit does not keep — never rounded
    /// (Decimal keeps 38 significant digits) and never called invalid JSON.
    @Test(arguments: ["1e308", "1e128", "-2.5e-200", "123456789012345678901234567890123456789012345678901",
                      "1.00000000000000000000000000000000000000000000001"])
    func numbersThatCannotBeKeptExactlyAreRefusedAsSuch(_ number: String) {
        do {
            _ = try JSONParser.parse(#"{"amount": "# + number + "}")
            Issue.record("\(number) was accepted")
        } catch {
            #expect(error.kind == .numberNotKept)
            #expect(error.position == JSONPosition(line: 1, column: 12))
            #expect(error.problem("ticket") == "the ticket cannot be read: the number \(number) cannot be kept exactly: sopkit keeps up "
                        + "to 38 significant digits, written with an exponent from -128 to 127")
        }
    }

    @Test func numbersAtTheEdgesAreKept() throws {
        #expect(try JSONParser.parse("0e999") == .number(0))
        #expect(try JSONParser.parse("-0.000e-400") == .number(0))
        #expect(try JSONParser.parse("1e127").render() == "1" + String(repeating: "0", count: 127))
        let digits38 = "1234567890123456789012345678901234567.8"
        #expect(try JSONParser.parse(digits38).render() == digits38)
        #expect(try JSONParser.parse("12345678901234567890").render() == "12345678901234567890")
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse("1e") }
    }

    @Test func deepNestingIsAnError() {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(String(repeating: "[", count: 100_000)) }
    }

    @Test func recordsPositionsByPointer() throws {
        var parser = JSONParser(Array("{\n  \"properties\": {\n    \"email\": {\"pattern\": \"x\"}\n  }\n}".utf8), recordPositions: true)
        _ = try parser.parseDocument()
        #expect(parser.positions["/properties/email/pattern"] == JSONPosition(line: 3, column: 26))
    }

    /// Recording positions on a long one-line document (a ticket schema of 20,000 properties, as
    /// the `shapes` fuzz target builds) is linear: columns are counted on from the last one, and
    /// count code points after multi-byte characters.
    @Test func recordingPositionsOnOneLongLineIsLinear() throws {
        let members = (0..<20_000).map { #""é\#($0)": {"type": "integer"}"# }.joined(separator: ", ")
        let text = #"{"properties": {"# + members + "}}"
        var parser = JSONParser(Array(text.utf8), recordPositions: true)
        let clock = ContinuousClock()
        let elapsed = try clock.measure { _ = try parser.parseDocument() }
        #expect(elapsed < .seconds(3), "took \(elapsed)")
        let last = "/properties/é19999/type"
        let prefix = text[..<text.range(of: #""é19999": {"#)!.upperBound]
        #expect(parser.keyPositions[last] == JSONPosition(line: 1, column: prefix.unicodeScalars.count + 1))
        #expect(parser.positions["/properties/é0"] == JSONPosition(line: 1, column: 23))
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
