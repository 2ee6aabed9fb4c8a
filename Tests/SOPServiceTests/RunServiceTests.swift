import Foundation
import GRDB
import SOPCore
import SOPJSON
@testable import SOPService
import SOPStore
import SOPStoreSQLite
import StoreTestSupport
import Testing
import TestSupport

struct RunServiceTests {
    /// Run ids are `r-` and 12 hex digits; a bulk start draws its batch's ids in one read, and
    /// they are as distinct as ids drawn one by one.
    @Test func runIDsAreTwelveHexDigitsAndDistinct() {
        #expect(RunService.runID(0xABC) == "r-000000000abc")
        #expect(RunService.runID(UInt64.max) == "r-ffffffffffff")
        let ids = RunService.newRunIDs(5000) + (0..<100).map { _ in RunService.newRunID() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.count == 14 && $0.hasPrefix("r-") && $0.dropFirst(2).allSatisfy(\.isHexDigit) && $0 == $0.lowercased() })
        #expect(RunService.newRunIDs(0).isEmpty)
    }

    @Test func callStartsAChildAndItsOutcomeMovesTheParent() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation])
        let s = w.service
        _ = try s.start(sop: "complaint", ticket: .object([("id", .string("T-9"))]), runID: "c1", actor: ana, now: t0)
        let parent = try s.step("c1", .submit(inputs: [], event: "declined", checks: nil), actor: ana, now: t0 + 1000).run
        #expect(parent.state == "escalate")
        #expect(parent.child == "c1.1")
        let (child, _) = try s.run("c1.1")
        #expect(child.state == "assess")
        #expect(child.parent == "c1")
        #expect(child.ticket["escalated"] == .bool(true))
        // The child ends: in the same transaction, the parent sees child.outcome and moves on.
        _ = try s.step("c1.1", .submit(inputs: [], event: "fixed", checks: nil), actor: ana, now: t0 + 2000)
        let (after, _) = try s.run("c1")
        #expect(after.outcome == "closed")
        #expect(after.ticket["escalated"] == .bool(true))
        let kinds = try s.journal("c1").map(\.trigger.kind)
        #expect(kinds == [.start, .event, .child])
        #expect(try s.verify(nil).allSatisfy { $0.failure == nil })
    }

    @Test func childTimersAndTheTickReachTheParent() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation])
        let s = w.service
        _ = try s.start(sop: "complaint", ticket: .object([]), runID: "c1", actor: ana, now: t0)
        _ = try s.step("c1", .submit(inputs: [], event: "declined", checks: nil), actor: ana, now: t0)
        let (runs, transitions) = try s.tick(now: t0 + 3 * 86_400_000)
        #expect(runs == 1)
        #expect(transitions == 1)
        #expect(try s.run("c1").0.outcome == "failed")
        #expect(try s.verify(nil).allSatisfy { $0.failure == nil })
    }

    @Test func startIsIdempotentForTheSameSOPAndTicket() throws {
        let w = try Workspace(["escalation": escalation])
        let ticket = JSONValue.object([("id", .string("T-1"))])
        let a = try w.service.start(sop: "escalation", ticket: ticket, runID: "e1", actor: ana, now: t0)
        let b = try w.service.start(sop: "escalation", ticket: ticket, runID: "e1", actor: ana, now: t0 + 5000)
        #expect(a.version == b.version)
        #expect(throws: RunError.self) {
            try w.service.start(sop: "escalation", ticket: .object([("id", .string("T-2"))]), runID: "e1", actor: ana, now: t0)
        }
    }

    @Test func aRepeatedRequestIDAppliesOnce() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation])
        _ = try w.service.start(sop: "complaint", ticket: .object([]), runID: "c1", actor: ana, now: t0)
        let first = try w.service.step("c1", .submit(inputs: [], event: "accepted", checks: nil), actor: ana, now: t0, requestID: "req-1")
        let second = try w.service.step("c1", .submit(inputs: [], event: "accepted", checks: nil), actor: ana, now: t0, requestID: "req-1")
        #expect(!first.duplicate)
        #expect(second.duplicate)
        #expect(second.run.version == first.run.version)
        #expect(try w.service.journal("c1").count == 2)
    }

    @Test func aRejectedStepChangesNothing() throws {
        let w = try Workspace(["escalation": escalation])
        _ = try w.service.start(sop: "escalation", ticket: .object([]), runID: "e1", actor: ana, now: t0)
        #expect(throws: RunError.self) {
            try w.service.step("e1", .submit(inputs: [], event: "nope", checks: nil), actor: ana, now: t0)
        }
        #expect(try w.service.run("e1").0.version == 1)
        #expect(try w.service.journal("e1").count == 1)
    }

    @Test func unknownRunsAndSOPsAreErrors() throws {
        let w = try Workspace(["escalation": escalation])
        #expect { try w.service.run("nope") } throws: { if case RunError.unknownRun = $0 { return true } else { return false } }
        #expect { try w.service.start(sop: "escalaton", ticket: .object([]), runID: nil, actor: ana, now: t0) } throws: {
            if case RunError.unknownSOP(_, let known, _) = $0 { return known == ["escalation"] } else { return false }
        }
    }

    @Test func verifyCatchesATamperedJournal() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation])
        _ = try w.service.start(sop: "complaint", ticket: .object([]), runID: "c1", actor: ana, now: t0)
        _ = try w.service.step("c1", .submit(inputs: [], event: "accepted", checks: nil), actor: ana, now: t0)
        #expect(try w.service.verify("c1")[0].failure == nil)
        // Rewrite history: claim a different event in record 1, keeping the old hash.
        try w.service.store.transaction { tx in try tx.tamper(run: "c1", seq: 1, replacing: "accepted", with: "declined") }
        let result = try w.service.verify("c1")[0]
        #expect(result.failure?.seq == 1)
        #expect(result.failure?.reason.contains("hash does not match") == true)
    }

    /// Every run is verified a page of ids per read, each result handed over as it comes and the
    /// counts summed; progress hears the runs looked at of the runs in the store after each page.
    @Test func verifyEachStreamsEveryRunInPages() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation])
        for id in ["c5", "c1", "c4", "c2", "c3"] {
            _ = try w.service.start(sop: "complaint", ticket: .object([]), runID: id, actor: ana, now: t0)
        }
        _ = try w.service.step("c2", .submit(inputs: [], event: "accepted", checks: nil), actor: ana, now: t0)
        try w.service.store.transaction { tx in try tx.tamper(run: "c2", seq: 1, replacing: "accepted", with: "declined") }
        var seen: [String] = [], failed: [String] = [], progress: [String] = []
        let tally = try w.service.verifyEach(only: nil, page: 2, progress: { progress.append("\($0)/\($1)") }) { v in
            seen.append(v.run)
            if v.failure != nil { failed.append(v.run) }
        }
        #expect(seen == ["c1", "c2", "c3", "c4", "c5"])
        #expect(failed == ["c2"])
        let records = try ["c1", "c2", "c3", "c4", "c5"].map { try w.service.journal($0).count }.reduce(0, +)
        #expect(tally == VerificationTally(runs: 5, failed: 1, records: records))
        #expect(progress == ["0/5", "2/5", "4/5", "5/5"])
        // The array of every result is the same results, in the same order.
        #expect(try w.service.verify(nil).map(\.run) == seen)
        // Only the SOPs asked for: the pages still go over every run.
        var none = 0
        #expect(try w.service.verifyEach(only: ["escalation"], page: 2, progress: nil) { _ in none += 1 } == VerificationTally())
        #expect(none == 0)
    }

    @Test func verifyReplaysAgainstThePinnedSourceAfterTheFileChanges() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation])
        _ = try w.service.start(sop: "complaint", ticket: .object([]), runID: "c1", actor: ana, now: t0)
        _ = try w.service.step("c1", .submit(inputs: [], event: "accepted", checks: nil), actor: ana, now: t0)
        try complaint.replacingOccurrences(of: "accepted", with: "agreed")
            .write(to: w.dir.appendingPathComponent("sops/complaint.sop.yaml"), atomically: true, encoding: .utf8)
        let fresh = RunService(store: w.service.store, sopsFolder: w.service.catalogue.paths[0], schema: nil)
        #expect(try fresh.verify("c1")[0].failure == nil)
    }

    @Test func bulkStartReportsBadLinesAndStartsTheGoodOnes() throws {
        let schema = try TicketSchema.parse(bytes: Array(#"{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"escalated":{"type":"boolean"}}}"#.utf8), path: "s")
        let w = try Workspace(["escalation": escalation])
        let s = RunService(store: w.service.store, sopsFolder: w.service.catalogue.paths[0], schema: schema)
        let result = try s.startBulk(sop: "escalation", tickets: [(1, .object([("id", .string("a"))])), (2, .object([])),
                                                                   (3, .object([("id", .string("c"))]))], actor: ana, now: t0)
        #expect(result.started.count == 2)
        #expect(result.failed.map(\.line) == [2])
        #expect(result.failed[0].reason.contains("ticket.id: is required but missing"))
        // Each good line is a run with its start record, chained and verifiable.
        for id in result.started {
            let (run, _) = try s.run(id)
            #expect(run.state == "assess")
            #expect(run.ticket["escalated"] == .bool(true))
            #expect(try s.journal(id).count == 1)
        }
        #expect(try s.verify(nil).allSatisfy { $0.failure == nil })
    }

    /// Starting a run parses its SOP file once: the lint that checks it gives the SOP it runs.
    @Test func startingARunParsesItsSOPOnce() throws {
        let w = try Workspace(["escalation": escalation, "complaint": complaint])
        let before = SOPLoader.parsesOnThisThread
        _ = try w.service.start(sop: "escalation", ticket: .object([("id", .string("T-1"))]), runID: "p1", actor: ana, now: t0)
        #expect(SOPLoader.parsesOnThisThread - before == 1)
    }

    /// Generated run ids are `r-` and 12 lowercase hex digits, and do not repeat.
    @Test func generatedRunIDsHaveTheirFormAndDoNotRepeat() throws {
        let w = try Workspace(["escalation": escalation])
        let tickets = (1...2000).map { (line: $0, ticket: JSONValue.object([("id", .string("T-\($0)"))])) }
        let started = try w.service.startBulk(sop: "escalation", tickets: tickets, actor: ana, now: t0).started
        #expect(started.count == 2000 && Set(started).count == 2000)
        let form = try Regex("^r-[0-9a-f]{12}$")
        #expect(started.allSatisfy { $0.wholeMatch(of: form) != nil })
    }

    @Test func bulkStartOfAnSOPWhoseStartStateCallsAnotherStartsTheChildren() throws {
        let handoff = """
            sop: handoff
            version: 1
            title: Hand off
            start: escalate
            states:
              escalate:
                title: Escalate
                call: escalation
                transitions:
                  - to: done
                    when: child.outcome == 'resolved'
              done: {title: Done, end: done}
            """
        let w = try Workspace(["handoff": handoff, "escalation": escalation])
        let tickets: [(line: Int, ticket: JSONValue)] = (1...12).map { ($0, .object([("id", .string("T-\($0)"))])) }
        let result = try w.service.startBulk(sop: "handoff", tickets: tickets, actor: ana, now: t0, batch: 5)
        #expect(result.started.count == 12)
        #expect(result.failed.isEmpty)
        for id in result.started {
            let (run, _) = try w.service.run(id)
            #expect(run.child == id + ".1")
            let (child, _) = try w.service.run(id + ".1")
            #expect(child.parent == id)
            #expect(child.state == "assess")
        }
        #expect(try w.service.summaries(sop: nil, state: nil, waiting: true).count == 24)
    }
}

extension StoreTransaction {
    func tamper(run: String, seq: Int, replacing old: String, with new: String) throws {
        var lines = try journal(run).map { $0.json().render() }
        lines[seq] = lines[seq].replacingOccurrences(of: old, with: new)
        try rewriteJournal(run: run, seq: seq, record: lines[seq])
    }
}

/// The tick over many runs: each due run is stepped once, in creation order, with its steps
/// decided on all cores and written in one thread.
struct TickTests {
    static let timer = """
        sop: timer
        version: 1
        title: Follow up after an hour
        start: waiting
        states:
          waiting:
            title: Waiting
            transitions:
              - to: closed
                after: 1h
                when: ticket.priority == 'high'
                do:
                  - set: {ticket.status: closed}
          closed: {title: Closed, end: closed}
        """

    /// A reminder every minute, ticked a day late: 1,440 timers are due. A tick takes 1,000 and
    /// leaves the rest; a step is refused (and changes nothing) until a tick has caught up.
    @Test func aTimerLoopCatchesUpAThousandTimersPerTick() throws {
        let w = try Workspace(["remind": """
            sop: remind
            version: 1
            title: Remind every minute
            vars:
              sent: {type: integer, initial: 0}
            start: waiting
            states:
              waiting:
                title: Waiting
                transitions:
                  - to: waiting
                    after: 1m
                    do:
                      - set: {var.sent: "${{ var.sent + 1 }}"}
                  - to: done
                    on: answered
              done: {title: Done, end: answered}
            """])
        _ = try w.service.start(sop: "remind", ticket: .object([]), runID: "m1", actor: ana, now: t0)
        let late = t0 + 24 * 3_600_000
        #expect {
            try w.service.step("m1", .submit(inputs: [], event: "answered", checks: nil), actor: ana, now: late)
        } throws: { "\($0)".contains("more than 1000 timers of this run are due") }
        #expect(try w.service.run("m1").0.vars["sent"] == .integer(0))
        #expect(try w.service.tick(now: late) == (1, 1_000))
        let answered = try w.service.step("m1", .submit(inputs: [], event: "answered", checks: nil), actor: ana, now: late)
        #expect(answered.run.outcome == "answered")
        #expect(answered.run.vars["sent"] == .integer(1_440))
        // Ticks alone catch up too.
        _ = try w.service.start(sop: "remind", ticket: .object([]), runID: "m2", actor: ana, now: t0)
        #expect(try w.service.tick(now: late) == (1, 1_000))
        #expect(try w.service.tick(now: late) == (1, 440))
        #expect(try w.service.tick(now: late) == (0, 0))
        #expect(try w.service.verify(nil).allSatisfy { $0.failure == nil })
    }

    @Test func aRunWhoseTimerGuardDoesNotHoldIsLeftAndTheTickEnds() throws {
        let w = try Workspace(["timer": Self.timer])
        let tickets: [(line: Int, ticket: JSONValue)] = (0..<300).map { i in
            (i + 1, .object([("id", .string("T-\(i)")), ("priority", .string(i % 3 == 0 ? "low" : "high"))]))
        }
        let started = try w.service.startBulk(sop: "timer", tickets: tickets, actor: ana, now: t0).started
        #expect(started.count == 300)
        // Not due yet: nothing moves.
        #expect(try w.service.tick(now: t0 + 1_000, batch: 64) == (0, 0))
        // Due: the 200 high-priority runs close; the 100 low ones stay due but their guard does
        // not hold, and the tick still ends (each run is tried once per tick).
        let first = try w.service.tick(now: t0 + 2 * 3_600_000, batch: 64)
        #expect(first.transitions == 200)
        #expect(first.runs == 300)
        let second = try w.service.tick(now: t0 + 3 * 3_600_000, batch: 64)
        #expect(second.transitions == 0)
        let summaries = try w.service.summaries(sop: "timer", state: nil, waiting: false)
        #expect(summaries.filter { $0.status == "ended" }.count == 200)
        #expect(summaries.filter { $0.state == "waiting" }.count == 100)
        for id in started.prefix(6) {
            let (run, _) = try w.service.run(id)
            let high = run.ticket["priority"] == .string("high")
            #expect(run.isEnded == high)
            #expect(run.ticket["status"] == (high ? .string("closed") : nil))
        }
        #expect(try w.service.verify(nil).allSatisfy { $0.failure == nil })
    }

    @Test func aRunWhoseTimerCallsAMissingSOPIsUndoneAndTheOthersGoOn() throws {
        let ghostly = """
            sop: ghostly
            version: 1
            title: Calls an SOP that is not in the folder
            start: waiting
            states:
              waiting:
                title: Waiting
                transitions:
                  - {to: handoff, after: 1h}
              handoff:
                title: Hand off
                call: ghost
                transitions:
                  - {to: done, when: "child.outcome == 'done'"}
              done: {title: Done, end: done}
            """
        let w = try Workspace(["timer": Self.timer, "ghostly": ghostly])
        let g = try w.service.start(sop: "ghostly", ticket: .object([]), runID: "g", actor: ana, now: t0)
        let h = try w.service.start(sop: "timer", ticket: .object([("priority", .string("high"))]), runID: "h", actor: ana, now: t0)
        let result = try w.service.tick(now: t0 + 2 * 3_600_000, batch: 10)
        #expect(result.transitions == 1)
        let (ghost, _) = try w.service.run(g.id)
        #expect(ghost.state == "waiting")
        #expect(ghost.version == g.version)
        #expect(try w.service.journal(g.id).count == 1)
        #expect(try w.service.run(h.id).0.isEnded)
        #expect(try w.service.verify(nil).allSatisfy { $0.failure == nil })
    }
}
