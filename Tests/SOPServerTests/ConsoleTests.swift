import Foundation
import SOPJSON
import SOPCore
import SOPDiagnostics
@testable import SOPServer
import SOPService
import Testing
import TestSupport

/// The console's own pieces: the assets built into the binary are the repository's files, and
/// Markdown from instructions (and the ticket values templates put in them) is made safe.
@Suite struct ConsoleTests {
    static let console = ServerContractTests.root.appendingPathComponent("Sources/SOPServer/Console")

    @Test func theBuiltInAssetsAreTheRepositorysFiles() throws {
        let folder = Self.console.appendingPathComponent("templates")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".mustache") }
        #expect(Set(files.map { String($0.dropLast(9)) }) == Set(ConsoleAssets.templates.keys))
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(ConsoleAssets.templates[String(file.dropLast(9))] == text, "\(file) changed: run scripts/console-assets")
        }
        #expect(ConsoleAssets.css == (try String(contentsOf: Self.console.appendingPathComponent("assets/console.css"), encoding: .utf8)))
        #expect(ConsoleAssets.js == (try String(contentsOf: Self.console.appendingPathComponent("assets/console.js"), encoding: .utf8)))
    }

    @Test(arguments: [
        ("**Do not** promise a refund.", "<p><strong>Do not</strong> promise a refund.</p>"),
        ("Order <script>alert(1)</script> here", "<p>Order &lt;script>alert(1)&lt;/script> here</p>"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)>"),
        ("<p onclick=\"x()\">hi</p>", "<p>hi</p>"),
        ("[site](https://example.org/a?b=1&c=2)", "<p><a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"noopener noreferrer\">site</a></p>"),
        ("[bad](javascript:alert(1))", "<p><a>bad</a></p>"),
        ("`<b>` in code", "<p><code>&lt;b&gt;</code> in code</p>"),
        ("<a href=\"x\" <b>", "&lt;a href=\"x\" &lt;b>"),
    ])
    func markdownIsMadeSafe(markdown: String, html: String) {
        #expect(SafeMarkdown.html(markdown) == html)
    }

    @Test func noTagButTheAllowedOnesSurvives() {
        var rng = SplitMix64(seed: 7)
        let pieces = ["<", ">", "script", "a", " href=\"javascript:x\"", "img", "/", "\"", "'", "p", " onerror=x", "=", "text", "&", "\n"]
        for _ in 0..<2000 {
            let input = (0..<Int.random(in: 1...20, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let output = SafeMarkdown.sanitize(input)
            // Every tag left is an allowed one, bare (a link keeps only a safe href).
            for match in output.matches(of: /<\/?([a-zA-Z0-9]+)([^>]*)>/) {
                #expect(SafeMarkdown.allowed.contains(String(match.1).lowercased()), "\(input) → \(output)")
                #expect(match.2.isEmpty || match.2.hasPrefix(" href=\"http") || match.2.hasPrefix(" href=\"/") || match.2.hasPrefix(" href=\"#")
                        || match.2.hasPrefix(" href=\"mailto"), "\(input) → \(output)")
            }
            #expect(!output.lowercased().contains("<script") && !output.lowercased().contains("<img"), "\(input) → \(output)")
        }
    }

    /// Nested ticket fields read as dotted paths, lists of plain values as text (issue 32, item 19).
    @Test func ticketFieldsAreFlattenedForPeople() throws {
        let ticket = try JSONParser.parse(Array(#"{"id": "T-1", "customer": {"name": "Ann", "address": {"city": "Oslo"}}, "tags": ["a", "b"], "lines": [{"sku": 1}], "note": null, "meta": {}}"#.utf8))
        let fields = Console.ticketFields(ticket).map { "\($0["key"]!)=\($0["value"]!)" }
        #expect(fields == ["id=T-1", "customer.name=Ann", "customer.address.city=Oslo", "tags=a, b", #"lines=[{"sku":1}]"#, "note=—", "meta=—"])
    }

    /// Time left, to the minute, in its two largest units; the queue's badge by urgency.
    @Test func spansAndBadgesReadAsPeopleReadThem() {
        #expect(DurationText.minutes(21 * 86_400_000 - 1000) == "20d 23h")
        #expect(DurationText.minutes(3 * 3_600_000 + 5 * 60_000) == "3h 5m")
        #expect(DurationText.minutes(12 * 60_000 + 30_000) == "12m")
        #expect(DurationText.minutes(10_000) == "1m")
        let now: Int64 = 1_000_000_000
        #expect(RunService.Urgency(due: now - 1, now: now) == .overdue)
        #expect(RunService.Urgency(due: now + 29 * 60_000, now: now) == .urgent)
        #expect(RunService.Urgency(due: now + 59 * 60_000, now: now) == .soon)
        #expect(RunService.Urgency(due: now + 61 * 60_000, now: now) == .ok)
        #expect(RunService.Urgency(due: nil, now: now) == RunService.Urgency.none)
        #expect(Console.badgeText(.overdue, sla: "resolution") == "SLA breached")
        #expect(Console.badgeText(.overdue, sla: nil) == "overdue")
    }
}


/// The console's timeline says which checklist items a step confirmed, by their words in the
/// state the step was taken in (issue 33's new user: neither `sop log` nor the console said it).
@Suite struct ConsoleJournalTests {
    @Test func aStepsCheckedItemsAreNamedByTheirWords() throws {
        let yaml = """
            sop: care
            version: 1
            title: Care
            start: open
            states:
              open:
                title: Open
                checklist: [Identity confirmed, Order found]
                transitions: [{to: done}]
              done: {title: Done, end: done}
            """
        let sop = try CompiledSOP.compile(SourceFile(path: "care.sop.yaml", text: yaml), schema: nil)
        let engine = Engine(sop: sop, schema: nil)
        let record = JournalRecord(run: "r", seq: 1, version: 1, at: 0, actor: Actor(id: "ana", role: "agent"), sop: "care", sopVersion: 1,
                                   sopDigest: sop.digest, from: "open", to: "done", trigger: JournalTrigger(kind: .input, checks: [2, 1, 7]))
        let entry = Console.journalEntry(RecordForPeople(record), titleOf: { $0 }, engine: engine)
        let details = try #require(entry["details"] as? [String])
        #expect(details.contains("checked: Order found, Identity confirmed, item 7"), "\(details)")
    }
}
