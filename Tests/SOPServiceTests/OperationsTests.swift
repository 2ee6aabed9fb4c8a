import Foundation
import SOPCore
import SOPExpression
import SOPJSON
@testable import SOPService
import SOPStore
import SOPStorePostgres
import StoreTestSupport
import Testing
import TestSupport

/// The operations the servers share: who may do what, stale versions, batches, tokens,
/// helpdesk updates and the outbox.
@Suite struct OperationsTests {
    static let approval = """
        sop: approval
        version: 1
        title: Approval
        roles: [agent, supervisor]
        start: collect
        states:
          collect:
            title: Collect
            checklist: [Identity confirmed]
            inputs:
              amount: {type: number, min: 0}
            transitions:
              - to: approve
                when: input.amount > 100
              - to: done
          approve:
            title: Approve
            role: supervisor
            transitions:
              - {to: done, on: approve, do: [{notify: {to: customer, template: "Approved"}}]}
              - {to: done, on: cancel, role: agent}
          done: {title: Done, end: done}
        """

    let ana = Caller(id: "ana", roles: ["agent"])
    let sam = Caller(id: "sam", roles: ["agent", "supervisor"])
    let outsider = Caller(id: "olga", roles: ["billing"])
    let t0 = CivilTime.parseDateTime("2026-11-02T09:00:00Z")!
    let ticket: JSONValue = .object([("id", .string("T-9")), ("customer", .string("Ann"))])

    func started(_ w: Workspace, id: String = "r1") throws -> RunState {
        try w.service.start(sop: "approval", ticket: ticket, runID: id, as: .caller(ana), now: t0).run
    }

    func submit(_ inputs: [(String, String)] = [], event: String? = nil, checks: ChecklistSelection? = nil) -> StepCommand {
        .submit(inputs: inputs, event: event, checks: checks)
    }

    @Test func aCallerActsWithTheRoleTheStepNeeds() throws {
        let w = try Workspace(["approval": Self.approval])
        _ = try started(w)
        _ = try w.service.step(StepRequest(run: "r1", command: submit([("amount", "500")], checks: .all), who: .caller(ana), now: t0))
        // The supervisor's event: 403 for ana, taken for sam as supervisor.
        #expect(throws: RunError.self) {
            try w.service.step(StepRequest(run: "r1", command: submit(event: "approve"), who: .caller(ana), now: t0))
        }
        do {
            _ = try w.service.step(StepRequest(run: "r1", command: submit(event: "approve"), who: .caller(ana), now: t0))
        } catch RunError.forbidden(let reason) {
            #expect(reason.contains("'supervisor'"))
        }
        let result = try w.service.step(StepRequest(run: "r1", command: submit(event: "approve"), who: .caller(sam), now: t0))
        #expect(result.run.outcome == "done")
        let last = try w.service.journal("r1").last!
        #expect(last.actor == Actor(id: "sam", role: "supervisor"))
        // The events shown are those of the caller's roles.
        let w2 = try Workspace(["approval": Self.approval])
        _ = try started(w2)
        _ = try w2.service.step(StepRequest(run: "r1", command: submit([("amount", "500")], checks: .all), who: .caller(ana), now: t0))
        let events = { (c: Caller) in try w2.service.status("r1", as: .caller(c), now: self.t0).json["events"]!.render() }
        #expect(try events(ana) == #"[{"event":"cancel","label":"cancel"}]"#)
        #expect(try events(sam).contains("approve"))
    }

    @Test func aCallerWithNoRoleOfTheSOPSeesNothingOfIt() throws {
        let w = try Workspace(["approval": Self.approval])
        _ = try started(w)
        #expect(throws: RunError.self) { try w.service.status("r1", as: .caller(outsider), now: t0) }
        do {
            _ = try w.service.status("r1", as: .caller(outsider), now: t0)
        } catch RunError.forbidden(let reason) {
            #expect(reason == "SOP 'approval' is acted on by the roles 'agent', 'supervisor'; you hold 'billing'")
        }
        let onlySupervisors = try Workspace(["review": """
            sop: review
            version: 1
            title: Review
            roles: [supervisor]
            start: look
            states:
              look: {title: Look, role: supervisor, transitions: [{to: done, on: done}]}
              done: {title: Done, end: done}
            """])
        do {
            _ = try onlySupervisors.service.start(sop: "review", ticket: ticket, runID: nil, as: .caller(ana), now: t0)
            Issue.record("an agent started a supervisors' SOP")
        } catch RunError.forbidden(let reason) {
            #expect(reason == "SOP 'review' is acted on by the role 'supervisor'; you hold 'agent'")
        }
        #expect(throws: RunError.self) { try w.service.journal("r1", after: nil, as: .caller(outsider)) }
        #expect(throws: RunError.self) { try w.service.start(sop: "approval", ticket: ticket, runID: nil, as: .caller(outsider), now: t0) }
        #expect(try w.service.runs(RunFilter(), as: .caller(outsider)).runs.isEmpty)
        #expect(try w.service.runs(RunFilter(), as: .caller(ana)).runs.map(\.run) == ["r1"])
    }

    @Test func aStaleVersionChangesNothing() throws {
        let w = try Workspace(["approval": Self.approval])
        let run = try started(w)
        let before = try w.service.journal("r1").count
        do {
            _ = try w.service.step(StepRequest(run: "r1", command: submit([("amount", "5")], checks: .all), who: .caller(ana), now: t0,
                                               expectedVersion: run.version + 1))
            Issue.record("a stale version was accepted")
        } catch RunError.versionMismatch(let expected, let current) {
            #expect(expected == [run.version + 1] && current == run.version)
        }
        #expect(try w.service.journal("r1").count == before)
        // A repeated request id is a duplicate even when its version is now stale.
        let first = try w.service.step(StepRequest(run: "r1", command: submit([("amount", "5")], checks: .all), who: .caller(ana), now: t0,
                                                   requestID: "q1", expectedVersion: run.version))
        let again = try w.service.step(StepRequest(run: "r1", command: submit([("amount", "5")], checks: .all), who: .caller(ana), now: t0,
                                                   requestID: "q1", expectedVersion: run.version))
        #expect(!first.duplicate && again.duplicate && again.run.version == first.run.version)
    }

    @Test func anEndedRunsTicketCannotBeUpdated() throws {
        let w = try Workspace(["approval": Self.approval])
        _ = try started(w)
        _ = try w.service.step(StepRequest(run: "r1", command: submit([("amount", "5")], checks: .all), who: .caller(ana), now: t0))
        #expect(throws: RunError.self) {
            try w.service.step(StepRequest(run: "r1", command: .update(patch: .object([("x", .int(1))])), who: .caller(ana), now: t0))
        }
    }

    @Test func aBatchKeepsEachStepOrNone() throws {
        let w = try Workspace(["approval": Self.approval])
        for id in ["a", "b", "c"] { _ = try started(w, id: id) }
        let results = w.service.stepBatch([
            StepRequest(run: "a", command: submit([("amount", "5")], checks: .all), who: .caller(ana), now: t0),
            StepRequest(run: "b", command: submit(event: "nope"), who: .caller(ana), now: t0),
            StepRequest(run: "zzz", command: submit(event: "x"), who: .caller(ana), now: t0),
            StepRequest(run: "c", command: submit([("amount", "500")], checks: .all), who: .caller(ana), now: t0),
            // The same run twice in one batch: the second sees the first.
            StepRequest(run: "c", command: submit(event: "cancel"), who: .caller(ana), now: t0),
        ])
        #expect(results.map { (try? $0.get()) != nil } == [true, false, false, true, true])
        #expect(try w.service.run("a").0.outcome == "done")
        #expect(try w.service.run("b").0.version == 1)
        #expect(try w.service.run("c").0.outcome == "done")
        #expect(try w.service.verify(nil).allSatisfy { $0.failure == nil })
    }

    /// A step undone by its savepoint undoes the SOP source it pinned for a child: the next step
    /// that starts that child must pin it again, or its run would name a source the store lacks.
    @Test func aStepUndoneInABatchLeavesNoPinBehind() throws {
        let parent = """
            sop: parent
            version: 1
            title: Parent
            start: s
            states:
              s:
                title: S
                transitions:
                  - {to: c, on: go}
              c:
                title: C
                call: looping
                transitions:
                  - {to: done, when: "child.outcome == 'x'"}
              done: {title: Done, end: done}
            """
        // With ticket.loop set, the child's start never settles (a livelock: refused).
        let looping = """
            sop: looping
            version: 1
            title: Looping
            start: a
            states:
              a:
                title: A
                transitions:
                  - {to: b, when: "ticket.loop == true"}
                  - {to: x}
              b:
                title: B
                transitions:
                  - {to: a}
              x: {title: X, end: x}
            """
        let w = try Workspace(["parent": parent, "looping": looping])
        let actor = Actor(id: "ana", role: "agent")
        _ = try w.service.start(sop: "parent", ticket: .object([("id", .string("T-1")), ("loop", .bool(true))]), runID: "p1", as: .actor(actor), now: t0)
        _ = try w.service.start(sop: "parent", ticket: .object([("id", .string("T-2")), ("loop", .bool(false))]), runID: "p2", as: .actor(actor), now: t0)
        let results = w.service.stepBatch([
            StepRequest(run: "p1", command: submit(event: "go"), who: .actor(actor), now: t0),
            StepRequest(run: "p2", command: submit(event: "go"), who: .actor(actor), now: t0),
        ])
        #expect((try? results[0].get()) == nil)
        #expect(try results[1].get().run.outcome == "done")
        // The undone step left nothing: p1 is where it was, and no child of it exists.
        #expect(try w.service.run("p1").0.state == "s")
        #expect(try w.service.journal("p1").count == 1)
        // Verified by a new service, as `sop verify` would: it reads every source from the store.
        let fresh = try w.reopened()
        let verified = try fresh.verify(nil)
        #expect(verified.count == 3)
        #expect(verified.allSatisfy { $0.failure == nil }, "\(verified.compactMap { $0.failure?.reason })")
    }

    /// A batch (one transaction, a savepoint per step: how the server commits) gives what the same
    /// steps give one by one, in order: the same answers, runs and journals (random batches over a few runs: repeated runs, request ids,
    /// stale versions, refusals, unknown runs, roles a caller lacks).
    @Test(arguments: 0..<20) func aBatchIsTheSameAsItsStepsInOrder(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let batched = try Workspace(["approval": Self.approval]), serial = try Workspace(["approval": Self.approval])
        let runs = ["r0", "r1", "r2", "r3"]
        for w in [batched, serial] { for id in runs { _ = try started(w, id: id) } }
        for round in 0..<6 {
            let requests = (0..<Int.random(in: 1...8, using: &rng)).map { _ -> StepRequest in
                let run = Bool.random(using: &rng) && round > 0 ? runs[Int.random(in: 0..<runs.count, using: &rng)] : (["r0", "r1", "r2", "r3", "zz"].randomElement(using: &rng)!)
                let command: StepCommand = [
                    submit([("amount", String(Int.random(in: 0...300, using: &rng)))], checks: .all),
                    submit(event: "approve"), submit(event: "cancel"), submit(event: "nope"),
                    .update(patch: .object([("note", .int(Int.random(in: 0...9, using: &rng)))])),
                ].randomElement(using: &rng)!
                let who: Acting = .caller([ana, sam, outsider].randomElement(using: &rng)!)
                let version = Int.random(in: 0..<4, using: &rng) == 0 ? Int.random(in: 1...4, using: &rng) : nil
                let requestID = Int.random(in: 0..<4, using: &rng) == 0 ? "q\(Int.random(in: 0...3, using: &rng))" : nil
                return StepRequest(run: run, command: command, who: who, now: t0 + Int64(round) * 60_000, requestID: requestID,
                                   expectedVersion: version)
            }
            let together = batched.service.stepBatch(requests)
            let alone = requests.map { r in Result { try serial.service.step(r) }.mapError { $0 as! RunError } }
            for (a, b) in zip(together, alone) {
                switch (a, b) {
                case (.success(let x), .success(let y)):
                    #expect(x.run.json().render() == y.run.json().render() && x.duplicate == y.duplicate, "seed \(seed)")
                case (.failure(let x), .failure(let y)):
                    #expect(x.json.render() == y.json.render(), "seed \(seed)")
                default:
                    Issue.record("seed \(seed): batched \(a), one by one \(b)")
                }
            }
        }
        for id in runs {
            #expect(try batched.service.journal(id).map(\.hash) == serial.service.journal(id).map(\.hash), "seed \(seed) \(id)")
        }
        #expect(try batched.service.verify(nil).allSatisfy { $0.failure == nil })
    }

    @Test func tokensAreKeptOnlyAsTheirHash() throws {
        let w = try Workspace(["approval": Self.approval])
        let (id, secret) = try w.service.createToken(actor: "ana", roles: ["agent", "supervisor"], now: t0)
        #expect(secret.hasPrefix("sop_") && secret.count > 40)
        #expect(try w.service.authenticate(token: secret) == Caller(id: "ana", roles: ["agent", "supervisor"]))
        #expect(try w.service.authenticate(token: secret + "x") == nil)
        // The store never holds the secret: not in any row, nor (SQLite) anywhere in its file.
        let cells = try w.service.store.read { tx in
            var cells: [String] = []
            for table in StoreTable.allCases { try tx.exportRows(table) { row in cells += row.map(\.description) } }
            return cells
        }
        #expect(cells.contains { $0.contains(RunService.tokenHash(secret)) })
        #expect(!cells.contains { $0.contains(secret) })
        if !PostgresLocation.isPostgres(w.location) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: w.location))
            #expect(bytes.range(of: Data(secret.utf8)) == nil)
        }
        #expect(try w.service.revokeToken(id, now: t0))
        #expect(try w.service.authenticate(token: secret) == nil)
        #expect(try !w.service.revokeToken(id, now: t0))
        #expect(throws: RunError.self) { try w.service.createToken(actor: "x", roles: ["system"], now: t0) }
    }

    @Test func helpdeskUpdatesApplyOnceAndNeverBackwards() throws {
        let w = try Workspace(["approval": Self.approval])
        _ = try started(w, id: "r1")
        _ = try started(w, id: "r2")
        let t1 = t0 + 60_000, t2 = t0 + 120_000
        let patch: JSONValue = .object([("customer", .string("Ann B"))])
        let first = try w.service.applyHelpdeskUpdate(delivery: "d1", ticketID: "T-9", updatedAt: t2, patch: patch, ticket: nil, now: t2)
        guard case .carried(let runs, let unchanged, let refused) = first else {
            Issue.record("not applied"); return
        }
        #expect(runs == ["r1", "r2"] && unchanged.isEmpty && refused.isEmpty && first.result == "applied")
        guard case .duplicate = try w.service.applyHelpdeskUpdate(delivery: "d1", ticketID: "T-9", updatedAt: t2, patch: patch, ticket: nil, now: t2) else {
            Issue.record("a repeated delivery was applied again"); return
        }
        // An older update that arrives late does not move the ticket back.
        guard case .stale = try w.service.applyHelpdeskUpdate(
            delivery: "d0", ticketID: "T-9", updatedAt: t1, patch: .object([("customer", .string("Ann"))]), ticket: nil, now: t2) else {
            Issue.record("an older update was applied"); return
        }
        #expect(try w.service.run("r1").0.ticket["customer"] == .string("Ann B"))
        // A full ticket applies what changed, removed members included.
        _ = try w.service.applyHelpdeskUpdate(delivery: "d3", ticketID: "T-9", updatedAt: t2 + 1, patch: nil,
                                              ticket: .object([("id", .string("T-9")), ("priority", .string("high"))]), now: t2)
        #expect(try w.service.run("r2").0.ticket.render() == #"{"id":"T-9","priority":"high"}"#)
        #expect(try w.service.journal("r2").last!.actor == RunService.helpdesk)
    }

    /// Issue 32, item 14: an update that changes nothing writes no record and says so; one that
    /// every run refuses answers `refused`, not `applied` with no runs.
    /// The SOP list counts lint findings as `sop lint` does: a suppressed one is not a problem
    /// (a new user's afternoon found `/v1/sops` saying "warnings" for a clean SOP).
    @Test func theSOPListLeavesSuppressedFindingsOut() throws {
        let quiet = """
            sop: quiet
            version: 1
            title: Quiet
            start: ask
            states:
              ask:
                title: Ask
                inputs:
                  mood: {type: enum, values: [ok, bad], required: false}   # sop: ignore[unused-input] asked for the record only
                transitions: [{to: done, on: asked}]
              done: {title: Done, end: done}
            """
        let w = try Workspace(["quiet": quiet, "approval": Self.approval])
        let entry = try #require(w.service.sopList(as: .system).first { $0["id"] == .string("quiet") })
        #expect(entry["lint"] == .object([("status", .string("ok")), ("errors", .int(0)), ("warnings", .int(0))]))
    }

    @Test func helpdeskUpdatesSayWhenTheyChangeNothingOrAreRefused() throws {
        let w = try Workspace(["approval": Self.approval])
        _ = try started(w, id: "r1")
        let records = try w.service.journal("r1").count
        let same = try w.service.applyHelpdeskUpdate(delivery: "d1", ticketID: "T-9", updatedAt: t0 + 1, patch: nil,
                                                     ticket: try w.service.run("r1").0.ticket, now: t0 + 1)
        guard case .carried(let runs, let unchanged, let refused) = same else { Issue.record("not carried"); return }
        #expect(runs.isEmpty && unchanged == ["r1"] && refused.isEmpty && same.result == "unchanged")
        #expect(try w.service.journal("r1").count == records)
        // Refused by the run: its server's clock is behind the run's last change.
        let broken = try w.service.applyHelpdeskUpdate(delivery: "d2", ticketID: "T-9", updatedAt: t0 + 2,
                                                       patch: .object([("priority", .string("high"))]), ticket: nil, now: t0 - 60_000)
        guard case .carried(let none, _, let refusals) = broken else { Issue.record("not carried"); return }
        #expect(none.isEmpty && refusals.map(\.run) == ["r1"] && broken.result == "refused")
        #expect(try w.service.journal("r1").count == records)
        let nobody = try w.service.applyHelpdeskUpdate(delivery: "d3", ticketID: "T-404", updatedAt: t0 + 3,
                                                       patch: .object([("priority", .string("high"))]), ticket: nil, now: t0 + 3)
        #expect(nobody.result == "unchanged")
    }

    @Test func notifyMessagesGoToTheOutboxWithTheirRecord() throws {
        let w = try Workspace(["approval": Self.approval])
        _ = try started(w)
        _ = try w.service.step(StepRequest(run: "r1", command: submit([("amount", "500")], checks: .all), who: .caller(ana), now: t0))
        #expect(try w.service.outbox().isEmpty)
        _ = try w.service.step(StepRequest(run: "r1", command: submit(event: "approve"), who: .caller(sam), now: t0))
        let outbox = try w.service.outbox()
        #expect(outbox.count == 1)
        #expect(outbox.first?.message.message["text"] == .string("Approved"))
        let seq = try w.service.journal("r1").last!.seq
        #expect(outbox.first?.message.id == "r1-\(seq)-0")
    }

    /// A server's delivery loop claims what is due while earlier attempts are under way: a
    /// claimed delivery is not handed out again until its lease ends (it was, to every poll,
    /// while its attempt hung), and an endpoint with its places taken does not take the others'.
    @Test func dueDeliveriesAreClaimedForALeaseAndPerEndpoint() throws {
        let w = try Workspace(["approval": Self.approval])
        for run in ["r1", "r2", "r3"] {
            _ = try started(w, id: run)
            _ = try w.service.step(StepRequest(run: run, command: submit([("amount", "500")], checks: .all), who: .caller(ana), now: t0))
            _ = try w.service.step(StepRequest(run: run, command: submit(event: "approve"), who: .caller(sam), now: t0))
        }
        let hanging = "http://127.0.0.1:9/hang", healthy = "http://127.0.0.1:9/ok"
        let first = try w.service.claimDueDeliveries(endpoints: [hanging, healthy], now: t0, lease: 15_000,
                                                     inFlight: [hanging: 1], perEndpoint: 2)
        #expect(first.filter { $0.delivery.endpoint == hanging }.count == 1)
        #expect(first.filter { $0.delivery.endpoint == healthy }.count == 2)
        // The next poll, while those attempts are under way: only what was left, none twice.
        let second = try w.service.claimDueDeliveries(endpoints: [hanging, healthy], now: t0 + 500, lease: 15_000,
                                                      inFlight: [hanging: 1], perEndpoint: 3)
        #expect(Set(second.map(\.delivery.id)).isDisjoint(with: first.map(\.delivery.id)))
        #expect(second.map(\.delivery.endpoint).sorted() == [hanging, hanging, healthy])
        #expect(try w.service.claimDueDeliveries(endpoints: [hanging, healthy], now: t0 + 14_999, lease: 15_000, perEndpoint: 8).isEmpty)
        // An attempt never recorded (the server died): due again when its lease ends.
        #expect(try w.service.claimDueDeliveries(endpoints: [hanging, healthy], now: t0 + 15_000, lease: 15_000, perEndpoint: 8).count == 3)
    }

    @Test func mergePatchTurnsOneTicketIntoTheOther() {
        let cases: [(String, String)] = [
            (#"{"a":1,"b":{"c":1,"d":2}}"#, #"{"a":1,"b":{"c":3}}"#),
            (#"{"a":[1],"e":"x"}"#, #"{"a":[1,2]}"#),
            (#"{}"#, #"{"x":{"y":1}}"#),
        ]
        for (old, new) in cases {
            let before = try! JSONParser.parse(old), after = try! JSONParser.parse(new)
            let patch = JSONValue.mergePatch(from: before, to: after)
            #expect(before.merged(with: patch).canonical() == after.canonical(), "\(old) → \(new)")
        }
    }

    @Test func listsFilterAndPage() throws {
        let w = try Workspace(["approval": Self.approval])
        for i in 0..<5 { _ = try started(w, id: "r\(i)") }
        _ = try w.service.step(StepRequest(run: "r1", command: submit([("amount", "500")], checks: .all), who: .caller(ana), now: t0))
        _ = try w.service.step(StepRequest(run: "r2", command: submit([("amount", "5")], checks: .all), who: .caller(ana), now: t0))
        #expect(try w.service.runs(RunFilter(role: "supervisor"), as: .system).runs.map(\.run) == ["r1"])
        #expect(try w.service.runs(RunFilter(status: "ended"), as: .system).runs.map(\.run) == ["r2"])
        #expect(try w.service.runs(RunFilter(ticketID: "T-9"), as: .system).runs.count == 5)
        #expect(throws: RunError.self) { try w.service.runs(RunFilter(sops: ["nope"]), as: .system) }
        var seen: [String] = []
        var cursor: Int64?
        repeat {
            let page = try w.service.runs(RunFilter(after: cursor, limit: 2), as: .system)
            seen += page.runs.map(\.run)
            cursor = page.next
        } while cursor != nil
        #expect(seen == ["r0", "r1", "r2", "r3", "r4"])
    }
}
