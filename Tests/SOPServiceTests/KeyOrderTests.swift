import Foundation
import GRDB
import SOPCore
import SOPJSON
@testable import SOPService
import SOPStore
import StoreTestSupport
import Testing
import TestSupport

/// The members of a JSON object have no order: a ticket whose nested objects come in any key
/// order runs, records and verifies as the same ticket (issue 32, item 1), and journals written
/// by sopkit before it knew this still verify.
@Suite struct KeyOrderTests {
    /// A ticket with a nested object whose members are not in sorted order.
    static let ticket = JSONValue.object([("id", .string("T-9")), ("customer", .object([("name", .string("Ada")), ("id", .string("C-1"))]))])

    /// A parent and the child it calls, run to the child's end.
    func calledChildEnded(_ w: Workspace) throws {
        _ = try w.service.start(sop: "complaint", ticket: Self.ticket, runID: "c1", actor: ana, now: t0)
        _ = try w.service.step("c1", .submit(inputs: [], event: "declined", checks: nil), actor: ana, now: t0 + 1000)
        _ = try w.service.step("c1.1", .submit(inputs: [], event: "fixed", checks: nil), actor: ana, now: t0 + 2000)
    }

    @Test func aCalledChildEndingWithANestedTicketRecordsNoChangeOfOrderAndVerifies() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation])
        try calledChildEnded(w)
        let childEnd = try #require(try w.service.journal("c1").first { $0.trigger.kind == .child })
        #expect(childEnd.changes.map(\.path) == ["ticket.escalated"])
        let results = try w.service.verify(nil)
        #expect(results.count == 2)
        for r in results { #expect(r.failure == nil, "\(r.run): \(r.failure?.reason ?? "")") }
        // A reader of the ticket sees the customer as given, in any order.
        #expect(try w.service.run("c1").0.ticket["customer"] == .object([("id", .string("C-1")), ("name", .string("Ada"))]))
    }

    /// A change the parent's ticket got while its child ran is kept when the child ends: the
    /// parent takes what the child changed, merged into its ticket as it is then.
    @Test func aParentKeepsItsOwnTicketChangesWhenItsChildEnds() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation])
        _ = try w.service.start(sop: "complaint", ticket: Self.ticket, runID: "c1", actor: ana, now: t0)
        _ = try w.service.step("c1", .submit(inputs: [], event: "declined", checks: nil), actor: ana, now: t0 + 1000)
        let patch = JSONValue.object([("priority", .string("urgent")), ("customer", .object([("name", .string("Ada B."))]))])
        _ = try w.service.step("c1", .update(patch: patch), actor: ana, now: t0 + 1500)
        _ = try w.service.step("c1.1", .submit(inputs: [], event: "fixed", checks: nil), actor: ana, now: t0 + 2000)
        let ticket = try w.service.run("c1").0.ticket
        #expect(ticket["priority"] == .string("urgent"))
        #expect(ticket["customer"] == .object([("id", .string("C-1")), ("name", .string("Ada B."))]))
        #expect(ticket["escalated"] == .bool(true))  // the child's change
        let childEnd = try #require(try w.service.journal("c1").first { $0.trigger.kind == .child })
        #expect(childEnd.changes.map(\.path) == ["ticket.escalated"])
        for r in try w.service.verify(nil) { #expect(r.failure == nil, "\(r.run): \(r.failure?.reason ?? "")") }
    }

    @Test func aTicketUpdateThatChangesNothingWritesNoRecord() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation])
        _ = try w.service.start(sop: "complaint", ticket: Self.ticket, runID: "c1", actor: ana, now: t0)
        let before = try w.service.journal("c1").count
        // The same customer in another key order, and a field set to the value it has.
        let patch = JSONValue.object([("customer", .object([("id", .string("C-1")), ("name", .string("Ada"))])), ("id", .string("T-9"))])
        let after = try w.service.step("c1", .update(patch: patch), actor: ana, now: t0 + 1000).run
        #expect(try w.service.journal("c1").count == before)
        #expect(after.version == 1)
        // A patch that changes one field records that field only.
        let real = JSONValue.object([("customer", .object([("id", .string("C-1")), ("name", .string("Ada B."))])), ("id", .string("T-9"))])
        _ = try w.service.step("c1", .update(patch: real), actor: ana, now: t0 + 2000)
        let record = try #require(try w.service.journal("c1").last)
        #expect(record.changes.map(\.path) == ["ticket.customer"])
        #expect(try w.service.verify(nil).allSatisfy { $0.failure == nil })
    }

    // MARK: Journals written before

    /// Rewrites a run's journal in a SQLite store as an earlier sopkit could have written it:
    /// `edit` changes the records, which are then chained and hashed again, and the run's
    /// `last_hash` follows.
    func rewrite(_ w: Workspace, run: String, _ edit: (inout [JournalRecord]) -> Void) throws {
        var records = try w.service.journal(run)
        edit(&records)
        let queue = try DatabaseQueue(path: w.location)
        try queue.write { db in
            try db.execute(sql: "DELETE FROM journal WHERE run = ?", arguments: [run])
            var prev: String?
            for (i, var record) in records.enumerated() {
                record.seq = i
                let row = JournalRow(sealing: &record, after: prev)
                prev = row.hash
                try db.execute(sql: "INSERT INTO journal (run, seq, hash, record) VALUES (?, ?, ?, ?)",
                               arguments: [row.run, row.seq, row.hash, row.text])
            }
            let data = try String.fetchOne(db, sql: "SELECT data FROM runs WHERE id = ?", arguments: [run]) ?? ""
            guard case .object(var members) = try JSONParser.parse(data) else { Issue.record("the run's data is not an object"); return }
            members["last_hash"] = .optional(prev)
            members["next_seq"] = .int(records.count)
            if let version = records.last?.version { members["version"] = .int(version) }
            try db.execute(sql: "UPDATE runs SET data = ?, version = ? WHERE id = ?",
                           arguments: [JSONValue.object(members).render(), records.last?.version ?? 0, run])
        }
    }

    static let chase = """
        sop: chase
        version: 1
        title: Chase
        start: new
        states:
          new:
            title: New
            transitions:
              - {to: waiting, on: replied}
          waiting:
            title: Waiting
            transitions:
              - to: chased
                after: ${{ datetime('2026-11-02T09:30:00Z') - now }}
          chased:
            title: Chased
            transitions:
              - {to: done, on: close}
          done: {title: Done, end: done}
        """

    /// A computed timer whose deadline has passed when its state is entered fires at the entry,
    /// not at the deadline before it (issue 38); a journal of sopkit before 2026-12, which
    /// recorded it at the deadline, still verifies.
    @Test func aComputedTimerPastWhenItsStateIsEnteredFiresAtTheEntryAndOldJournalsStillVerify() throws {
        let w = try Workspace(["chase": Self.chase], sqlite: true)
        let minute: Int64 = 60_000
        _ = try w.service.start(sop: "chase", ticket: .object([("id", .string("T-1"))]), runID: "c1", actor: ana, now: t0)
        _ = try w.service.step("c1", .submit(inputs: [], event: "replied", checks: nil), actor: ana, now: t0 + 60 * minute)
        #expect(try w.service.tick(now: t0 + 120 * minute).transitions == 1)
        let journal = try w.service.journal("c1")
        #expect(journal.map(\.at) == [t0, t0 + 60 * minute, t0 + 60 * minute])
        #expect(journal.last?.trigger.kind == .timer && journal.last?.to == "chased")
        #expect(try w.service.verify(nil).allSatisfy { $0.failure == nil })

        // The same run as sopkit wrote it before: the timer at its deadline, 09:30, half an hour
        // before the state's entry, and the state it led to entered then.
        try rewrite(w, run: "c1") { records in records[2].at = t0 + 30 * minute }
        let queue = try DatabaseQueue(path: w.location)
        try queue.write { db in
            let data = try #require(try String.fetchOne(db, sql: "SELECT data FROM runs WHERE id = 'c1'"))
            guard case .object(var members) = try JSONParser.parse(data) else { Issue.record("the run's data is not an object"); return }
            members["entered_at"] = .int(Int(t0 + 30 * minute))
            try db.execute(sql: "UPDATE runs SET data = ? WHERE id = 'c1'", arguments: [JSONValue.object(members).render()])
        }
        #expect(try w.service.journal("c1").map(\.at) == [t0, t0 + 60 * minute, t0 + 30 * minute])
        for r in try w.service.verify(nil) { #expect(r.failure == nil, "\(r.run): \(r.failure?.reason ?? "")") }
        // A record edited to any other time is still caught.
        try rewrite(w, run: "c1") { records in records[2].at = t0 + 40 * minute }
        #expect(try w.service.verify("c1").first?.failure != nil)
    }

    @Test func aJournalWithAChangeOfKeyOrderOnlyStillVerifies() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation], sqlite: true)
        try calledChildEnded(w)
        let unordered = Self.ticket["customer"]!
        let sorted = JSONValue.object([("id", .string("C-1")), ("name", .string("Ada"))])
        // As sopkit before 2026-12 recorded it: the customer "changed" from one order to the other.
        try rewrite(w, run: "c1") { records in
            let i = records.firstIndex { $0.trigger.kind == .child }!
            records[i].changes.insert(JournalChange(path: "ticket.customer", old: unordered, new: sorted), at: 0)
        }
        #expect(try w.service.journal("c1").contains { $0.changes.contains { $0.path == "ticket.customer" } })
        for r in try w.service.verify(nil) { #expect(r.failure == nil, "\(r.run): \(r.failure?.reason ?? "")") }

        // The forgiveness covers nothing else: a change of a real value is still caught.
        try rewrite(w, run: "c1") { records in
            let i = records.firstIndex { $0.trigger.kind == .child }!
            records[i].changes[0].new = .object([("id", .string("C-2")), ("name", .string("Ada"))])
        }
        let failure = try #require(try w.service.verify("c1").first?.failure)
        #expect(failure.reason.contains("replay gives a different record"))
    }

    @Test func aJournalWithARecordOfAnUpdateThatChangedNothingStillVerifies() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation], sqlite: true)
        _ = try w.service.start(sop: "complaint", ticket: Self.ticket, runID: "c1", actor: ana, now: t0)
        _ = try w.service.step("c1", .submit(inputs: [], event: "declined", checks: nil), actor: ana, now: t0 + 2000)
        // As sopkit before 2026-12 wrote a helpdesk update that changed nothing, between the
        // start and the step: a record without a move, its own step.
        let patch = JSONValue.object([("customer", .object([("id", .string("C-1")), ("name", .string("Ada"))]))])
        try rewrite(w, run: "c1") { records in
            var noop = records[0]
            noop.from = records[0].to
            noop.at = t0 + 1000
            noop.actor = Actor(id: "helpdesk", role: "system")
            noop.trigger = JournalTrigger(kind: .input, ticket: patch, moved: false)
            noop.changes = [JournalChange(path: "ticket.customer", old: Self.ticket["customer"]!, new: patch["customer"]!)]
            noop.effects = []
            noop.version = 2
            for k in 1..<records.count { records[k].version! += 1 }
            records.insert(noop, at: 1)
        }
        #expect(try w.service.journal("c1").count == 3)
        for r in try w.service.verify(nil) { #expect(r.failure == nil, "\(r.run): \(r.failure?.reason ?? "")") }
    }
}

/// A run's records never go back in time (issue 32, item 15).
@Suite struct TimeOrderTests {
    static let reminder = """
        sop: reminder
        version: 1
        title: Remind
        start: wait
        states:
          wait:
            title: Wait
            transitions:
              - {to: wait, after: 1h}
              - {to: done, on: answered}
          done: {title: Done, end: done}
        """

    @Test func aCommandEarlierThanTheRunsLastChangeIsRefusedAndChangesNothing() throws {
        let w = try Workspace(["reminder": Self.reminder])
        _ = try w.service.start(sop: "reminder", ticket: .object([("id", .string("T-1"))]), runID: "r1", actor: ana, now: t0)
        // A tick given a time ten hours ahead takes ten reminders.
        _ = try w.service.tick(now: t0 + 10 * 3_600_000)
        let journal = try w.service.journal("r1")
        #expect(journal.count == 11)
        // A command at the real time, an hour in, would be recorded before them: refused.
        #expect {
            _ = try w.service.step("r1", .submit(inputs: [], event: "answered", checks: nil), actor: ana, now: t0 + 3_600_000)
        } throws: { error in
            guard case RunError.rejected(let r) = error else { return false }
            return r.reason.contains("was last changed at 2026-11-02T19:00:00Z, later than this command's time, 2026-11-02T10:00:00Z")
                && r.reason.contains("never go back in time")
        }
        #expect {
            _ = try w.service.step("r1", .update(patch: .object([("priority", .string("high"))])), actor: ana, now: t0 + 3_600_000)
        } throws: { _ in true }
        // A tick at the real time leaves the run as it is.
        _ = try w.service.tick(now: t0 + 2 * 3_600_000)
        #expect(try w.service.journal("r1") == journal)
        // At or after its last change, commands go through.
        let run = try w.service.step("r1", .submit(inputs: [], event: "answered", checks: nil), actor: ana, now: t0 + 10 * 3_600_000).run
        #expect(run.outcome == "done")
        let times = try w.service.journal("r1").map(\.at)
        #expect(times == times.sorted())
        #expect(try w.service.verify(nil).allSatisfy { $0.failure == nil })
    }
    /// Two servers share a store and one's clock is behind (stepped back by NTP, say): a command
    /// it stamps with its own clock is recorded at the run's last change, not refused and not
    /// before it (issue 38); a time the user gave is still refused (the test above).
    @Test func aCommandStampedByAClockBehindIsRecordedAtTheRunsLastChange() throws {
        let w = try Workspace(["reminder": Self.reminder])
        _ = try w.service.start(sop: "reminder", ticket: .object([("id", .string("T-1"))]), runID: "r1", actor: ana, now: t0)
        _ = try w.service.start(sop: "reminder", ticket: .object([("id", .string("T-2"))]), runID: "r2", actor: ana, now: t0)
        // The other server, an hour ahead, changed both runs at t0 + 2h.
        let ahead = t0 + 2 * 3_600_000, behind = t0 + 3_600_000
        _ = try w.service.step("r1", .update(patch: .object([("priority", .string("high"))])), actor: ana, now: ahead)
        _ = try w.service.step("r2", .update(patch: .object([("priority", .string("high"))])), actor: ana, now: ahead)
        // One by one (sop step without --now) and in a server's batch.
        let update = try w.service.step(StepRequest(run: "r1", command: .update(patch: .object([("priority", .string("low"))])),
                                                    who: .actor(ana), now: behind, stamp: .clock))
        #expect(update.run.updatedAt == ahead)
        let batch = w.service.stepBatch([
            StepRequest(run: "r1", command: .submit(inputs: [], event: "answered", checks: nil), who: .actor(ana), now: behind, stamp: .clock),
            StepRequest(run: "r2", command: .submit(inputs: [], event: "answered", checks: nil), who: .actor(ana), now: behind, stamp: .clock),
        ])
        for (id, result) in zip(["r1", "r2"], batch) {
            let run = try result.get().run
            #expect(run.outcome == "done" && run.updatedAt == ahead)
            let times = try w.service.journal(id).map(\.at)
            #expect(times.last == ahead && times == times.sorted(), "\(times)")
        }
        #expect(try w.service.verify(nil).allSatisfy { $0.failure == nil })
    }

    /// A timer that moves a parent into a call state starts the child at the timer's due time,
    /// and a child that ends by its own timer tells its parent at that time: whenever the tick
    /// runs, every record says when it happened (a new user's report: the child of a parent whose
    /// timer fell due 34 days before the tick started at the tick's time).
    @Test func runsATimerStartsOrEndsRecordTheTimersTimeNotTheTicks() throws {
        let handoff = """
            sop: handoff
            version: 1
            title: Hand off after an hour
            start: wait
            states:
              wait:
                title: Wait
                transitions:
                  - {to: check, after: 1h}
              check:
                title: Check
                call: checker
                transitions:
                  - {to: done, when: "child.outcome == 'checked'"}
              done: {title: Done, end: done}
            """
        let checker = """
            sop: checker
            version: 1
            title: Check for two hours
            start: checking
            states:
              checking:
                title: Checking
                transitions:
                  - {to: checked, after: 2h}
              checked: {title: Checked, end: checked}
            """
        let w = try Workspace(["handoff": handoff, "checker": checker])
        _ = try w.service.start(sop: "handoff", ticket: .object([("id", .string("T-1"))]), runID: "h", actor: ana, now: t0)
        // One tick, ten hours late, takes the parent's timer, starts the child, takes the child's
        // timer and hands its outcome back.
        _ = try w.service.tick(now: t0 + 10 * 3_600_000)
        let hour: Int64 = 3_600_000
        let parent = try w.service.journal("h")
        let child = try w.service.journal("h.1")
        #expect(parent.map(\.at) == [t0, t0 + hour, t0 + 3 * hour])
        #expect(child.map(\.at) == [t0 + hour, t0 + 3 * hour])
        #expect(try w.service.run("h").0.outcome == "done")
        #expect(try w.service.verify(nil).allSatisfy { $0.failure == nil })
    }
}

/// A refused event says what the user likely meant, and a run that waits for its child says so
/// (a new user's afternoon: `--event submti` on a parent waiting for its child said only that the
/// event is not possible).
@Suite struct EventRefusalTests {
    @Test func aMisspeltEventGetsASuggestionAndAWaitingParentPointsToItsChild() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation])
        _ = try w.service.start(sop: "complaint", ticket: .object([("id", .string("T-1"))]), runID: "c1", actor: ana, now: t0)
        func refusal(_ event: String, _ at: Int64) -> StepRejection? {
            do {
                _ = try w.service.step("c1", .submit(inputs: [], event: event, checks: nil), actor: ana, now: at)
                return nil
            } catch RunError.rejected(let r) { return r } catch { return nil }
        }
        let typo = try #require(refusal("declind", t0 + 1000))
        #expect(typo.instead.first == "did you mean 'declined'?", "\(typo.instead)")
        _ = try w.service.step("c1", .submit(inputs: [], event: "declined", checks: nil), actor: ana, now: t0 + 2000)
        let waiting = try #require(refusal("fixed", t0 + 3000))
        #expect(waiting.reason == "event 'fixed' is not possible in state 'escalate'")
        #expect(waiting.instead.contains("the run waits for its child run c1.1: step that run"), "\(waiting.instead)")
    }
}
