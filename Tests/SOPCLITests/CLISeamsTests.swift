import Foundation
import Testing

/// Issue 32's seams of the command line, whole outputs of the built binary: `sop serve --help`
/// names `sop serve`, an SOP file with a YAML error shows its error, `sop verify` summarises,
/// and SOPs linted by name find their folder's calendars.
@Suite struct CLISeamsTests {
    static let hello = """
        sop: hello
        version: 1
        title: Say hello
        start: greet
        states:
          greet:
            title: Greet the customer
            transitions:
              - to: done
                on: greeted
          done:
            title: Done
            end: greeted

        """

    static let calendar = """
        calendar: support-eu
        time_zone: Europe/Berlin
        week: {mon: ["09:00-18:00"], tue: ["09:00-18:00"], wed: ["09:00-18:00"], thu: ["09:00-18:00"], fri: ["09:00-18:00"]}

        """

    static let chase = """
        sop: chase
        version: 1
        title: Chase a reply
        start: waiting
        states:
          waiting:
            title: Waiting
            transitions:
              - to: replied
                on: reply
              - to: chased
                after: {business: 4h, calendar: support-eu}
          chased:
            title: Chased
            end: chased
          replied:
            title: Replied
            end: replied

        """

    func folder(_ files: [String: String]) throws -> URL {
        let dir = try SOPBinary.temporaryDirectory()
        for (path, text) in files {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return dir
    }

    /// Item 18: `sop serve` runs `sopd`, whose help named itself (`USAGE: sopd serve`).
    @Test func serveHelpNamesTheCommandTheUserTyped() throws {
        let r = try SOPBinary.run(["serve", "--help"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("USAGE: sop serve"), "\(r.stdout)")
        #expect(!r.stdout.contains("sopd"), "\(r.stdout)")
        let mcp = try SOPBinary.run(["mcp", "--help"])
        #expect(mcp.stdout.contains("USAGE: sop mcp") && !mcp.stdout.contains("sopd"), "\(mcp.stdout)")
    }

    /// Item 27: `sop start t` on a `t.sop.yaml` with a YAML error said "no SOP 't'".
    @Test func anSOPWithAYAMLErrorShowsTheError() throws {
        let dir = try folder(["sops/t.sop.yaml": "sop: t\nversion: 1\ntitle: [unclosed\nstart: a\n"])
        let r = try SOPBinary.run(["start", "t", "--ticket", #"{"id": "T-1"}"#], in: dir)
        #expect(r.status == 2)
        #expect(!r.stderr.contains("no SOP 't'"), "\(r.stderr)")
        #expect(r.stderr.contains("sops/t.sop.yaml:") && r.stderr.contains("[yaml-syntax]"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        // In a file named otherwise, the SOP asked for is not found, and the files that cannot
        // be read are shown with their errors: one of them may be it.
        try FileManager.default.moveItem(at: dir.appendingPathComponent("sops/t.sop.yaml"), to: dir.appendingPathComponent("sops/dispute.sop.yaml"))
        let other = try SOPBinary.run(["start", "t", "--ticket", #"{"id": "T-1"}"#], in: dir)
        #expect(other.status == 2)
        #expect(other.stderr.contains("no SOP 't' in the SOP folder\nthese SOP files cannot be read (one may be 't'):\n"), "\(other.stderr)")
        #expect(other.stderr.contains("sops/dispute.sop.yaml:") && other.stderr.contains("[yaml-syntax]"), "\(other.stderr)")
    }

    /// Item 31: every run's line was printed; now the failures and a summary, every run with
    /// `--verbose`. A named run prints its line as before.
    @Test func verifyPrintsFailuresAndASummary() throws {
        let dir = try folder(["sops/hello.sop.yaml": Self.hello])
        for id in ["a", "b", "c"] {
            let r = try SOPBinary.run(["start", "hello", "--ticket", #"{"id": "T-\#(id)"}"#, "--id", id, "--now", "2026-11-02T09:00:00Z"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
        }
        _ = try SOPBinary.run(["step", "b", "--event", "greeted", "--now", "2026-11-02T09:05:00Z"], in: dir)
        let quiet = try SOPBinary.run(["verify"], in: dir)
        #expect(quiet.status == 0 && quiet.stdout == "3 runs ok (4 records)\n", "\(quiet.stdout)\(quiet.stderr)")
        let verbose = try SOPBinary.run(["verify", "--verbose"], in: dir)
        #expect(verbose.stdout == "a: ok (1 records)\nb: ok (2 records)\nc: ok (1 records)\n3 runs ok (4 records)\n", "\(verbose.stdout)")
        let one = try SOPBinary.run(["verify", "b"], in: dir)
        #expect(one.stdout == "b: ok (2 records)\n")

        // Tamper with one record: only that run's line, then the summary; exit 1.
        let edit = Process()
        edit.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        edit.arguments = ["python3", "-c", """
            import sqlite3
            c = sqlite3.connect('.sop/runs.sqlite')
            c.execute("UPDATE journal SET record = replace(record, 'greeted', 'greetet') WHERE run = 'b' AND seq = 1")
            c.commit()
            """]
        edit.currentDirectoryURL = dir
        try edit.run()
        edit.waitUntilExit()
        let failed = try SOPBinary.run(["verify"], in: dir)
        #expect(failed.status == 1)
        let lines = failed.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("b: FAILED at record 1: ") && lines[1] == "1 of 3 runs FAILED (4 records)",
                "\(failed.stdout)")
        let empty = try folder(["sops/hello.sop.yaml": Self.hello])
        #expect(try SOPBinary.run(["verify"], in: empty).stdout == "no runs\n")
    }

    /// Issue 33's new user: `sop status` without `--actor` listed a supervisor's event that
    /// `sop step` without `--actor` (as `$USER:agent`) then refused. Both act as the same actor now.
    @Test func statusShowsWhatStepWouldTakeForTheDefaultActor() throws {
        let review = """
            sop: review
            version: 1
            title: Review
            roles: [agent, supervisor]
            start: check
            states:
              check:
                title: Check
                role: supervisor
                transitions:
                  - {to: done, on: approve, label: Approve}
              done: {title: Done, end: approved}
            """
        let dir = try folder(["sops/review.sop.yaml": review])
        let env = ["USER": "ana"]
        let started = try SOPBinary.run(["start", "review", "--ticket", #"{"id": "T-1"}"#, "--id", "r", "--now", "2026-11-02T09:00:00Z"], in: dir, environment: env)
        try #require(started.status == 0, "\(started.stdout)\(started.stderr)")
        let status = try SOPBinary.run(["status", "r", "--format", "json", "--now", "2026-11-02T09:01:00Z"], in: dir, environment: env)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect((json["events"] as? [Any])?.isEmpty == true, "\(status.stdout)")
        #expect((json["other_events"] as? [[String: Any]])?.first?["event"] as? String == "approve")
        let text = try SOPBinary.run(["status", "r", "--now", "2026-11-02T09:01:00Z"], in: dir, environment: env)
        #expect(text.stdout.contains("waiting for the role 'supervisor' (you act as 'agent')"), "\(text.stdout)")
        let step = try SOPBinary.run(["step", "r", "--event", "approve", "--now", "2026-11-02T09:02:00Z"], in: dir, environment: env)
        #expect(step.status == 1)
        // As the supervisor, both agree the other way.
        let boss = try SOPBinary.run(["status", "r", "--actor", "sam:supervisor", "--format", "json", "--now", "2026-11-02T09:03:00Z"], in: dir)
        #expect(boss.stdout.contains("\"approve\""))
        #expect(try SOPBinary.run(["step", "r", "--event", "approve", "--actor", "sam:supervisor", "--now", "2026-11-02T09:04:00Z"], in: dir).status == 0)
    }

    /// Item 12: `sop lint --sops sops FILE` did not find the folder's calendars, and a calendar
    /// file with an error made every SOP that uses it report "no calendar is defined".
    @Test func sopsLintedByNameFindTheirFoldersCalendars() throws {
        let dir = try folder(["sops/chase.sop.yaml": Self.chase, "sops/hello.sop.yaml": Self.hello,
                              "sops/calendars/support-eu.calendar.yaml": Self.calendar])
        let r = try SOPBinary.run(["lint", "--sops", "sops", "sops/chase.sop.yaml", "sops/hello.sop.yaml"], in: dir)
        #expect(r.status == 0 && r.stdout == "no problems in 2 files\n", "\(r.stdout)\(r.stderr)")
        // From elsewhere, by the files' own folder.
        let inside = try SOPBinary.run(["lint", "--ticket-schema", "../schemas/ticket.schema.json", "chase.sop.yaml"],
                                       in: dir.appendingPathComponent("sops"))
        #expect(inside.status == 0 && inside.stdout == "no problems in 1 file\n", "\(inside.stdout)\(inside.stderr)")

        try Self.calendar.replacingOccurrences(of: "Europe/Berlin", with: "Europe/Berln")
            .write(to: dir.appendingPathComponent("sops/calendars/support-eu.calendar.yaml"), atomically: true, encoding: .utf8)
        let broken = try SOPBinary.run(["lint", "sops"], in: dir)
        #expect(broken.status == 1)
        #expect(broken.stdout == """
            sops/calendars/support-eu.calendar.yaml:2:12: error: 'Europe/Berln' is not an IANA time zone [invalid-time-zone]
             2 | time_zone: Europe/Berln
               |            ^~~~~~~~~~~~
              help: did you mean 'Europe/Berlin'?
            1 error, 0 warnings in 3 files

            """, "\(broken.stdout)")
    }
}
