import Foundation
import GRDB
import Testing

/// `sop simulate` through the binary: its whole text and JSON output on a small store, the HTML
/// page, `--max-diverged`'s exit codes, bad input, and a store left as it was.
@Suite struct SimulateCommandTests {
    static let calendar = """
        calendar: office
        time_zone: UTC
        week:
          mon: ["00:00-24:00"]
          tue: ["00:00-24:00"]
          wed: ["00:00-24:00"]
          thu: ["00:00-24:00"]
          fri: ["00:00-24:00"]
          sat: ["00:00-24:00"]
          sun: ["00:00-24:00"]

        """

    static let refund = """
        sop: refund
        version: 1
        title: Refund
        start: review
        sla:
          calendar: office
          targets:
            decision:
              target: 2h
              stop: [approved, rejected, escalated]
        states:
          review:
            title: Review
            inputs:
              amount: {type: number, prompt: Amount}
            transitions:
              - to: approved
                on: decide
                when: input.amount <= 100
              - to: escalated
                on: decide
                when: input.amount > 100
          escalated:
            title: Escalated
            transitions:
              - {to: approved, on: approve}
              - {to: rejected, on: reject}
          approved: {title: Approved, end: approved}
          rejected: {title: Rejected, end: rejected}

        """

    /// The candidate: version 2, the approval bound tightened from 100 to 50, the SLA target
    /// loosened from 2h to 4h.
    static let candidate = refund.replacingOccurrences(of: "version: 1", with: "version: 2")
        .replacingOccurrences(of: "input.amount <= 100", with: "input.amount <= 50")
        .replacingOccurrences(of: "input.amount > 100", with: "input.amount > 50")
        .replacingOccurrences(of: "target: 2h", with: "target: 4h")

    /// Five runs: r-a (20) approved, r-b (75, decided late: a breach of 2h, not of 4h) approved,
    /// r-c (150) waiting in escalated, r-d (101) escalated then approved, r-e waiting in review.
    static func store() throws -> URL {
        let dir = try SOPBinary.temporaryDirectory(ticketSchema: false)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sops"), withIntermediateDirectories: true)
        try refund.write(to: dir.appendingPathComponent("sops/refund.sop.yaml"), atomically: false, encoding: .utf8)
        try calendar.write(to: dir.appendingPathComponent("sops/office.calendar.yaml"), atomically: false, encoding: .utf8)
        try candidate.write(to: dir.appendingPathComponent("candidate.sop.yaml"), atomically: false, encoding: .utf8)
        func sop(_ arguments: [String]) throws {
            let r = try SOPBinary.run(arguments + ["--actor", "ana:agent"], in: dir)
            #expect(r.status == 0, "\(arguments): \(r.stderr)")
        }
        for (run, amount, hour) in [("a", "20", "10"), ("b", "75", "12"), ("c", "150", "10"), ("d", "101", "10")] {
            try sop(["start", "refund", "--ticket", #"{"id": "T-\#(run)"}"#, "--id", "r-\(run)", "--now", "2026-11-02T09:00:00Z"])
            try sop(["step", "r-\(run)", "--event", "decide", "--input", "amount=\(amount)", "--now", "2026-11-02T\(hour):00:00Z"])
        }
        try sop(["step", "r-d", "--event", "approve", "--now", "2026-11-02T12:00:00Z"])
        try sop(["start", "refund", "--ticket", #"{"id": "T-e"}"#, "--id", "r-e", "--now", "2026-11-02T09:00:00Z"])
        return dir
    }

    @Test func textAndJSONOutputWhole() throws {
        let dir = try Self.store()
        let text = try SOPBinary.run(["simulate", "candidate.sop.yaml"], in: dir)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stderr == "")
        #expect(text.stdout == """
            simulate refund v2 (candidate.sop.yaml) against 5 recorded runs of refund
              identical  4
              diverged   1 (20.0%)

            where and why runs diverge:
              1 in review: the recorded run went review → approved (event), the candidate review → escalated (event)
                e.g. r-b

            outcomes (recorded → candidate) of runs ended under both:
              approved → approved  2

            SLA breaches per target (recorded → candidate):
              decision, calendar office: 1 → 0

            stranded (waiting in a state the candidate lacks): 0

            """)
        let json = try SOPBinary.run(["simulate", "candidate.sop.yaml", "--format", "json"], in: dir)
        #expect(json.status == 0, "\(json.stderr)")
        let digest = try #require(json.stdout.firstMatch(of: /"digest":"(sha256:[0-9a-f]{64})"/)).1
        #expect(json.stdout == """
            {"candidate":{"sop":"refund","version":2,"digest":"\(digest)","file":"candidate.sop.yaml"},"replayed":5,"identical":4,\
            "diverged":1,"unreadable":[],"records":20,"runs":[{"run":"r-b","record":3,"state":"review",\
            "reason":"the recorded run went review → approved (event), the candidate review → escalated (event)","recorded":"approved",\
            "candidate":"escalated"}],"groups":[{"state":"review","reason":"the recorded run went review → approved (event), the candidate \
            review → escalated (event)","runs":1,"examples":["r-b"]}],"outcomes":[{"recorded":"approved","candidate":"approved","runs":2}],\
            "sla":[{"target":"decision","calendar":"office","recorded":1,"candidate":0}],"stranded":[]}

            """)
    }

    /// The recorded version as the candidate: every run identical; a removed state strands the
    /// run waiting in it.
    @Test func identicalAndStranded() throws {
        let dir = try Self.store()
        let same = try SOPBinary.run(["simulate", "sops/refund.sop.yaml", "--format", "json"], in: dir)
        #expect(same.stdout.contains(#""replayed":5,"identical":5,"diverged":0,"#), "\(same.stdout)\(same.stderr)")
        let removed = Self.refund.replacingOccurrences(of: "to: escalated", with: "to: rejected")
            .replacingOccurrences(of: "stop: [approved, rejected, escalated]", with: "stop: [approved, rejected]")
            .replacingOccurrences(of: """
                  escalated:
                    title: Escalated
                    transitions:
                      - {to: approved, on: approve}
                      - {to: rejected, on: reject}

                """, with: "")
        try removed.write(to: dir.appendingPathComponent("removed.sop.yaml"), atomically: false, encoding: .utf8)
        let r = try SOPBinary.run(["simulate", "removed.sop.yaml"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasSuffix("stranded (waiting in a state the candidate lacks): 1\n  r-c in escalated\n"), "\(r.stdout)")
    }

    @Test func htmlHasItsCharts() throws {
        let dir = try Self.store()
        let r = try SOPBinary.run(["simulate", "candidate.sop.yaml", "--html", "sim.html", "--format", "json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOf: dir.appendingPathComponent("sim.html"), encoding: .utf8)
        #expect(html.hasPrefix("<!doctype html>"))
        for chart in ["chart runs", "chart groups", "chart outcomes", "chart sla"] {
            #expect(html.contains("<svg class=\"\(chart)\""), "no \(chart)")
        }
        #expect(html.contains("4 identical, 1 diverged (20.0%)"))
        #expect(!html.contains("<script"))
    }

    @Test func maxDivergedAndBadInputExitCodes() throws {
        let dir = try Self.store()
        let past = try SOPBinary.run(["simulate", "candidate.sop.yaml", "--max-diverged", "10"], in: dir)
        #expect(past.status == 1)
        #expect(past.stderr == "error: 1 of 5 runs diverged (20.0%), more than --max-diverged 10%\n")
        #expect(past.stdout.hasPrefix("simulate refund v2"))
        #expect(try SOPBinary.run(["simulate", "candidate.sop.yaml", "--max-diverged", "20"], in: dir).status == 0)
        let bad = try SOPBinary.run(["simulate", "candidate.sop.yaml", "--max-diverged", "120"], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--max-diverged must be a percentage from 0 to 100, found 120"))
        let missing = try SOPBinary.run(["simulate", "nowhere.sop.yaml"], in: dir)
        #expect(missing.status == 2)
        #expect(missing.stderr == "error: nowhere.sop.yaml: the candidate SOP cannot be read\n")
        try "sop: refund\nversion: 3\nstart: nowhere\n".write(to: dir.appendingPathComponent("broken.sop.yaml"), atomically: false, encoding: .utf8)
        let broken = try SOPBinary.run(["simulate", "broken.sop.yaml", "--format", "json"], in: dir)
        #expect(broken.status == 2)
        #expect(broken.stdout.hasPrefix(#"{"error":"invalid_sop""#), "\(broken.stdout)")
        let noStore = try SOPBinary.run(["simulate", "candidate.sop.yaml", "--store", "elsewhere.sqlite"], in: dir)
        #expect(noStore.status == 2)
        #expect(noStore.stderr == "error: no store at elsewhere.sqlite\n")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("elsewhere.sqlite").path))
        let badTime = try SOPBinary.run(["simulate", "candidate.sop.yaml", "--from", "yesterday"], in: dir)
        #expect(badTime.status == 2)
    }

    @Test func filtersNarrowTheRuns() throws {
        let dir = try Self.store()
        let waiting = try SOPBinary.run(["simulate", "candidate.sop.yaml", "--waiting", "--format", "json"], in: dir)
        #expect(waiting.stdout.contains(#""replayed":2,"identical":2,"diverged":0,"#), "\(waiting.stdout)")
        let later = try SOPBinary.run(["simulate", "candidate.sop.yaml", "--from", "2026-11-03", "--format", "json"], in: dir)
        #expect(later.stdout.contains(#""replayed":0,"#), "\(later.stdout)")
    }

    /// Every row of every table of a SQLite store, as text (sorted: some tables have no rowid).
    static func rows(_ path: String) throws -> [String] {
        var readOnly = Configuration()
        readOnly.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: readOnly)
        return try queue.read { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            return try tables.flatMap { table in
                try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { "\(table): \($0)" }.sorted()
            }
        }
    }

    /// The store is read, never written: every row of every table (runs with their versions,
    /// the journal, the pinned sources) is the same after.
    @Test func theStoreIsUnchanged() throws {
        let dir = try Self.store()
        let store = dir.appendingPathComponent(".sop/runs.sqlite").path
        let runsBefore = try SOPBinary.run(["runs", "--format", "json"], in: dir).stdout
        let logsBefore = try ["a", "b", "c", "d", "e"].map { try SOPBinary.run(["log", "r-\($0)", "--format", "json"], in: dir).stdout }
        let rowsBefore = try Self.rows(store)
        #expect(rowsBefore.count > 20)
        for arguments in [["simulate", "candidate.sop.yaml"], ["simulate", "sops/refund.sop.yaml", "--html", "x.html"]] {
            #expect(try SOPBinary.run(arguments, in: dir).status == 0)
        }
        #expect(try Self.rows(store) == rowsBefore)
        #expect(try SOPBinary.run(["runs", "--format", "json"], in: dir).stdout == runsBefore)
        #expect(try ["a", "b", "c", "d", "e"].map { try SOPBinary.run(["log", "r-\($0)", "--format", "json"], in: dir).stdout } == logsBefore)
        #expect(try SOPBinary.run(["verify"], in: dir).stdout == "5 runs ok (20 records)\n")
    }
}
