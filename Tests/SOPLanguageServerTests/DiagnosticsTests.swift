import Foundation
import SOPCore
import SOPDiagnostics
import SOPJSON
import SOPLanguageServer
import Testing

struct DiagnosticsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repository.appendingPathComponent("Tests/SOPCoreTests/Fixtures/lint")

    /// What a published diagnostic must be for a finding of `sop lint`: its range worked out
    /// here from the line's text (scalars → UTF-16), independently of the server's code.
    static func expected(_ d: Diagnostic, text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func utf16(_ p: SourcePosition) -> (Int, Int) {
            guard p.line - 1 < lines.count else { return (lines.count - 1, lines.last!.utf16.count) }
            let line = lines[p.line - 1]
            let scalars = Array(line.unicodeScalars)
            let prefix = String(String.UnicodeScalarView(scalars.prefix(max(0, p.column - 1))))
            // Past the line's end: the next line's start, or the end of the text on the last line.
            if p.column - 1 > scalars.count { return p.line < lines.count ? (p.line, 0) : (p.line - 1, line.utf16.count) }
            return (p.line - 1, prefix.utf16.count)
        }
        let (l0, c0) = utf16(d.span.start), (l1, c1) = utf16(d.span.end)
        return "\(l0):\(c0)-\(l1):\(c1) \(d.severity == .error ? 1 : 2) \(d.rule.rawValue) \(d.message)\(d.help.map { "\nhelp: \($0)" } ?? "")"
    }

    static func shown(_ published: [JSONValue]) -> [String] {
        published.map { p in
            let r = p["range"]!
            return "\(r["start"]!["line"]!.int!):\(r["start"]!["character"]!.int!)-\(r["end"]!["line"]!.int!):\(r["end"]!["character"]!.int!) "
                + "\(p["severity"]!.int!) \(p["code"]!.string!) \(p["message"]!.string!)"
        }
    }

    /// A workspace holding files (relative path → text) and their findings by `sop lint`.
    static func workspace(_ files: [String: String], schema: String?) throws -> (TestClient, [Diagnostic]) {
        var all = files
        if let schema { all["schemas/ticket.schema.json"] = schema }
        let client = try TestClient(files: all)
        let parsed = try schema.map { try TicketSchema.parse(bytes: Array($0.utf8), path: "schemas/ticket.schema.json") }
        let sources = files.keys.sorted().map { SourceFile(path: $0, text: files[$0]!) }
        return (client, Linter(ticketSchema: parsed).lint(sources: sources).diagnostics.filter { $0.suppression == nil })
    }

    static func compare(_ files: [String: String], schema: String?) throws {
        let (client, findings) = try workspace(files, schema: schema)
        for path in files.keys.sorted() where path.hasSuffix(".yaml") {
            try client.open(path)
            let published = try #require(client.published(path), "nothing published for \(path)")
            #expect(shown(published) == findings.filter { $0.file == path }.map { expected($0, text: files[path]!) }, "\(path)")
            #expect(published.allSatisfy { $0["source"] == .string("sop") })
        }
    }

    @Test func theShippedSOPsGiveWhatSopLintGives() throws {
        var files: [String: String] = [:]
        for path in try Linter.files(in: [Self.repository.appendingPathComponent("sops").path]) {
            files["sops/" + path.components(separatedBy: "/sops/").last!] = try String(contentsOfFile: path, encoding: .utf8)
        }
        try Self.compare(files, schema: try String(contentsOf: Self.repository.appendingPathComponent("schemas/ticket.schema.json"), encoding: .utf8))
    }

    static let errFixtures = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("err").path))?
        .filter { $0.hasSuffix(".sop.yaml") || $0.hasSuffix(".test.yaml") }.sorted() ?? []

    @Test(arguments: errFixtures)
    func eachLintFixtureGivesWhatSopLintGives(name: String) throws {
        let text = try String(decoding: Data(contentsOf: Self.fixtures.appendingPathComponent("err/" + name)), as: UTF8.self)
        guard text.utf8.elementsEqual(try Data(contentsOf: Self.fixtures.appendingPathComponent("err/" + name))) else { return }  // not UTF-8: not an editor's text
        try Self.compare(["sops/" + name: text], schema: try String(contentsOf: Self.fixtures.appendingPathComponent("ticket.schema.json"), encoding: .utf8))
    }

    static let caller = """
        sop: caller
        version: 1
        title: Caller
        start: ask
        states:
          ask:
            title: Ask
            call: helper
            transitions:
              - to: done
          done:
            title: Done
            end: resolved

        """
    static func helper(_ id: String) -> String {
        """
        sop: \(id)
        version: 1
        title: Helper
        start: work
        states:
          work:
            title: Work
            end: resolved

        """
    }

    @Test func aChangeToACalledSOPRechecksItsCaller() throws {
        let client = try TestClient(files: ["sops/caller.sop.yaml": Self.caller, "sops/helper.sop.yaml": Self.helper("helper"), "schemas/ticket.schema.json": "{}"])
        try client.open("sops/caller.sop.yaml")
        try client.open("sops/helper.sop.yaml")
        #expect(client.published("sops/caller.sop.yaml")?.contains { $0["code"] == .string("unknown-sop") } == false)
        // The helper's id changes (unsaved): the caller, open or not, is told at once.
        client.change("sops/helper.sop.yaml", version: 2, [((0, 5, 0, 11), "helpr")])
        let after = try #require(client.published("sops/caller.sop.yaml"))
        #expect(after.contains { $0["code"] == .string("unknown-sop") })
        client.change("sops/helper.sop.yaml", version: 3, [((0, 5, 0, 10), "helper")])
        #expect(client.published("sops/caller.sop.yaml")?.contains { $0["code"] == .string("unknown-sop") } == false)
    }

    @Test func unsavedTextWinsAndChangesAreCoalesced() throws {
        let client = try TestClient(files: ["sops/helper.sop.yaml": Self.helper("helper"), "schemas/ticket.schema.json": "{}"])
        try client.open("sops/helper.sop.yaml")
        let before = client.publications("sops/helper.sop.yaml")
        // Three edits in one batch: linted once, with the last text.
        client.deliver([client.changeMessage("sops/helper.sop.yaml", version: 2, [((6, 11, 6, 15), "Wrk")]),
                        client.changeMessage("sops/helper.sop.yaml", version: 3, [((7, 4, 7, 7), "edn")]),
                        client.changeMessage("sops/helper.sop.yaml", version: 4, [((7, 4, 7, 7), "end")])])
        #expect(client.publications("sops/helper.sop.yaml") == before + 1)
        let last = try #require(client.sent.last { $0["method"] == .string("textDocument/publishDiagnostics") })
        #expect(last["params"]?["version"] == .int(4))
        #expect(client.published("sops/helper.sop.yaml")?.isEmpty == true)
        client.change("sops/helper.sop.yaml", version: 5, [((7, 4, 7, 7), "edn")])
        #expect(client.published("sops/helper.sop.yaml")?.contains { $0["code"] == .string("unknown-key") } == true)
    }

    @Test func positionsCountUTF16UnitsAfterEmojiAndAccents() throws {
        let prefix = "  work: {title: \"Wörk 😀\", "
        let text = Self.helper("helper").replacingOccurrences(of: "  work:\n    title: Work\n    end: resolved", with: prefix + "edn: resolved}")
        let client = try TestClient(files: ["sops/helper.sop.yaml": text])
        try client.open("sops/helper.sop.yaml")
        let finding = try #require(client.published("sops/helper.sop.yaml")?.first { $0["code"] == .string("unknown-key") })
        // 😀 is two UTF-16 units (one scalar, four bytes), ö one unit (two bytes).
        #expect(prefix.utf16.count == 27 && prefix.unicodeScalars.count == 26 && prefix.utf8.count == 30)
        #expect(finding["range"] == TestClient.range(5, 27, 5, 30))

        // With UTF-8 positions, the same key is 28 bytes in.
        let utf8 = try TestClient(files: ["sops/helper.sop.yaml": text],
                                  capabilities: .object([("general", .object([("positionEncodings", .array([.string("utf-8")]))]))]))
        try utf8.open("sops/helper.sop.yaml")
        let same = try #require(utf8.published("sops/helper.sop.yaml")?.first { $0["code"] == .string("unknown-key") })
        #expect(same["range"] == TestClient.range(5, prefix.utf8.count, 5, prefix.utf8.count + 3))
    }

    @Test func theRuleLinksIntoLintRules() throws {
        let client = try TestClient(files: ["sops/helper.sop.yaml": Self.helper("helper").replacingOccurrences(of: "end: resolved", with: "edn: resolved")],
                                    initializationOptions: .object([("docsURL", .string("https://example.org/docs"))]))
        try client.open("sops/helper.sop.yaml")
        let finding = try #require(client.published("sops/helper.sop.yaml")?.first { $0["code"] == .string("unknown-key") })
        #expect(finding["codeDescription"]?["href"] == .string("https://example.org/docs/lint-rules.md#unknown-key"))
    }
}

struct RelatedInformationTests {
    @Test func aKeyGivenTwicePointsAtTheFirst() throws {
        let text = DiagnosticsTests.helper("helper").replacingOccurrences(of: "title: Helper\n", with: "title: Helper\ntitle: Again\n")
        let client = try TestClient(files: ["sops/helper.sop.yaml": text, "schemas/ticket.schema.json": "{}"])
        try client.open("sops/helper.sop.yaml")
        let finding = try #require(client.published("sops/helper.sop.yaml")?.first { $0["code"] == .string("duplicate-key") })
        let related = try #require(finding["relatedInformation"]?.array?.first)
        #expect(related["location"]?["uri"] == .string(client.uri("sops/helper.sop.yaml")))
        #expect(related["location"]?["range"] == TestClient.range(2, 0, 2, 5))
        #expect(related["message"] == .string("the first 'title'"))
    }

    @Test func anSOPIdTakenPointsAtTheFirstFile() throws {
        let client = try TestClient(files: ["sops/a.sop.yaml": DiagnosticsTests.helper("helper"), "sops/b.sop.yaml": DiagnosticsTests.helper("helper"),
                                            "schemas/ticket.schema.json": "{}"])
        try client.open("sops/b.sop.yaml")
        let finding = try #require(client.published("sops/b.sop.yaml")?.first { $0["code"] == .string("duplicate-key") })
        let related = try #require(finding["relatedInformation"]?.array?.first)
        #expect(related["location"]?["uri"] == .string(client.uri("sops/a.sop.yaml")))
        #expect(related["location"]?["range"] == TestClient.range(0, 5, 0, 11))
    }
}
