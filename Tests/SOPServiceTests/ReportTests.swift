import Foundation
import SOPCore
import SOPExpression
import SOPJSON
@testable import SOPService
import SOPStore
import StoreTestSupport
import Testing

/// `sop report`'s KPIs (docs/report.md) on a store built by runs with known times; every
/// expected figure is worked out by hand in the comments.
@Suite struct ReportTests {
    static let sop = """
        sop: care
        version: 1
        title: Care
        roles: [agent, supervisor]
        start: open
        states:
          open:
            title: Open
            transitions: [{to: working, on: take}]
          working:
            title: Working
            transitions: [{to: survey, on: solve}, {to: escalate, on: escalate}]
          escalate:
            title: With a supervisor
            transitions: [{to: survey, on: solve, role: supervisor}]
          survey:
            title: Survey
            inputs:
              csat: {type: integer, min: 1, max: 5}
            transitions: [{to: done}]
          done: {title: Done, end: resolved}
        """

    let ana = Actor(id: "ana", role: "agent"), bob = Actor(id: "bob", role: "agent"), sue = Actor(id: "sue", role: "supervisor")

    func t(_ s: String) -> Int64 { CivilTime.parseDateTime(s)! }
    func event(_ e: String) -> StepCommand { .submit(inputs: [], event: e, checks: nil) }
    func csat(_ n: Int) -> StepCommand { .submit(inputs: [("csat", "\(n)")], event: nil, checks: nil) }

    func store() throws -> Workspace {
        let w = try Workspace(["care": Self.sop])
        let s = w.service
        func start(_ id: String, _ at: String) throws {
            _ = try s.start(sop: "care", ticket: .object([("id", .string("T-" + id)), ("priority", .string(id == "r3" ? "high" : "normal"))]),
                            runID: id, actor: ana, now: t(at))
        }
        // r1: ana alone; ends 10:05 (65 min).
        try start("r1", "2026-11-02T09:00:00Z")
        _ = try s.step("r1", event("take"), actor: ana, now: t("2026-11-02T09:10:00Z"))
        _ = try s.step("r1", event("solve"), actor: ana, now: t("2026-11-02T10:00:00Z"))
        _ = try s.step("r1", csat(5), actor: ana, now: t("2026-11-02T10:05:00Z"))
        // r2: started by ana, worked by bob; ends 11:00 (2 h).
        try start("r2", "2026-11-02T09:00:00Z")
        _ = try s.step("r2", event("take"), actor: bob, now: t("2026-11-02T09:30:00Z"))
        _ = try s.step("r2", event("solve"), actor: bob, now: t("2026-11-02T11:00:00Z"))
        _ = try s.step("r2", csat(2), actor: bob, now: t("2026-11-02T11:00:00Z"))
        // r3: escalated to sue; ends 15:00 (5 h).
        try start("r3", "2026-11-02T10:00:00Z")
        _ = try s.step("r3", event("take"), actor: ana, now: t("2026-11-02T10:00:00Z"))
        _ = try s.step("r3", event("escalate"), actor: ana, now: t("2026-11-02T10:30:00Z"))
        _ = try s.step("r3", event("solve"), actor: sue, now: t("2026-11-02T14:30:00Z"))
        _ = try s.step("r3", csat(4), actor: ana, now: t("2026-11-02T15:00:00Z"))
        // r4: still open.
        try start("r4", "2026-11-03T12:00:00Z")
        _ = try s.step("r4", event("take"), actor: ana, now: t("2026-11-03T12:30:00Z"))
        return w
    }

    func report(_ w: Workspace, from: String = "2026-11-01T00:00:00Z", to: String = "2026-11-10T00:00:00Z") throws -> ServiceReport {
        try ReportBuilder.build(store: w.service.store, options: ReportOptions(from: t(from), to: t(to)), categories: [:])
    }

    @Test func theKPIsOfAKnownHistory() throws {
        let r = try report(try store())
        let all = r.overall
        #expect(all.started == 4 && all.ended == 3 && all.open == 1)
        #expect(all.outcomes == ["resolved": 3])
        // Time to end: 65 min, 2 h, 5 h. Median 2 h; p90 and p95 by nearest rank (⌈0.9·3⌉ = 3rd) 5 h;
        // mean (65 + 120 + 300) / 3 min = 161 min 40 s.
        let toEnd = try #require(all.timeToEnd)
        #expect(toEnd.median == 7_200_000 && toEnd.p90 == 18_000_000 && toEnd.p95 == 18_000_000 && toEnd.mean == 9_700_000)
        // Escalated: r3, of 4 started.
        #expect(all.escalated == 1)
        // First contact: r1 only (r2 had two agents, r3 escalated), of 3 resolved.
        #expect(all.resolved == 3 && all.firstContact == 1)
        // CSAT 5, 2, 4: two of three satisfied (4 or 5).
        #expect(all.csatAnswers == 3 && all.csatSatisfied == 2)
        // Time in `open`: 10 min, 30 min, 0, 30 min → median (10 + 30) / 2 = 20 min, p90 (4th) 30 min.
        let open = try #require(r.timeInState.first { $0.0 == "care.open" }?.1)
        #expect(open.count == 4 && open.median == 1_200_000 && open.p90 == 1_800_000)
        // Directly-follows.
        let edges = Dictionary(uniqueKeysWithValues: r.edges.map { ("\($0.from)>\($0.to)", $0.count) })
        #expect(edges == ["open>working": 4, "working>survey": 2, "working>escalate": 1, "escalate>survey": 1, "survey>done": 3])
        // Variants: the plain path twice (median of 65 min and 2 h = 92.5 min), the escalated once.
        #expect(r.variants.map(\.count) == [2, 1])
        #expect(r.variants[0].path == ["open", "working", "survey", "done"] && r.variants[0].medianToEnd == 5_550_000)
        // Backlog at Nov 10: r4, 6 days 12 hours old.
        #expect(r.backlog.first { $0.0 == "3d–7d" }?.1 == 1 && r.backlog.map(\.1).reduce(0, +) == 1)
        // Trend: Nov 2 three started and three ended; Nov 3 one started.
        #expect(r.trend.map { "\($0.day) \($0.started) \($0.ended)" } == ["2026-11-02 3 3", "2026-11-03 1 0"])
        // Moves: ana 4 (r1) + 1 (r2 start) + 4 (r3 but the solve) + 2 (r4) = 11; bob 3; sue 1.
        #expect(Dictionary(uniqueKeysWithValues: r.byActor) == ["ana": 11, "bob": 3, "sue": 1])
        #expect(Dictionary(uniqueKeysWithValues: r.byRole) == ["agent": 14, "supervisor": 1])
        // By priority: r3 high, the rest normal.
        #expect(r.byPriority.map { "\($0.0) \($0.1.started)" } == ["high 1", "normal 3"])
    }

    /// A period that holds only part of the history counts only that part.
    @Test func thePeriodBounds() throws {
        let r = try report(try store(), from: "2026-11-03T00:00:00Z", to: "2026-11-04T00:00:00Z")
        #expect(r.overall.started == 1 && r.overall.ended == 0 && r.overall.open == 4 - 3)
        #expect(r.edges.map { "\($0.from)>\($0.to)" } == ["open>working"])
        let before = try report(try store(), from: "2026-11-01T00:00:00Z", to: "2026-11-02T10:00:00Z")
        // At 10:00 on Nov 2: r1 and r2 started (r3 starts at 10:00, not before), none ended.
        #expect(before.overall.started == 2 && before.overall.open == 2 && before.overall.ended == 0)
    }

    /// A resolution whose ticket comes back (a run that ends `reopened`) within the window is a
    /// reopen, and no longer a first-contact resolution; one after the window counts as before.
    @Test func reopens() throws {
        let again = """
            sop: again
            version: 1
            title: Reopened ticket
            start: open
            states:
              open:
                title: Open
                transitions: [{to: reopened, on: reopen}]
              reopened: {title: Reopened, end: reopened}
            """
        func run(reopenAt: String) throws -> ServiceReport {
            let w = try store()
            try again.write(to: w.dir.appendingPathComponent("sops/again.sop.yaml"), atomically: true, encoding: .utf8)
            let s = try w.reopened()
            // r1 (ticket T-r1) was resolved at 10:05 on Nov 2 by ana alone: the one first contact.
            _ = try s.start(sop: "again", ticket: .object([("id", .string("T-r1"))]), runID: "a1", actor: ana, now: t("2026-11-03T09:00:00Z"))
            _ = try s.step("a1", event("reopen"), actor: ana, now: t(reopenAt))
            return try report(w)
        }
        let within = try run(reopenAt: "2026-11-04T09:00:00Z")
        let care = try #require(within.bySOP.first { $0.0 == "care v1" }?.1)
        #expect(care.resolved == 3 && care.reopened == 1 && care.firstContact == 0)
        #expect(within.json()["by_sop"]?["care v1"]?["reopened"] == .int(1))
        // Nov 2 10:05 + 7 days = Nov 9 10:05: a reopen after that is a new problem.
        let after = try run(reopenAt: "2026-11-09T10:06:00Z")
        let later = try #require(after.bySOP.first { $0.0 == "care v1" }?.1)
        #expect(later.reopened == 0 && later.firstContact == 1)
    }

    /// An SOP with a calendar has its durations in business time too; one without has none.
    @Test func businessTimeWhereTheSOPHasACalendar() throws {
        let desk = """
            sop: desk
            version: 1
            title: Desk
            start: open
            states:
              open:
                title: Open
                transitions:
                  - {to: done, on: solve}
                  - {to: done, after: {business: 40h, calendar: office}}
              done: {title: Done, end: resolved}
            """
        let w = try Workspace(["desk": desk, "care": Self.sop])
        let folder = w.dir.appendingPathComponent("sops/calendars")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "calendar: office\ntime_zone: UTC\nweek: {mon: [\"09:00-17:00\"], tue: [\"09:00-17:00\"], wed: [\"09:00-17:00\"], thu: [\"09:00-17:00\"], fri: [\"09:00-17:00\"]}\n"
            .write(to: folder.appendingPathComponent("office.calendar.yaml"), atomically: true, encoding: .utf8)
        let s = w.service
        _ = try s.start(sop: "desk", ticket: .object([("id", .string("T-1"))]), runID: "d1", actor: ana, now: t("2026-11-06T16:00:00Z"))
        _ = try s.step("d1", event("solve"), actor: ana, now: t("2026-11-09T10:00:00Z"))
        _ = try s.start(sop: "care", ticket: .object([("id", .string("T-2"))]), runID: "c1", actor: ana, now: t("2026-11-06T16:00:00Z"))
        let r = try ReportBuilder.build(store: s.store, options: ReportOptions(from: t("2026-11-01T00:00:00Z"), to: t("2026-11-10T00:00:00Z")),
                                        catalogue: s.catalogue)
        // Friday 16:00 to Monday 10:00: 66 hours on the clock, 2 in office hours (Fri 16–17, Mon 9–10).
        let toEnd = try #require(r.overall.timeToEnd), businessToEnd = try #require(r.overall.businessTimeToEnd)
        #expect(toEnd.median == 237_600_000 && toEnd.count == 1)
        #expect(businessToEnd.median == 7_200_000 && businessToEnd.count == 1)
        #expect(r.businessTimeInState.map(\.0) == ["desk.open"] && r.businessTimeInState.first?.1.median == 7_200_000)
        // care has no calendar: no business figure for it, and its open run is grouped as such.
        #expect(r.bySOP.first { $0.0 == "care v1" }?.1.businessTimeToEnd == nil)
        #expect(r.byOutcome.map { "\($0.0) \($0.1.started)" } == ["(open) 1", "resolved 1"])
        #expect(r.json()["business_time_in_state"]?["desk.open"]?["median"] == .string("2h"))
        #expect(r.csv().contains("overall,all,business_time_to_end_median_s,7200\r\n"))
    }

    /// A report holds one `RunFacts` per run: what runs share (the SOP's calendar, its id) is
    /// kept once and named by index (docs/benchmarks.md, "Long reads at a year's scale").
    @Test func aRunsFactsStaySmall() {
        #expect(MemoryLayout<RunFacts>.stride <= 168, "\(MemoryLayout<RunFacts>.stride)")
    }

    /// A report past its time limit stops with `time_limit` (HTTP 503, exit 2), saying what
    /// helps; within its limit it is the report built without one.
    @Test func aReportPastItsTimeLimitStopsWithAClearError() throws {
        let w = try store()
        let options = ReportOptions(from: t("2026-11-01T00:00:00Z"), to: t("2026-11-10T00:00:00Z"))
        let error = try #require(throws: RunError.self) { try w.service.report(options, as: .system, timeLimit: .zero) }
        #expect(error.kind == "time_limit" && error.exitCode == 2)
        #expect(error.description == "the report took longer than its limit of 0 s (it reads the whole journal, whatever the period or SOPs); raise the server's --report-time-limit, or run `sop report`, which has no limit")
        #expect(error.json["error"] == .string("time_limit") && error.json["exit"] == .int(2))
        #expect(RunError.timeLimit(.seconds(60)).description.hasPrefix("the report took longer than its limit of 60 s ("))
        #expect(RunError.timeLimit(.milliseconds(1500)).description.hasPrefix("the report took longer than its limit of 1.5 s ("))
        let limited = try w.service.report(options, as: .system, timeLimit: .seconds(600))
        #expect(limited.json() == (try w.service.report(options, as: .system)).json())
    }

    /// Progress counts the journal's records read, out of the journal's last position: from
    /// (0, N) before the scan to (N, N) after it.
    @Test func aReportsProgressCountsJournalRecords() throws {
        let w = try store()
        var progress: [(Int, Int)] = []
        let r = try w.service.report(ReportOptions(from: t("2026-11-01T00:00:00Z"), to: t("2026-11-10T00:00:00Z")), as: .system) {
            progress.append(($0, $1))
        }
        #expect(r.recordsRead == 15)
        #expect(progress.first.map { $0 == (0, 15) } == true && progress.last.map { $0 == (15, 15) } == true, "\(progress)")
    }

    /// A damaged record is counted, said, and left out; the rest of its run still counts.
    @Test func anUnreadableRecordIsCountedAndLeftOut() throws {
        let w = try store()
        // r2's csat answer (seq 3: start, take, solve, then the answer) becomes text that is not a record.
        try w.service.store.transaction { tx in try tx.rewriteJournal(run: "r2", seq: 3, record: #"{"run": "r2", "seq": 3"#) }
        let r = try report(w), whole = try report(try store())
        #expect(r.recordsUnreadable == 1 && r.recordsRead == whole.recordsRead - 1)
        // The answer was CSAT 2, so two of two answers are now satisfied.
        #expect(r.overall.csatAnswers == 2 && r.overall.csatSatisfied == 2)
        #expect(r.json()["records_unreadable"] == .int(1))
        #expect(r.text().contains("warning: 1 journal record could not be read and is left out"))
    }

    /// The outputs say the same: JSON and CSV carry the figures above.
    @Test func jsonAndCSV() throws {
        let r = try report(try store())
        let json = r.json()
        #expect(json["overall"]?["started"] == .int(4))
        #expect(json["overall"]?["time_to_end"]?["median"] == .string("2h"))
        let csv = r.csv()
        #expect(csv.hasPrefix("section,group,metric,value\r\n"))
        #expect(csv.contains("overall,all,time_to_end_median_s,7200\r\n"))
        #expect(csv.contains("directly_follows,care: open -> working,count,4\r\n"))
        let follows = try #require(json["directly_follows"]).render()
        #expect(follows.hasPrefix("[{\"sop\":\"care\",\"from\":\"escalate\""), "\(follows)")
        // The text's directly-follows table: care's open → working 4 times, a median 20 min in `open`.
        let lines = r.text().split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.contains(["care", "open", "working", "4", "20m"]))
    }
}

/// `ReportRecord` scans a stored record's bytes for the few members the report needs; it must
/// read exactly what the journal's own reader (`JournalRecord`) reads from the same text.
@Suite struct ReportRecordTests {
    /// What the report takes from a record, through `JournalRecord`.
    static func expected(_ r: JournalRecord) -> ReportRecord.Decoded {
        var e = ReportRecord.Decoded()
        e.run = r.run
        e.seq = r.seq
        e.at = r.at
        e.actorID = r.actor.id
        e.role = r.actor.role
        e.from = r.from
        e.to = r.to
        e.kind = r.trigger.kind
        e.moved = r.trigger.moved
        if case .string(let target)? = r.trigger.sla?["target"] { e.slaTarget = target }
        if case .string(let event)? = r.trigger.sla?["event"] { e.slaEvent = event }
        if case .int(let n)? = r.inputs["csat"] { e.csat = n }
        for effect in r.effects {
            if case .string(let s)? = effect["call"]?["sop"] { e.calls.append(s) } else if case .string(let s)? = effect["start"]?["sop"] { e.calls.append(s) }
        }
        return e
    }

    static func check(_ text: String) throws {
        let record = try JournalReadError.decode(text, run: "?", seq: 0)
        var bytes = text
        let scanned = bytes.withUTF8 { ReportRecord(scanning: $0)?.decoded }
        #expect(scanned == expected(record), "\(text)")
    }

    /// Every record of the known history, as the store hands it over (`scanRows`, on SQLite and
    /// on PostgreSQL when the suite runs there).
    @Test func theRecordsOfAStore() throws {
        let w = try ReportTests().store()
        var texts: [String] = []
        try w.service.store.read { tx in
            try tx.scanRows(.journal, columns: ["record", "seq"]) { row in
                let record = String(decoding: try #require(row[0]), as: UTF8.self)
                texts.append(record)
                // An integer column comes as its decimal.
                #expect(try JournalReadError.decode(record, run: "?", seq: 0).seq == Int(String(decoding: try #require(row[1]), as: UTF8.self)))
            }
            #expect(throws: StoreColumnError.self) { try tx.scanRows(.journal, columns: ["nope"]) { _ in } }
            #expect(texts.count == (try tx.runIDs().map { try tx.journal($0).count }.reduce(0, +)))
        }
        for text in texts { try Self.check(text) }
    }

    /// Records with everything the scanner looks for, and escapes where it decodes.
    @Test func recordsWithSLAEffectsInputsAndEscapes() throws {
        let sla = JSONValue.object([("target", .string("first_reply")), ("event", .string("breached")), ("due", .string("2026-11-02T10:00:00Z"))])
        let records = [
            JournalRecord(run: "r-\"q\"\\1", seq: 3, version: 2, at: 1_762_077_600_250, actor: Actor(id: "an\u{e9}\n", role: "agent"),
                          sop: "care", sopVersion: 1, sopDigest: "d", from: "open", to: "esc\\alate",
                          trigger: JournalTrigger(kind: .event, event: "escalate"), inputs: [("csat", .int(5)), ("note", .string("x"))],
                          changes: [JournalChange(path: "ticket.priority", old: .string("low"), new: .object([("sop", .string("decoy"))]))],
                          effects: [.object([("call", .object([("sop", .string("escalation")), ("with", .object([]))]))]),
                                    .object([("notify", .object([("sop", .string("decoy"))]))]),
                                    .object([("call", .object([("sop", .int(5)), ("then", .string("x"))]))]),
                                    .object([("start", .object([("sop", .string("follow-up"))]))])]),
            JournalRecord(run: "r-1", seq: 4, version: 3, at: 1_762_077_600_000, actor: .system, sop: "care", sopVersion: 1, sopDigest: "d",
                          from: "working", to: "working", trigger: JournalTrigger(kind: .sla, moved: false, sla: sla)),
            JournalRecord(run: "r-1", seq: 1, version: nil, at: 0, actor: .system, sop: "care", sopVersion: 1, sopDigest: "d",
                          from: nil, to: "open", trigger: JournalTrigger(kind: .start), inputs: [("csat", .number(4.5))]),
        ]
        for var record in records {
            try Self.check(record.sealForStore(after: nil))
            try Self.check(record.json().render())
        }
    }

    /// Text that is not a record is refused, never half read.
    @Test func brokenRecordsAreRefused() {
        for text in ["", "{", "[]", #"{"run": "r", "to": "x"}"#, #"{"run": "r", "at": "yesterday", "to": "x"}"#,
                     #"{"run": 1, "at": "2026-11-02T09:00:00Z", "to": "x"}"#, #"{"run": "r", "at": "2026-11-02T09:00:00Z", "to": "x"} x"#] {
            var bytes = text
            #expect(bytes.withUTF8 { ReportRecord(scanning: $0)?.decoded } == nil, "\(text)")
        }
    }
}
