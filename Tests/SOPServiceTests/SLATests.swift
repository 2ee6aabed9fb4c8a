import Foundation
import SOPCore
import SOPExpression
import SOPJSON
@testable import SOPService
import SOPStore
import StoreTestSupport
import Testing
import TestSupport

/// SLA targets (`sla:`, docs/sla.md) in runs: clocks that start, pause, resume, stop, warn,
/// breach and follow a reclassified ticket, each an SLA record that replay reproduces.
@Suite struct SLATests {
    static let calendar = """
        calendar: office
        time_zone: Europe/Berlin
        week: {mon: ["09:00-18:00"], tue: ["09:00-18:00"], wed: ["09:00-18:00"], thu: ["09:00-18:00"], fri: ["09:00-18:00"]}
        holidays: [{every_year: 12-25}]
        """

    static let sop = """
        sop: care
        version: 1
        title: Care
        roles: [agent, supervisor]
        sla:
          calendar: office
          targets:
            first_response:
              target: {by: ticket.priority, values: {urgent: 1h, high: 4h}, default: 8h}
              pause: [waiting_on_customer]
              stop: [replied, closed]
              warning: 75%
            resolution:
              target: 5d
              start: [replied]
              stop: [closed]
        start: open
        states:
          open:
            title: Open
            transitions:
              - {to: waiting_on_customer, on: ask}
              - {to: replied, on: reply}
              - to: escalated
                on: sla.first_response.breached
                do:
                  - notify: {to: "role:supervisor", template: "First response to ${{ ticket.id }} is late"}
              - to: open
                on: sla.first_response.warning
                do:
                  - notify: {to: "role:agent", template: "Reply to ${{ ticket.id }} soon"}
          waiting_on_customer:
            title: Waiting on the customer
            transitions:
              - {to: open, on: answered}
          escalated:
            title: Escalated
            transitions:
              - {to: replied, on: reply}
          replied:
            title: Replied
            transitions:
              - {to: closed, on: close}
          closed: {title: Closed, end: closed}
        """

    func workspace() throws -> Workspace {
        let w = try Workspace(["care": Self.sop])
        let folder = w.dir.appendingPathComponent("sops/calendars")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.calendar.write(to: folder.appendingPathComponent("office.calendar.yaml"), atomically: true, encoding: .utf8)
        return w
    }

    func t(_ local: String) -> Int64 { CivilTime.parseDateTime(local + ":00+01:00")! }

    func ticket(_ priority: String) -> JSONValue { .object([("id", .string("T-1")), ("priority", .string(priority))]) }

    func event(_ e: String) -> StepCommand { .submit(inputs: [], event: e, checks: nil) }

    func sla(_ w: Workspace, _ id: String, _ target: String, now: Int64) throws -> SLAStatus {
        let (run, engine, _) = try w.service.projected(id, now: now)
        return try #require(engine.slaStatus(run, now: now).first { $0.target == target })
    }

    func slaEvents(_ w: Workspace, _ id: String) throws -> [String] {
        try w.service.journal(id).compactMap { r in
            guard case .string(let target)? = r.trigger.sla?["target"], case .string(let e)? = r.trigger.sla?["event"] else { return nil }
            return "\(target) \(e)"
        }
    }

    /// The case: a 4h target started Monday 10:00, paused 12:00–20:00, is due Tuesday 11:00.
    @Test func aPauseKeepsTheTimeUsed() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "care", ticket: ticket("high"), runID: "r1", actor: ana, now: t("2025-01-13T10:00"))
        #expect(try sla(w, "r1", "first_response", now: t("2025-01-13T10:00")).due == t("2025-01-13T14:00"))
        _ = try w.service.step("r1", event("ask"), actor: ana, now: t("2025-01-13T12:00"))
        let paused = try sla(w, "r1", "first_response", now: t("2025-01-13T15:00"))
        #expect(paused.status == "paused" && paused.due == nil && paused.remaining == 2 * 3_600_000)
        _ = try w.service.step("r1", event("answered"), actor: ana, now: t("2025-01-13T20:00"))
        let resumed = try sla(w, "r1", "first_response", now: t("2025-01-13T20:00"))
        #expect(resumed.status == "running")
        #expect(resumed.due == t("2025-01-14T11:00"))
        #expect(resumed.calendar.format(resumed.due!) == "2025-01-14T11:00:00+01:00")
        #expect(try slaEvents(w, "r1") == ["first_response started", "first_response paused", "first_response resumed"])
    }

    /// A reader whose clock is behind the clock's last change (another server's, ahead; or one
    /// stepped back) counts no negative time: the time left is what it was at that change, never
    /// more than the target (issue 38).
    @Test func aReaderWhoseClockIsBehindCountsNoNegativeTime() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "care", ticket: ticket("high"), runID: "r1", actor: ana, now: t("2025-01-13T10:00"))
        let behind = try sla(w, "r1", "first_response", now: t("2025-01-13T09:00"))
        #expect(behind.remaining == 4 * 3_600_000 && behind.due == t("2025-01-13T14:00"))
        // Paused at 12:00 and resumed at 13:00: read at 12:30 by a clock behind, 2h are left.
        _ = try w.service.step("r1", event("ask"), actor: ana, now: t("2025-01-13T12:00"))
        _ = try w.service.step("r1", event("answered"), actor: ana, now: t("2025-01-13T13:00"))
        let resumed = try sla(w, "r1", "first_response", now: t("2025-01-13T12:30"))
        #expect(resumed.remaining == 2 * 3_600_000 && resumed.due == t("2025-01-13T15:00"))
    }

    /// The breach fires at the due time exactly, as an SLA record that takes the state's
    /// transition on `sla.first_response.breached`; the warning came at 75% of the target.
    @Test func warningAndBreachFireAtTheirInstants() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "care", ticket: ticket("high"), runID: "r1", actor: ana, now: t("2025-01-13T10:00"))
        #expect(try w.service.tick(now: t("2025-01-13T12:59")).transitions == 0)
        #expect(try w.service.tick(now: t("2025-01-13T13:00")).transitions == 1)
        let warning = try #require(try w.service.journal("r1").last)
        #expect(warning.at == t("2025-01-13T13:00") && warning.trigger.kind == .sla && warning.to == "open")
        #expect(try w.service.run("r1").0.outbox.last?["text"] == .string("Reply to T-1 soon"))
        #expect(try w.service.tick(now: t("2025-01-13T13:59")).transitions == 0)
        #expect(try w.service.tick(now: t("2025-01-13T14:00")).transitions == 1)
        let breach = try #require(try w.service.journal("r1").last)
        #expect(breach.at == t("2025-01-13T14:00") && breach.to == "escalated" && breach.trigger.moved)
        #expect(breach.trigger.sla?["event"] == .string("breached"))
        #expect(breach.trigger.sla?["calendar"].map { if case .string(let s) = $0 { s.hasPrefix("sha256:") } else { false } } == true)
        #expect(breach.trigger.sla?["policy"].map { if case .string(let s) = $0 { s.hasPrefix("sha256:") } else { false } } == true)
        // Replying late stops the clock: breached stays breached; the resolution clock starts.
        _ = try w.service.step("r1", event("reply"), actor: ana, now: t("2025-01-13T15:00"))
        #expect(try sla(w, "r1", "first_response", now: t("2025-01-13T15:00")).status == "breached")
        let resolution = try sla(w, "r1", "resolution", now: t("2025-01-13T15:00"))
        #expect(resolution.status == "running" && resolution.due == t("2025-01-20T15:00"))
        #expect(try w.service.verify("r1").allSatisfy { $0.failure == nil })
    }

    @Test func aReplyInTimeMeetsTheTarget() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "care", ticket: ticket("urgent"), runID: "r1", actor: ana, now: t("2025-01-10T17:30"))
        // Urgent: 1h from Friday 17:30 is Monday 09:30; a reply at 09:29 is in time.
        #expect(try sla(w, "r1", "first_response", now: t("2025-01-10T17:30")).due == t("2025-01-13T09:30"))
        _ = try w.service.step("r1", event("reply"), actor: ana, now: t("2025-01-13T09:29"))
        #expect(try sla(w, "r1", "first_response", now: t("2025-01-14T00:00")).status == "met")
        #expect(try slaEvents(w, "r1") == ["first_response started", "first_response warning", "first_response met", "resolution started"])
        _ = try w.service.step("r1", event("close"), actor: ana, now: t("2025-01-14T09:00"))
        #expect(try slaEvents(w, "r1").last == "resolution met")
        // Both clocks have stopped: nothing is left to fire.
        #expect(try w.service.tick(now: t("2025-02-01T00:00")).transitions == 0)
        #expect(try w.service.verify("r1").allSatisfy { $0.failure == nil })
    }

    /// A priority change mid-SLA: the due time becomes start + the new target, later by the time
    /// paused; a due time already past is a breach by reclassification, at the change.
    @Test func reclassificationMovesTheDueTimeOrBreaches() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "care", ticket: ticket("normal"), runID: "r1", actor: ana, now: t("2025-01-13T10:00"))
        #expect(try sla(w, "r1", "first_response", now: t("2025-01-13T10:00")).due == t("2025-01-13T18:00"))
        _ = try w.service.step("r1", event("ask"), actor: ana, now: t("2025-01-13T11:00"))
        _ = try w.service.step("r1", event("answered"), actor: ana, now: t("2025-01-13T12:00"))
        _ = try w.service.step("r1", .update(patch: .object([("priority", .string("high"))])), actor: ana, now: t("2025-01-13T12:30"))
        // 10:00 + 4h = 14:00, and one hour paused: 15:00.
        #expect(try sla(w, "r1", "first_response", now: t("2025-01-13T12:30")).due == t("2025-01-13T15:00"))
        _ = try w.service.step("r1", .update(patch: .object([("priority", .string("urgent"))])), actor: ana, now: t("2025-01-13T12:30"))
        // 10:00 + 1h + 1h paused = 12:00, already past at 12:30: breached now, by reclassification.
        let last = try #require(try w.service.journal("r1").last)
        #expect(last.at == t("2025-01-13T12:30") && last.to == "escalated")
        #expect(last.trigger.sla?["event"] == .string("breached") && last.trigger.sla?["reason"] == .string("reclassification"))
        #expect(try slaEvents(w, "r1").suffix(3) == ["first_response reclassified", "first_response reclassified", "first_response breached"])
        #expect(try w.service.verify("r1").allSatisfy { $0.failure == nil })
    }

    /// `sop runs --sort sla-due` and `--breached` read what the store keeps of each run's clocks.
    @Test func runsAreListedByTheirNearestDueTimeAndBreach() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "care", ticket: ticket("normal"), runID: "late-start", actor: ana, now: t("2025-01-13T10:00"))
        _ = try w.service.start(sop: "care", ticket: ticket("high"), runID: "high", actor: ana, now: t("2025-01-13T11:00"))
        _ = try w.service.start(sop: "care", ticket: ticket("urgent"), runID: "urgent", actor: ana, now: t("2025-01-13T11:30"))
        _ = try w.service.start(sop: "care", ticket: ticket("urgent"), runID: "replied", actor: ana, now: t("2025-01-13T11:30"))
        _ = try w.service.step("replied", event("reply"), actor: ana, now: t("2025-01-13T11:45"))
        let byDue = try w.service.runs(RunFilter(bySLADue: true), as: .system).runs
        // urgent 12:30, high 15:00, normal 18:00; then the replied run's resolution clock (5d).
        #expect(byDue.map(\.run) == ["urgent", "high", "late-start", "replied"])
        #expect(byDue.first?.slaDue == t("2025-01-13T12:30"))
        #expect(try w.service.runs(RunFilter(limit: 2, bySLADue: true), as: .system).runs.map(\.run) == ["urgent", "high"])
        #expect(try w.service.runs(RunFilter(slaBreached: true), as: .system).runs.isEmpty)
        _ = try w.service.tick(now: t("2025-01-13T12:30"))
        #expect(try w.service.runs(RunFilter(slaBreached: true), as: .system).runs.map(\.run) == ["urgent"])
        #expect(try w.service.runs(RunFilter(bySLADue: true), as: .system).runs.map(\.run) == ["high", "late-start", "replied"])
    }

    @Test func noOneSendsAnSLAEvent() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "care", ticket: ticket("high"), runID: "r1", actor: ana, now: t("2025-01-13T10:00"))
        #expect {
            _ = try w.service.step("r1", event("sla.first_response.breached"), actor: ana, now: t("2025-01-13T10:05"))
        } throws: { "\($0)".contains("comes from the SLA clock") }
        #expect(try w.service.projected("r1", now: t("2025-01-13T10:05")).run.state == "open")
    }

    /// Random commands at random times, with ticks between them: whatever the order, every
    /// run verifies (replay reproduces each SLA record), and a tick never finds more to do
    /// than the commands left (no SLA event fires twice).
    @Test func randomHistoriesReplay() throws {
        let w = try workspace()
        var rng = SplitMix64(seed: 22)
        let events = ["ask", "answered", "reply", "close"]
        for n in 0..<40 {
            let id = "r\(n)"
            var now = t("2025-01-10T08:00") + Int64(rng.next() % 200) * 900_000
            _ = try w.service.start(sop: "care", ticket: ticket(["normal", "high", "urgent"][Int(rng.next() % 3)]), runID: id, actor: ana, now: now)
            for _ in 0..<8 {
                now += Int64(rng.next() % 48) * 900_000
                switch rng.next() % 4 {
                case 0: _ = try w.service.tick(now: now)
                case 1: _ = try? w.service.step(id, .update(patch: .object([("priority", .string(["normal", "high", "urgent"][Int(rng.next() % 3)]))])),
                                                actor: ana, now: now)
                default: _ = try? w.service.step(id, event(events[Int(rng.next() % 4)]), actor: ana, now: now)
                }
            }
            let journal = try w.service.journal(id)
            #expect(zip(journal, journal.dropFirst()).allSatisfy { $0.at <= $1.at }, "\(id): the journal's times go back")
            let breaches = journal.filter { $0.trigger.sla?["event"] == .string("breached") && $0.trigger.sla?["target"] == .string("first_response") }
            #expect(breaches.count <= 1, "\(id) breached twice")
        }
        #expect(try w.service.verify(nil).allSatisfy { $0.failure == nil })
    }
}
