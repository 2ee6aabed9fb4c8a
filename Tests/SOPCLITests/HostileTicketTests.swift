import Foundation
import Testing

/// Issue 32: hostile ticket schemas and tickets through the binary — each answered quickly, with
/// a clear message and the documented exit code, never a crash, a hang or changed data.
@Suite struct HostileTicketTests {
    static let oneState = """
        sop: one
        version: 1
        title: One
        start: done
        states:
          done: {title: Done, end: done}

        """

    func folder(schema: String) throws -> URL {
        let dir = try SOPBinary.temporaryDirectory(ticketSchema: false)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sops"), withIntermediateDirectories: true)
        try Self.oneState.write(to: dir.appendingPathComponent("sops/one.sop.yaml"), atomically: true, encoding: .utf8)
        try schema.write(to: dir.appendingPathComponent("schemas/ticket.schema.json"), atomically: true, encoding: .utf8)
        return dir
    }

    /// Item 21: a chain of 600 references crashed `lint` and `start` (exit 139).
    @Test func aLongReferenceChainIsNoCrash() throws {
        let defs = (0..<600).map { ##""d\##($0)": {"$ref": "#/$defs/d\##($0 + 1)"}"## } + [#""d600": {"type": "string"}"#]
        let dir = try folder(schema: #"{"$defs": {"# + defs.joined(separator: ", ") + ##"}, "properties": {"id": {"$ref": "#/$defs/d0"}}}"##)
        let lint = try SOPBinary.run(["lint", "sops"], in: dir)
        #expect(lint.status == 0 && !lint.terminatedBySignal, "\(lint.stdout)\(lint.stderr)")
        let start = try SOPBinary.run(["start", "one", "--ticket", #"{"id": 5}"#], in: dir)
        #expect(start.status == 1 && !start.terminatedBySignal)
        #expect(start.stderr == "error: rejected: the ticket does not fit the ticket schema\n  - ticket.id: expected string, found the number 5\n")
    }

    /// Item 22: a 2 KB schema whose definitions each refer to the next one twice ran for minutes.
    @Test func aReferenceBombIsReadAtOnce() throws {
        let defs = (0..<24).map { ##""l\##($0)": {"type": "object", "properties": {"a": {"$ref": "#/$defs/l\##($0 + 1)"}, "b": {"$ref": "#/$defs/l\##($0 + 1)"}}}"## }
            + [#""l24": {"type": "integer"}"#]
        let dir = try folder(schema: #"{"$defs": {"# + defs.joined(separator: ", ") + ##"}, "$ref": "#/$defs/l0"}"##)
        let start = try SOPBinary.run(["start", "one", "--ticket", #"{"a": {"b": "x"}}"#], in: dir, timeout: 10)
        #expect(start.seconds < 5, "took \(start.seconds) s")
        #expect(start.stderr == "error: rejected: the ticket does not fit the ticket schema\n  - ticket.a.b: expected object, found the string 'x'\n")
    }

    /// Item 23: `(a+)+$` against 22 characters ran for more than 25 s, in a ticket schema and in
    /// an SOP input's pattern.
    @Test func nestedQuantifiersAreAnsweredAtOnce() throws {
        let dir = try folder(schema: #"{"properties": {"id": {"pattern": "(a+)+$"}}}"#)
        try """
            sop: ask
            version: 1
            title: Ask
            start: asking
            states:
              asking:
                title: Asking
                inputs:
                  code: {type: string, pattern: '^(a+)+$'}
                transitions:
                  - {to: done, on: answer}
              done: {title: Done, end: done}

            """.write(to: dir.appendingPathComponent("sops/ask.sop.yaml"), atomically: true, encoding: .utf8)
        let hostile = String(repeating: "a", count: 22) + "!"
        let start = try SOPBinary.run(["start", "one", "--ticket", #"{"id": "\#(hostile)"}"#], in: dir, timeout: 10)
        #expect(start.seconds < 5, "took \(start.seconds) s")
        #expect(start.stderr.contains("ticket.id: '\(hostile)' does not match the pattern (a+)+$"))
        let ask = try SOPBinary.run(["start", "ask", "--ticket", #"{"id": "aaa"}"#, "--id", "r1"], in: dir)
        #expect(ask.status == 0, "\(ask.stderr)")
        let step = try SOPBinary.run(["step", "r1", "--event", "answer", "--input", "code=\(hostile)"], in: dir, timeout: 10)
        #expect(step.seconds < 5, "took \(step.seconds) s")
        #expect(step.status == 1)
        #expect(step.stderr.contains("input 'code' must match the pattern ^(a+)+$, found '\(hostile)'"), "\(step.stderr)")
    }

    /// Item 26: invalid UTF-8 was stored as U+FFFD. A ticket file, a key, a JSON Lines line and a
    /// schema file holding it are refused (exit 2, or the line fails) with where the byte is.
    @Test func invalidUTF8IsRefusedNotReplaced() throws {
        let dir = try folder(schema: #"{"type": "object"}"#)
        func bytes(_ parts: [String], with bad: [UInt8], _ rest: String) -> Data {
            Data(Array(parts.joined().utf8) + bad + Array(rest.utf8))
        }
        try bytes([#"{"id": "T-"#], with: [0xFF], #"1"}"#).write(to: dir.appendingPathComponent("value.json"))
        try bytes([#"{"i"#], with: [0xC3], #"d": "T-1"}"#).write(to: dir.appendingPathComponent("key.json"))
        try bytes([#"{"id": "T-2"}"#, "\n", #"{"id": "T-"#], with: [0xED, 0xA0, 0x80], "\"}\n").write(to: dir.appendingPathComponent("bulk.jsonl"))
        let value = try SOPBinary.run(["start", "one", "--ticket", "value.json"], in: dir)
        #expect(value.status == 2)
        #expect(value.stderr == "error: value.json:1:11: the ticket is not valid JSON: invalid UTF-8: the byte 0xFF does not start a well-formed UTF-8 sequence here\n")
        let key = try SOPBinary.run(["start", "one", "--ticket", "key.json"], in: dir)
        #expect(key.status == 2)
        #expect(key.stderr == "error: key.json:1:4: the ticket is not valid JSON: invalid UTF-8: the byte 0xC3 does not start a well-formed UTF-8 sequence here\n")
        let bulk = try SOPBinary.run(["start", "one", "--tickets", "bulk.jsonl"], in: dir)
        #expect(bulk.status == 1)
        #expect(bulk.stdout == "started 1 runs, 1 lines failed\n")
        #expect(bulk.stderr == "bulk.jsonl:2: not valid JSON: invalid UTF-8: the byte 0xED does not start a well-formed UTF-8 sequence here\n")
        try bytes([#"{"properties": {"n"#], with: [0xFF], #"": {}}}"#).write(to: dir.appendingPathComponent("schemas/ticket.schema.json"))
        let schema = try SOPBinary.run(["start", "one", "--ticket", #"{"id": "T-3"}"#], in: dir)
        #expect(schema.status == 2)
        #expect(schema.stderr.contains("not valid JSON: invalid UTF-8: the byte 0xFF"), "\(schema.stderr)")
        #expect(schema.stderr.contains("[ticket-schema-syntax]"), "\(schema.stderr)")
    }

    /// Item 25: tickets had no size cap (50 MB, 2.9 million keys: 40 s and 1.2 GB). Over 1 MiB a
    /// ticket, a patch or a JSON Lines line is refused before it is parsed; `--max-ticket-size`
    /// raises the limit.
    @Test func ticketsAreCapped() throws {
        let dir = try folder(schema: #"{"type": "object"}"#)
        let keys = (0..<90_000).map { #""k\#($0)": \#($0)"# }.joined(separator: ",")
        let big = "{" + #""id": "T-1","# + keys + "}"
        try big.write(to: dir.appendingPathComponent("big.json"), atomically: true, encoding: .utf8)
        try (#"{"id": "T-2"}"# + "\n" + big + "\n").write(to: dir.appendingPathComponent("bulk.jsonl"), atomically: true, encoding: .utf8)
        let size = big.utf8.count
        #expect(size > 1 << 20)
        let refused = try SOPBinary.run(["start", "one", "--ticket", "big.json", "--id", "r1"], in: dir)
        #expect(refused.status == 2)
        #expect(refused.stderr == "error: big.json: the ticket is \(size) bytes, larger than the limit of 1048576 bytes (1 MiB); "
                + "raise it with --max-ticket-size if a ticket this large is intended\n")
        let bulk = try SOPBinary.run(["start", "one", "--tickets", "bulk.jsonl"], in: dir)
        #expect(bulk.status == 1)
        #expect(bulk.stderr == "bulk.jsonl:2: the ticket is \(size) bytes, larger than the limit of 1048576 bytes (1 MiB); "
                + "raise it with --max-ticket-size if a ticket this large is intended\n")
        let patch = try SOPBinary.run(["update", "r-none", "--ticket", "big.json", "--max-ticket-size", "1000"], in: dir)
        #expect(patch.status == 2)
        #expect(patch.stderr == "error: big.json: the ticket patch is \(size) bytes, larger than the limit of 1000 bytes; "
                + "raise it with --max-ticket-size if a ticket this large is intended\n")
        let raised = try SOPBinary.run(["start", "one", "--ticket", "big.json", "--id", "r1", "--max-ticket-size", "4000000"], in: dir)
        #expect(raised.status == 0, "\(raised.stderr)")
        let zero = try SOPBinary.run(["start", "one", "--ticket", "big.json", "--max-ticket-size", "0"], in: dir)
        #expect(zero.status == 2)
        #expect(zero.stderr.contains("--max-ticket-size must be a positive number of bytes"))
    }
}
