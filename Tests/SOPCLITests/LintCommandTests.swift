import Foundation
import Testing

private let validSOP = """
    sop: demo
    version: 1
    title: Demo
    start: a
    states:
      a:
        title: A
        transitions:
          - to: b
            on: go
      b:
        title: B
        end: done

    """

/// `sop lint` end to end: whole outputs and exit codes of the built binary.
@Suite struct LintCommandTests {
    @Test func cleanFileExitsZero() throws {
        let dir = try SOPBinary.temporaryDirectory()
        try validSOP.write(to: dir.appendingPathComponent("demo.sop.yaml"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["lint", "demo.sop.yaml"], in: dir)
        #expect(r.status == 0)
        #expect(r.stdout == "no problems in 1 file\n")
    }

    @Test func folderDefaultsToSopsAndFindsSOPAndTestFiles() throws {
        let dir = try SOPBinary.temporaryDirectory()
        let sops = dir.appendingPathComponent("sops/nested")
        try FileManager.default.createDirectory(at: sops, withIntermediateDirectories: true)
        try validSOP.write(to: sops.appendingPathComponent("demo.sop.yaml"), atomically: true, encoding: .utf8)
        try "sop: demo\ncases: []\n".write(to: sops.appendingPathComponent("demo.test.yaml"), atomically: true, encoding: .utf8)
        try "not: linted\n".write(to: sops.appendingPathComponent("notes.yaml"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["lint"], in: dir)
        #expect(r.status == 0)
        #expect(r.stdout == "no problems in 2 files\n")
    }

    @Test func errorsGiveHumanOutputAndExitOne() throws {
        let dir = try SOPBinary.temporaryDirectory()
        try validSOP.replacingOccurrences(of: "- to: b", with: "- to: bb")
            .write(to: dir.appendingPathComponent("demo.sop.yaml"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["lint", "demo.sop.yaml"], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout == """
            demo.sop.yaml:9:13: error: transition target 'bb' is not a state of this SOP [unknown-state]
             9 |       - to: bb
               |             ^~
              help: did you mean 'b'?
            1 error, 0 warnings in 1 file

            """)
    }

    @Test func jsonFormatIsTheCLIContractShape() throws {
        let dir = try SOPBinary.temporaryDirectory()
        try validSOP.replacingOccurrences(of: "version: 1", with: "version: two")
            .write(to: dir.appendingPathComponent("demo.sop.yaml"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["lint", "--format", "json", "demo.sop.yaml"], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout == """
            [{"file":"demo.sop.yaml","line":2,"column":10,"end_line":2,"end_column":13,"severity":"error","rule":"wrong-type","message":"version must be an integer, found the string 'two'","help":"write a whole number such as 1"}]

            """)
        let parsed = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]
        #expect(parsed?.count == 1)
    }

    @Test func jsonOfACleanRunIsAnEmptyArray() throws {
        let dir = try SOPBinary.temporaryDirectory()
        try validSOP.write(to: dir.appendingPathComponent("demo.sop.yaml"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["lint", "--format", "json", "demo.sop.yaml"], in: dir)
        #expect(r.status == 0)
        #expect(r.stdout == "[]\n")
    }

    @Test func withoutATicketSchemaLintWarnsOnce() throws {
        let dir = try SOPBinary.temporaryDirectory(ticketSchema: false)
        try validSOP.write(to: dir.appendingPathComponent("demo.sop.yaml"), atomically: true, encoding: .utf8)
        try validSOP.replacingOccurrences(of: "sop: demo", with: "sop: other")
            .write(to: dir.appendingPathComponent("other.sop.yaml"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["lint", "demo.sop.yaml", "other.sop.yaml"], in: dir)
        #expect(r.status == 0)
        #expect(r.stdout == """
            demo.sop.yaml:1:1: warning: no ticket schema was found, so ticket fields are not checked [no-ticket-schema]
              help: create schemas/ticket.schema.json, or pass --ticket-schema FILE
            0 errors, 1 warning in 2 files

            """)
        let strict = try SOPBinary.run(["lint", "--strict", "demo.sop.yaml"], in: dir)
        #expect(strict.status == 1)
    }

    @Test func ticketSchemaIsUsedForTicketPaths() throws {
        let dir = try SOPBinary.temporaryDirectory()
        try validSOP.replacingOccurrences(of: "on: go", with: "on: go\n        when: ticket.priorty == 'high'")
            .write(to: dir.appendingPathComponent("demo.sop.yaml"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["lint", "--format", "json", "demo.sop.yaml"], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("\"rule\":\"unknown-field\""))
        #expect(r.stdout.contains("did you mean 'priority'?"))
    }

    @Test func unsupportedSchemaKeywordsAreReportedOnTheSchema() throws {
        let dir = try SOPBinary.temporaryDirectory()
        try validSOP.write(to: dir.appendingPathComponent("demo.sop.yaml"), atomically: true, encoding: .utf8)
        try #"{"type": "object", "properties": {"email": {"type": "string", "oneOf": []}}}"#
            .write(to: dir.appendingPathComponent("schemas/ticket.schema.json"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["lint", "demo.sop.yaml"], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout.hasPrefix("schemas/ticket.schema.json:1:63: error: unsupported JSON Schema keyword 'oneOf' at '/properties/email/oneOf'"))
    }

    /// Issue 37: a ticket schema that is not JSON is a finding of lint (rule, place of the
    /// mistake, source line, help; exit 1), and every other command that reads it prints the same
    /// diagnostic (exit 2). A schema that cannot be read at all is still exit 2.
    @Test func brokenTicketSchemaIsADiagnosticEverywhere() throws {
        let dir = try SOPBinary.temporaryDirectory()
        try validSOP.write(to: dir.appendingPathComponent("demo.sop.yaml"), atomically: true, encoding: .utf8)
        try "{\n  \"type\": \"object\",\n  \"properties\": {\"id\": {\"type\": \"string\"},}\n}\n"
            .write(to: dir.appendingPathComponent("schemas/ticket.schema.json"), atomically: true, encoding: .utf8)
        let diagnostic = """
            schemas/ticket.schema.json:3:42: error: not valid JSON: a comma after the last member of an object [ticket-schema-syntax]
             3 |   "properties": {"id": {"type": "string"},}
               |                                          ^
              help: remove the comma after the last member

            """
        let r = try SOPBinary.run(["lint", "demo.sop.yaml"], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout == diagnostic + "1 error, 0 warnings in 1 file\n")
        #expect(r.stderr == "")
        for command in [["test", "demo.sop.yaml"], ["start", "demo", "--ticket", #"{"id": "T-1"}"#]] {
            let other = try SOPBinary.run(command, in: dir)
            #expect(other.status == 2, "\(command)")
            #expect(other.stderr == "error: the ticket schema schemas/ticket.schema.json cannot be used\n" + diagnostic, "\(command)")
        }
        let missing = try SOPBinary.run(["lint", "--ticket-schema", "nope.json", "demo.sop.yaml"], in: dir)
        #expect(missing.status == 2)
    }

    @Test func missingPathExitsTwo() throws {
        let r = try SOPBinary.run(["lint", "/nonexistent/x.sop.yaml"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("/nonexistent/x.sop.yaml: no such file or folder"))
    }

    @Test func badUsageExitsTwo() throws {
        let wrongFormat = try SOPBinary.run(["lint", "--format", "xml"])
        #expect(wrongFormat.status == 2)
        #expect(wrongFormat.stderr.contains("'xml' is invalid"))
        let unknownFlag = try SOPBinary.run(["lint", "--frobnicate"])
        #expect(unknownFlag.status == 2)
        let unknownCommand = try SOPBinary.run(["lnit"])
        #expect(unknownCommand.status == 2)
    }

    @Test func helpExitsZero() throws {
        let r = try SOPBinary.run(["lint", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("--format"))
    }

    @Test func unreadableFileExitsTwoAndOthersAreStillLinted() throws {
        // A folder whose name looks like an SOP file cannot be read as one, even by root.
        let dir = try SOPBinary.temporaryDirectory()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sops/broken.sop.yaml"),
                                                withIntermediateDirectories: true)
        try validSOP.replacingOccurrences(of: "version: 1", with: "version: x")
            .write(to: dir.appendingPathComponent("sops/demo.sop.yaml"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["lint", "--format", "json", "sops"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains("sops/broken.sop.yaml: cannot be read"))
        #expect(r.stdout.contains("\"file\":\"sops/demo.sop.yaml\""))
    }

    @Test func maxFileSizeOptionApplies() throws {
        let dir = try SOPBinary.temporaryDirectory()
        try validSOP.write(to: dir.appendingPathComponent("demo.sop.yaml"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["lint", "--max-file-size", "50", "--format", "json", "demo.sop.yaml"], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("\"rule\":\"yaml-limit\""))
        let bad = try SOPBinary.run(["lint", "--max-file-size", "0", "demo.sop.yaml"], in: dir)
        #expect(bad.status == 2)
    }
}

/// Hostile inputs: each gives a diagnostic and exit 1 promptly, never a hang or a crash.
@Suite(.serialized) struct HostileInputTests {
    static let cases: [(name: String, bytes: @Sendable () -> [UInt8], rule: String)] = [
        ("alias-bomb", {
            var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
            for i in 1..<10 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]\n" }
            return Array(text.utf8)
        }, "yaml-limit"),
        ("nested-brackets", { Array(repeating: UInt8(ascii: "["), count: 100_000) }, "yaml-limit"),
        ("nested-braces", { Array(("a: " + String(repeating: "{a: ", count: 100_000)).utf8) }, "yaml-limit"),
        ("nested-block-lists", {
            Array((0..<2_000).map { String(repeating: " ", count: $0) + "-\n" }.joined().utf8)
        }, "yaml-limit"),
        ("invalid-utf8", { Array("sop: x\ntitle: ".utf8) + [0xC3, 0x28, 0xFF, 0xFE] }, "yaml-syntax"),
        ("random-bytes", {
            var rng = SystemRandomNumberGenerator()
            return [0xFF] + (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }, "yaml-syntax"),
        ("nul-byte", { Array("sop: x\u{0}\nversion: 1\n".utf8) }, "yaml-syntax"),
        ("empty-file", { [] }, "missing-key"),
        ("two-documents", { Array("sop: a\n---\nsop: b\n".utf8) }, "yaml-syntax"),
        ("oversized", { Array(repeating: UInt8(ascii: "#"), count: 8 * 1024 * 1024 + 1) }, "yaml-limit"),
        ("long-line", { Array(("title: " + String(repeating: "x", count: 2_000_000)).utf8) }, "missing-key"),
    ]

    @Test(arguments: cases.map(\.name))
    func hostileInputGivesADiagnosticAndExitOne(_ name: String) throws {
        let hostile = try #require(Self.cases.first { $0.name == name })
        let dir = try SOPBinary.temporaryDirectory()
        let file = dir.appendingPathComponent("\(name).sop.yaml")
        try Data(hostile.bytes()).write(to: file)
        let r = try SOPBinary.run(["lint", "--format", "json", file.path], timeout: 10)
        #expect(!r.terminatedBySignal, "sop crashed on \(name)")
        #expect(r.status == 1, "\(name): exit \(r.status), stderr \(r.stderr)")
        #expect(r.stdout.contains("\"rule\":\"\(hostile.rule)\""), "\(name): \(r.stdout.prefix(500))")
        // Not a speed target (benchmarks measure speed): a guard against work that grows faster
        // than the input, such as expanding the alias bomb. Alone, each case takes well under half
        // a second in a debug build; the bound leaves room for a CI machine busy with the other
        // suites (1.5 s has been seen there); a blow-up on inputs this size would take far longer.
        #expect(r.seconds < 5.0, "\(name) took \(r.seconds) s")
    }
}
