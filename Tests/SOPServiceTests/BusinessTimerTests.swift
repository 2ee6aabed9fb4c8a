import Foundation
import SOPCore
import SOPExpression
import SOPJSON
@testable import SOPService
import SOPStore
import StoreTestSupport
import Testing

/// Business timers (`after: {business: 4h, calendar: ID}`, docs/calendars.md) firing in runs: each
/// case of issue 22 as a timer that is not due a second before its due time, fires at it, and
/// verifies; and a run keeps the calendar it started with when the file changes.
@Suite struct BusinessTimerTests {
    static let weekdays = #"{mon: ["09:00-18:00"], tue: ["09:00-18:00"], wed: ["09:00-18:00"], thu: ["09:00-18:00"], fri: ["09:00-18:00"]}"#
    static let always = #"{mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}"#

    struct Case: Sendable, CustomStringConvertible {
        var zone = "Europe/Berlin"
        var week = BusinessTimerTests.weekdays
        var extra = ""
        var start: String
        var add: String
        var due: String
        var description: String { "\(start) + \(add) → \(due)" }
    }

    static let cases: [Case] = [
        Case(start: "2025-01-10T17:55:00+01:00", add: "1h", due: "2025-01-13T09:55:00+01:00"),
        Case(start: "2025-01-10T17:00:00+01:00", add: "1h", due: "2025-01-10T18:00:00+01:00"),
        Case(start: "2025-01-11T12:00:00+01:00", add: "0h", due: "2025-01-13T09:00:00+01:00"),
        Case(week: #"{mon: ["09:00-17:00"], tue: ["09:00-16:00"], thu: ["08:00-17:00"]}"#,
             start: "2025-01-13T11:00:00+01:00", add: "16h", due: "2025-01-16T11:00:00+01:00"),
        Case(week: always, start: "2025-03-29T12:00:00+01:00", add: "24h", due: "2025-03-30T13:00:00+02:00"),
        Case(zone: "America/New_York", week: #"{sun: ["02:30-10:00"]}"#,
             start: "2025-03-09T00:00:00-05:00", add: "6h30m", due: "2025-03-09T10:00:00-04:00"),
        Case(extra: "holidays: [{every_year: 12-25}, {every_year: 12-26}]\ndays: {2025-12-24: [\"09:00-13:00\"]}",
             start: "2025-12-23T17:30:00+01:00", add: "8h", due: "2025-12-29T12:30:00+01:00"),
        Case(week: #"{mon: ["09:00-12:00", "13:00-18:00"]}"#, start: "2025-01-13T11:30:00+01:00", add: "1h",
             due: "2025-01-13T13:30:00+01:00"),
        // Clocks going back in New York (a 25-hour day), a zone east of UTC, a holiday judged in
        // the calendar's zone for a start given in UTC, business days.
        Case(zone: "America/New_York", week: always, start: "2025-11-02T00:00:00-04:00", add: "24h", due: "2025-11-02T23:00:00-05:00"),
        Case(zone: "Asia/Tokyo", start: "2025-01-10T08:00:00Z", add: "2h", due: "2025-01-13T10:00:00+09:00"),
        Case(extra: "holidays: [{every_year: 12-25}]", start: "2025-12-24T23:30:00Z", add: "1h", due: "2025-12-26T10:00:00+01:00"),
        Case(start: "2025-01-10T17:55:00+01:00", add: "5d", due: "2025-01-17T17:55:00+01:00"),
    ]

    static func sop(_ add: String) -> String {
        """
        sop: wait
        version: 1
        title: Wait for a reply
        start: waiting
        states:
          waiting:
            title: Waiting
            transitions:
              - to: replied
                on: reply
              - to: late
                after: {business: \(add), calendar: team}
                role: system
          replied: {title: Replied, end: replied}
          late: {title: Late, end: late}
        """
    }

    func workspace(_ c: Case) throws -> Workspace {
        let w = try Workspace(["wait": Self.sop(c.add)])
        try write(c, in: w)
        return w
    }

    func write(_ c: Case, in w: Workspace) throws {
        let folder = w.dir.appendingPathComponent("sops/calendars")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "calendar: team\ntime_zone: \(c.zone)\nweek: \(c.week)\n\(c.extra)\n"
            .write(to: folder.appendingPathComponent("team.calendar.yaml"), atomically: true, encoding: .utf8)
    }

    @Test(arguments: cases)
    func theTimerFiresAtItsDueTime(_ c: Case) throws {
        let w = try workspace(c)
        let start = try #require(CivilTime.parseDateTime(c.start)), due = try #require(CivilTime.parseDateTime(c.due))
        let run = try w.service.start(sop: "wait", ticket: .object([("id", .string("T-1"))]), runID: "r1", actor: ana, now: start)
        #expect(run.state == "waiting")
        #expect(try w.service.tick(now: due - 1000).transitions == 0, "not due a second early")
        #expect(try w.service.tick(now: due).transitions == 1)
        let journal = try w.service.journal("r1")
        #expect(journal.last?.to == "late")
        #expect(journal.last?.at == due, "fired at \(journal.last.map { CivilTime.formatDateTime($0.at) } ?? "never")")
        #expect(journal.last?.trigger.after == "\(c.add) business (team)")
        #expect(try w.service.verify("r1").allSatisfy { $0.failure == nil })
    }

    /// A command on the run takes its due timers first, as a tick would: the outcome never
    /// depends on how often ticks run.
    @Test func aStepAfterTheDueTimeFindsTheTimerTaken() throws {
        let c = Self.cases[0]
        let w = try workspace(c)
        let start = try #require(CivilTime.parseDateTime(c.start)), due = try #require(CivilTime.parseDateTime(c.due))
        _ = try w.service.start(sop: "wait", ticket: .object([("id", .string("T-1"))]), runID: "r1", actor: ana, now: start)
        // The reply comes a minute late: the run had ended at the due time, so the step is refused.
        #expect(throws: (any Error).self) { try w.service.step("r1", .submit(inputs: [], event: "reply", checks: nil), actor: ana, now: due + 60_000) }
        let projected = try w.service.projected("r1", now: due + 60_000)
        #expect(projected.run.state == "late" && projected.dueRecords == 1)
        let early = try w.service.start(sop: "wait", ticket: .object([("id", .string("T-2"))]), runID: "r2", actor: ana, now: start)
        #expect(early.state == "waiting")
        let replied = try w.service.step("r2", .submit(inputs: [], event: "reply", checks: nil), actor: ana, now: due - 60_000)
        #expect(replied.run.state == "replied")
    }

    /// An edited calendar applies to runs started after the edit; a run keeps the calendar it
    /// started with (pinned with its SOP), and verifies against it.
    @Test func aRunKeepsTheCalendarItStartedWith() throws {
        var c = Self.cases[0]
        let w = try workspace(c)
        let start = try #require(CivilTime.parseDateTime(c.start))
        _ = try w.service.start(sop: "wait", ticket: .object([("id", .string("T-1"))]), runID: "before", actor: ana, now: start)
        // Fridays now close at 19:00: a 1h timer from 17:55 falls due on Friday.
        c.week = #"{mon: ["09:00-18:00"], tue: ["09:00-18:00"], wed: ["09:00-18:00"], thu: ["09:00-18:00"], fri: ["09:00-19:00"]}"#
        try write(c, in: w)
        let service = try w.reopened()
        _ = try service.start(sop: "wait", ticket: .object([("id", .string("T-2"))]), runID: "after", actor: ana, now: start)
        let friday = try #require(CivilTime.parseDateTime("2025-01-10T18:55:00+01:00"))
        #expect(try service.tick(now: friday).transitions == 1)
        #expect(try service.journal("after").last?.at == friday)
        #expect(try service.journal("before").last?.to == "waiting")
        let monday = try #require(CivilTime.parseDateTime("2025-01-13T09:55:00+01:00"))
        #expect(try service.tick(now: monday).transitions == 1)
        #expect(try service.journal("before").last?.at == monday)
        #expect(try service.verify(nil).allSatisfy { $0.failure == nil })
        // The two runs are pinned to different digests: the SOP text is the same, the calendars differ.
        let (a, _) = try service.run("before"), (b, _) = try service.run("after")
        #expect(a.sopDigest != b.sopDigest)
    }

    /// An SOP whose timer names a calendar the folder lacks does not start, and says why.
    @Test func aMissingCalendarRefusesTheStart() throws {
        let w = try Workspace(["wait": Self.sop("4h")])
        #expect {
            _ = try w.service.start(sop: "wait", ticket: .object([("id", .string("T-1"))]), runID: "r1", actor: ana, now: t0)
        } throws: { error in
            "\(error)".contains("no calendar 'team' is defined") && "\(error)".contains("unknown-calendar")
        }
    }
}
