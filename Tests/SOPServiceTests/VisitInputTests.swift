import Foundation
import SOPCore
import SOPDiagnostics
import SOPJSON
@testable import SOPService
import SOPStore
import StoreTestSupport
import Testing

/// Inputs with `scope: visit` (issue 36) through the service and the store under test (SQLite,
/// or PostgreSQL when `SOP_TEST_POSTGRES` is set): forgetting them on entry is the engine's, so
/// `sop verify` replays it, and a journal edited to drop a confirmation no longer replays.
@Suite struct VisitInputTests {
    static func retail(version: Int = 1, scope: String = "visit") -> String {
        """
        sop: retail
        version: \(version)
        title: Retail service
        start: serving
        states:
          serving:
            title: Serving the customer
            inputs:
              order_id: {type: string, required: false}
              confirmed: {type: boolean, required: false, scope: \(scope)}
            transitions:
              - to: serving
                on: modify_pending_order
                when: input.confirmed == true and ticket.priority != 'urgent'
                do:
                  - set: {ticket.priority: high}
              - to: serving
                on: cancel_pending_order
                when: input.confirmed == true and ticket.status == 'pending'
                do:
                  - set: {ticket.status: closed}
              - to: done
                on: finish
          done: {title: Done, end: done}
        """
    }

    static let ticket = JSONValue.object([("id", .string("T-1")), ("status", .string("pending"))])

    func write(_ s: RunService, _ event: String, confirmed: Bool, at minute: Int64) throws -> RunState {
        let inputs = confirmed ? [("confirmed", "true")] : []
        return try s.step("r", .submit(inputs: inputs, event: event, checks: nil), actor: ana, now: t0 + minute * 60_000).run
    }

    func expectRefused(_ body: () throws -> Void, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) { try body() } throws: { error in
            guard case RunError.rejected(let rejection) = error else { return false }
            return rejection.reason == reason
        }
    }

    @Test func aConfirmationIsForgottenOnTheLoopBackAndVerifyReplaysIt() throws {
        let w = try Workspace(["retail": Self.retail()])
        let s = w.service
        _ = try s.start(sop: "retail", ticket: Self.ticket, runID: "r", actor: ana, now: t0)
        let after = try write(s, "modify_pending_order", confirmed: true, at: 1)
        #expect(after.state == "serving")
        #expect(after.inputs["confirmed"] == nil)
        expectRefused({ _ = try write(s, "cancel_pending_order", confirmed: false, at: 2) },
                      "event 'cancel_pending_order' is not enabled in state 'serving': `input.confirmed == true` does not hold")
        // Given without an event, it is read by the next event of the same visit.
        _ = try s.step("r", .submit(inputs: [("confirmed", "yes")], event: nil, checks: nil), actor: ana, now: t0 + 3 * 60_000)
        #expect(try s.run("r").0.inputs["confirmed"] == .boolean(true))
        let cancelled = try write(s, "cancel_pending_order", confirmed: false, at: 4)
        #expect(cancelled.ticket["status"] == .string("closed"))
        #expect(cancelled.inputs["confirmed"] == nil)
        let v = try s.verify("r")
        #expect(v.count == 1 && v[0].failure == nil, "\(v)")
    }

    /// The second write's record claims no confirmation, its hash and the chain after it sealed
    /// again: only the replay can tell, and it refuses that step as the engine did not take it.
    @Test func aJournalEditedToDropAConfirmationFailsVerify() throws {
        let w = try Workspace(["retail": Self.retail()])
        let s = w.service
        _ = try s.start(sop: "retail", ticket: Self.ticket, runID: "r", actor: ana, now: t0)
        _ = try write(s, "modify_pending_order", confirmed: true, at: 1)
        _ = try write(s, "cancel_pending_order", confirmed: true, at: 2)
        _ = try s.step("r", .submit(inputs: [], event: "finish", checks: nil), actor: ana, now: t0 + 3 * 60_000)
        #expect(try s.verify("r")[0].failure == nil)

        var journal = try s.journal("r")
        let edited = try #require(journal.firstIndex { $0.trigger.event == "cancel_pending_order" })
        journal[edited].inputs = JSONObject(journal[edited].inputs.filter { $0.key != "confirmed" }.map { ($0.key, $0.value) })
        let resealed = RunService.seal(Array(journal[edited...]), after: journal[edited - 1].hash)
        try s.store.transaction { tx in
            for record in resealed { try tx.rewriteJournal(run: "r", seq: record.seq, record: record.json().render()) }
        }
        let failure = try #require(try s.verify("r")[0].failure)
        #expect(failure.seq == edited)
        #expect(failure.reason.contains("replaying it was rejected"), "\(failure.reason)")
        #expect(failure.reason.contains("`input.confirmed == true` does not hold"), "\(failure.reason)")
    }

    /// A migration is no entry: a confirmation given in this visit carries over; one from an
    /// earlier visit, kept because version 1 scoped it to the run, is dropped by version 2's
    /// `scope: visit`. Both runs verify across the migration.
    @Test func aMigrationKeepsTheVisitAndDropsWhatTheTargetWouldHaveForgotten() throws {
        let w = try Workspace(["retail": Self.retail(scope: "run")])
        let s = w.service
        for id in ["old", "fresh"] {
            _ = try s.start(sop: "retail", ticket: Self.ticket, runID: id, actor: ana, now: t0)
        }
        // "old" confirmed in its previous visit (run scope: still readable), "fresh" in this one.
        _ = try s.step("old", .submit(inputs: [("confirmed", "true")], event: "modify_pending_order", checks: nil), actor: ana, now: t0 + 60_000)
        #expect(try s.run("old").0.inputs["confirmed"] == .boolean(true))
        _ = try s.step("fresh", .submit(inputs: [("confirmed", "true")], event: nil, checks: nil), actor: ana, now: t0 + 60_000)

        let target = try CompiledSOP.compile(SourceFile(path: "v2.sop.yaml", text: Self.retail(version: 2)), schema: nil,
                                             calendars: s.catalogue.calendars)
        let result = try s.migrate(MigrationRequest(target: target, dryRun: false, who: .actor(sue), now: t0 + 2 * 60_000))
        #expect(result.moved == 2 && result.refused.isEmpty, "\(result)")
        #expect(try s.run("old").0.inputs["confirmed"] == nil)
        #expect(try s.run("fresh").0.inputs["confirmed"] == .boolean(true))
        let cancelled = try s.step("fresh", .submit(inputs: [], event: "cancel_pending_order", checks: nil), actor: ana, now: t0 + 3 * 60_000)
        #expect(cancelled.run.ticket["status"] == .string("closed"))
        #expect(throws: RunError.self) {
            try s.step("old", .submit(inputs: [], event: "cancel_pending_order", checks: nil), actor: ana, now: t0 + 3 * 60_000)
        }
        for v in try s.verify(nil) { #expect(v.failure == nil, "\(v.run): \(String(describing: v.failure))") }
    }
}
