import Foundation
import Testing
import TestSupport
@testable import SOPJSON

/// `JSONScanner` reads what `JSONParser` reads: on any text the parser accepts, walking it with
/// the scanner sees the same keys, strings and integers, in order; on broken structure it throws.
struct JSONScannerTests {
    /// What the scanner reads of a value: strings and integers (those that fit an Int) as
    /// themselves, other scalars only as present, lists and objects item by item.
    indirect enum Seen: Equatable {
        case string(String), int(Int), other
        case list([Seen])
        case object([Member])
    }

    struct Member: Equatable {
        var key: String
        var value: Seen
    }

    static func seen(_ v: JSONValue) -> Seen {
        switch v {
        case .string(let s): return .string(s)
        case .int(let n): return .int(n)
        case .array(let items): return .list(items.map(seen))
        case .object(let members): return .object(members.map { Member(key: $0.key, value: seen($0.value)) })
        default: return .other
        }
    }

    /// The scanner's reading of the next value.
    static func seen(_ s: inout JSONScanner) throws -> Seen {
        if s.atObject() {
            try s.beginObject()
            var members: [Member] = []
            while let raw = try s.nextKey() {
                // Keys come as written: decode the escaped ones as a JSON string.
                let text = "\"" + String(decoding: raw, as: UTF8.self) + "\""
                guard case .string(let key) = try JSONParser.parse(text) else { throw JSONScanner.Failure(offset: s.offset, message: "key") }
                members.append(Member(key: key, value: try seen(&s)))
            }
            return .object(members)
        }
        if s.atArray() {
            try s.beginArray()
            var items: [Seen] = []
            while try s.nextElement() { items.append(try seen(&s)) }
            return .list(items)
        }
        var probe = s
        if let string = try probe.stringOrSkip() {
            s = probe
            return .string(string)
        }
        probe = s
        if let n = try probe.intOrSkip() {
            s = probe
            return .int(n)
        }
        try s.skip()
        return .other
    }

    static func scan(_ text: String) throws -> Seen {
        try Array(text.utf8).withUnsafeBufferPointer { bytes in
            var s = JSONScanner(bytes)
            let value = try seen(&s)
            try s.end()
            return value
        }
    }

    /// Skips the whole text as one value.
    static func skipAll(_ text: [UInt8]) throws {
        try text.withUnsafeBufferPointer { bytes in
            var s = JSONScanner(bytes)
            try s.skip()
            try s.end()
        }
    }

    @Test func readsWhatTheParserReadsOnRandomValues() throws {
        var rng = SplitMix64(seed: 23)
        for _ in 0..<3_000 {
            let value = JSONWriterTests().randomValue(&rng, depth: 4)
            for text in [value.render(), value.canonical()] {
                let parsed = try JSONParser.parse(text)
                #expect(try Self.scan(text) == Self.seen(parsed), "\(text)")
                try Self.skipAll(Array(text.utf8))
            }
        }
    }

    @Test(arguments: [
        #" { "a" : [ 1 , -2 , 3.5e2 , true , null ] , "b\"c" : { } , "d" : "x\u00e9\n" } "#,
        "[\n\t{\"k\": false},\r\n []\n]",
        #"{"n": 9223372036854775807, "m": -9223372036854775808, "big": 9223372036854775808, "z": -0, "f": 1.0, "e": 1e3}"#,
        #""\ud83d\ude00 \\ \/ \b\f\r\t""#,
    ])
    func readsWhatTheParserReadsWithWhitespaceEscapesAndEdgeNumbers(text: String) throws {
        #expect(try Self.scan(text) == Self.seen(try JSONParser.parse(text)))
    }

    @Test(arguments: [
        #"{"a" 1}"#, #"{"a": 1 "b": 2}"#, "[1 2]", #"{"a": 1,}"#, "[1,]", "{", "[", #"{"a": "#, #""abc"#, "tru", "nul",
        #"{"a": 1}}"#, "[1] x", "{1: 2}", "\"a\u{1}b\"", "", "-", "}",
    ])
    func brokenStructureThrows(text: String) {
        #expect(throws: JSONScanner.Failure.self) { try Self.scan(text) }
    }

    /// Every cut of a list or object's text ends inside it: the scanner says so, never traps.
    @Test func truncatedTextsThrow() throws {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<300 {
            let text = Array(JSONValue.array([JSONWriterTests().randomValue(&rng, depth: 3)]).render().utf8)
            for cut in 0..<text.count {
                #expect(throws: JSONScanner.Failure.self) { try Self.skipAll(Array(text[..<cut])) }
            }
        }
    }

    /// Strings are read eight bytes at a time: a quote, backslash, control character or non-ASCII
    /// byte at every position of strings of every length up to 40 is found where it is.
    @Test func specialBytesAtEveryPosition() throws {
        for length in 1...40 {
            for at in 0..<length {
                for special in ["\\\"", "\\\\", "\\n", "\\u0001", "é", "😀"] {
                    let body = String(repeating: "a", count: at) + special + String(repeating: "b", count: length - at - 1)
                    let text = "[\"" + body + "\", \"" + body + "\"]"
                    #expect(try Self.scan(text) == Self.seen(try JSONParser.parse(text)), "\(text)")
                }
                // A raw control character is refused wherever it is.
                let raw = "\"" + String(repeating: "a", count: at) + "\u{1}" + String(repeating: "b", count: length - at - 1) + "\""
                #expect(throws: JSONScanner.Failure.self) { try Self.skipAll(Array(raw.utf8)) }
            }
        }
    }

    @Test func randomBytesNeverTrap() {
        var rng = SplitMix64(seed: 11)
        let alphabet = Array("{}[]\",:0123456789.eE-+truefalsenull \\u\u{1}".utf8)
        var scanned = 0, refused = 0
        for _ in 0..<5_000 {
            let bytes = (0..<Int(rng.next() % 64)).map { _ in rng.pick(alphabet) }
            if (try? Self.scan(String(decoding: bytes, as: UTF8.self))) != nil { scanned += 1 } else { refused += 1 }
            _ = try? Self.skipAll(bytes)
        }
        // The inputs reach both outcomes, so the loop exercises more than the first error path.
        #expect(scanned > 0 && refused > 0, "scanned \(scanned), refused \(refused)")
    }

    @Test func keysAreComparedAsWritten() throws {
        try Array(#"{"run": 1, "r\u0075n": 2}"#.utf8).withUnsafeBufferPointer { bytes in
            var s = JSONScanner(bytes)
            try s.beginObject()
            var matches: [Int?] = []
            while let key = try s.nextKey() {
                if JSONScanner.equal(key, "run") {
                    matches.append(try s.intOrSkip())
                } else {
                    try s.skip()
                    matches.append(nil)
                }
            }
            #expect(matches == [1, nil])
        }
        // A one-character literal (no pointer representation) compares too.
        try Array(#"{"a": 1}"#.utf8).withUnsafeBufferPointer { bytes in
            var s = JSONScanner(bytes)
            try s.beginObject()
            let key = try #require(try s.nextKey())
            #expect(JSONScanner.equal(key, "a") && !JSONScanner.equal(key, "b"))
        }
    }
}
