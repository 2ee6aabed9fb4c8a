import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON
@testable import SOPService
import SOPStore
import StoreTestSupport
import Testing

/// `sop migrate` (issue 35): runs in flight move to another version of their SOP, each with a
/// journal record that `sop verify` replays with both versions; a refused run is left exactly
/// as it was.
@Suite struct MigrationTests {
    let t0 = CivilTime.parseDateTime("2026-11-02T09:00:00Z")!
    let hour: Int64 = 3_600_000
    let sam = Actor(id: "sam", role: "supervisor")
    let ana = Actor(id: "ana", role: "agent")

    static let v1 = """
        sop: claim
        version: 1
        title: Claim
        roles: [agent, supervisor]
        sla:
          calendar: always
          targets:
            response: {target: 4h, stop: [closed]}
            resolution: {target: 3d, stop: [closed]}
        start: intake
        states:
          intake:
            title: Intake
            checklist: [Read the claim, Check the customer]
            inputs:
              amount: {type: number, min: 0}
            transitions:
              - {to: waiting, on: next}
              - {to: parked, on: park}
          waiting:
            title: Wait for the customer
            transitions:
              - {to: closed, on: close}
              - {to: closed, after: 2d, role: system}
          parked:
            title: Parked
            transitions: [{to: closed, on: close}]
          closed: {title: Closed, end: closed}
        """

    /// v1 with the wait shortened to a day, `parked` renamed `review` (which asks for a note),
    /// the intake's checklist reworded in part, the response target halved and the resolution
    /// target gone.
    static let v2 = """
        sop: claim
        version: 2
        title: Claim
        roles: [agent, supervisor]
        sla:
          calendar: always
          targets:
            response: {target: 2h, stop: [closed]}
        start: intake
        states:
          intake:
            title: Intake
            checklist: [Read the claim, Check the customer's identity]
            inputs:
              amount: {type: number, min: 0}
            transitions:
              - {to: waiting, on: next}
              - {to: review, on: park}
          waiting:
            title: Wait for the customer
            transitions:
              - {to: closed, on: close}
              - {to: closed, after: 1d, role: system}
          review:
            title: Review
            inputs:
              note: {type: string}
            transitions: [{to: closed, on: close}]
          closed: {title: Closed, end: closed}
        """

    static func ticket(_ id: String) -> JSONValue { .object([("id", .string(id))]) }

    static let always = """
        calendar: always
        time_zone: UTC
        week: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"],
               sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
        """

    func workspace(_ extra: [String: String] = [:]) throws -> Workspace {
        let w = try Workspace(["claim": Self.v1].merging(extra) { $1 })
        try Self.always.write(to: w.dir.appendingPathComponent("sops/always.calendar.yaml"), atomically: false, encoding: .utf8)
        w.service.reload(SOPCatalogue(folder: w.dir.appendingPathComponent("sops").path, schema: nil))
        return w
    }

    func target(_ text: String, _ w: Workspace) throws -> CompiledSOP {
        try CompiledSOP.compile(SourceFile(path: "v2.sop.yaml", text: text), schema: nil, calendars: w.service.catalogue.calendars)
    }

    func migrate(_ w: Workspace, to text: String = v2, map: [(String, String)] = [], set: [(String, String)] = [], dryRun: Bool = false,
                 at now: Int64) throws -> MigrationResult {
        try w.service.migrate(MigrationRequest(target: try target(text, w), map: map.map { ($0.0, $0.1) }, set: set.map { ($0.0, $0.1) },
                                               dryRun: dryRun, who: .actor(sam), now: now))
    }

    func snapshot(_ w: Workspace) throws -> [String] {
        try w.service.store.read { tx in
            var lines: [String] = []
            for table in [StoreTable.runs, .journal] {
                try tx.exportRows(table) { row in lines.append(table.name + " " + row.map(\.description).joined(separator: " ")) }
            }
            return lines
        }
    }

    func expectVerified(_ w: Workspace, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for v in try w.service.verify(nil) {
            #expect(v.failure == nil, "run \(v.run): \(v.failure.map { "record \($0.seq): \($0.reason)" } ?? "")", sourceLocation: sourceLocation)
        }
    }

    /// Runs in each state; a dry run writes nothing and names every refusal; the migration moves
    /// what it can, refuses `parked` (gone from v2) until it is mapped, and everything verifies.
    @Test func runsMoveToTheNewVersionAndVerify() throws {
        let w = try workspace()
        for id in ["a", "b", "c"] { _ = try w.service.start(sop: "claim", ticket: Self.ticket(id), runID: id, actor: ana, now: t0) }
        _ = try w.service.step("b", .submit(inputs: [("amount", "5")], event: "next", checks: .all), actor: ana, now: t0 + hour)
        _ = try w.service.step("c", .submit(inputs: [("amount", "7")], event: "park", checks: .all), actor: ana, now: t0 + hour)

        let before = try snapshot(w)
        let plan = try migrate(w, dryRun: true, at: t0 + 2 * hour)
        #expect(try snapshot(w) == before)
        #expect(plan.moves == [.init(from: "intake", to: "intake", runs: ["a"]), .init(from: "waiting", to: "waiting", runs: ["b"])])
        #expect(plan.refused.map(\.run) == ["c"] && plan.refused.first?.refusal.rule == "migrate/state-removed")

        let first = try migrate(w, at: t0 + 2 * hour)
        #expect(first.moved == 2 && first.refused.map(\.refusal.rule) == ["migrate/state-removed"])
        // The refused run is exactly as it was.
        #expect(try snapshot(w).filter { $0.contains(" c ") || $0.hasPrefix("runs c ") || $0.hasPrefix("journal c ") }
                    == before.filter { $0.contains(" c ") || $0.hasPrefix("runs c ") || $0.hasPrefix("journal c ") })
        // Mapped, it still needs the note its new state asks for.
        let second = try migrate(w, map: [("parked", "review")], at: t0 + 2 * hour)
        #expect(second.already == 2 && second.refused.first?.refusal.rule == "migrate/input-required")
        let third = try migrate(w, map: [("parked", "review")], set: [("note", "moved by the v2 rollout")], at: t0 + 2 * hour)
        #expect(third.moves == [.init(from: "parked", to: "review", runs: ["c"])] && third.refused.isEmpty)
        let (c, engine) = try w.service.run("c")
        #expect(c.sopVersion == 2 && c.state == "review" && c.inputs["note"] == .string("moved by the v2 rollout"))
        #expect(engine.inputsNeeded(c).isEmpty)
        let record = try #require(try w.service.journal("c").first { $0.trigger.kind == .migrate })
        #expect(record.trigger.kind == .migrate && record.from == "parked" && record.to == "review" && record.actor == sam)
        #expect(record.trigger.migrationPins?.from.sopVersion == 1 && record.trigger.migrationPins?.to.sopVersion == 2)
        #expect(record.inputs["note"] == .string("moved by the v2 rollout"))
        try expectVerified(w)

        // The runs go on under v2: the confirmed item whose words stayed is still confirmed.
        let (a, _) = try w.service.run("a")
        #expect(a.confirmed.isEmpty)
        _ = try w.service.step("c", .submit(inputs: [], event: "close", checks: nil), actor: ana, now: t0 + 3 * hour)
        try expectVerified(w)
    }

    /// Timers count from when the state was entered, by the target's rules; one the migration
    /// finds overdue falls due at the migration, never before it (the journal never goes back).
    @Test func anOverdueTimerFiresAtTheMigrationNotBefore() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "claim", ticket: Self.ticket("T"), runID: "r", actor: ana, now: t0)
        _ = try w.service.step("r", .submit(inputs: [("amount", "1")], event: "next", checks: .all), actor: ana, now: t0 + hour)
        // Entered `waiting` at t0+1h: v2's 1d timer was due at t0+25h; migrated at t0+30h.
        _ = try migrate(w, at: t0 + 30 * hour)
        #expect(try w.service.tick(now: t0 + 31 * hour).transitions > 0)
        let journal = try w.service.journal("r")
        let timer = try #require(journal.first { $0.trigger.kind == .timer })
        #expect(timer.at == t0 + 30 * hour)
        #expect(zip(journal, journal.dropFirst()).allSatisfy { $0.at <= $1.at })
        try expectVerified(w)
        // Not yet due: it keeps its time under the new rule (entered + 1d).
        _ = try w.service.start(sop: "claim", ticket: Self.ticket("U"), runID: "u", actor: ana, now: t0 + 40 * hour)
        _ = try w.service.step("u", .submit(inputs: [("amount", "1")], event: "next", checks: .all), actor: ana, now: t0 + 40 * hour)
        _ = try migrate(w, at: t0 + 41 * hour)
        let (u, engine) = try w.service.run("u")
        #expect(engine.pendingTimers(u).map(\.due) == [t0 + 64 * hour])
    }

    /// SLA clocks go on from when they started, by the target's length; an event the change
    /// brings forward comes at the migration, and a target the version dropped is named.
    @Test func slaClocksGoOnUnderTheTargetsRules() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "claim", ticket: Self.ticket("T"), runID: "r", actor: ana, now: t0)
        // Three hours in: within v1's 4h response target, past v2's 2h.
        _ = try migrate(w, at: t0 + 3 * hour)
        let migration = try #require(try w.service.journal("r").first { $0.trigger.kind == .migrate })
        #expect(migration.trigger.migration?["sla_dropped"] == .array([.string("resolution")]))
        _ = try w.service.tick(now: t0 + 4 * hour)
        let breach = try #require(try w.service.journal("r").first { $0.trigger.sla?["event"] == .string("breached") })
        #expect(breach.at == t0 + 3 * hour)
        let (r, engine) = try w.service.run("r")
        #expect(r.sla["resolution"] == nil && engine.slaStatus(r, now: t0 + 4 * hour).map(\.status) == ["breached"])
        try expectVerified(w)
    }

    /// A parent waiting for its child keeps it only where the target state calls the same SOP;
    /// then the child's end moves the parent under the new version.
    @Test func aParentKeepsItsChildOnlyWhereTheTargetCallsTheSameSOP() throws {
        let w = try workspace(["complaint": complaint, "escalation": escalation, "other": complaint
            .replacingOccurrences(of: "sop: complaint", with: "sop: other")])
        _ = try w.service.start(sop: "complaint", ticket: Self.ticket("T"), runID: "p", actor: ana, now: t0)
        _ = try w.service.step("p", .submit(inputs: [], event: "declined", checks: nil), actor: ana, now: t0 + hour)
        let (parent, _) = try w.service.run("p")
        let child = try #require(parent.child)

        let callsOther = complaint.replacingOccurrences(of: "version: 1", with: "version: 2")
            .replacingOccurrences(of: "call: escalation", with: "call: other")
        let before = try snapshot(w)
        let refused = try migrate(w, to: callsOther, at: t0 + 2 * hour)
        #expect(refused.refused.map(\.refusal.rule) == ["migrate/call-changed"] && refused.moved == 0)
        #expect(try snapshot(w) == before)

        let v2 = complaint.replacingOccurrences(of: "version: 1", with: "version: 2").replacingOccurrences(of: "title: Listen", with: "title: Hear")
        #expect(try migrate(w, to: v2, at: t0 + 2 * hour).moves == [.init(from: "escalate", to: "escalate", runs: ["p"])])
        let (childRun, childEngine) = try w.service.run(child)
        let event = try #require(childEngine.enabledEvents(childRun, actor: nil).first?.event)
        _ = try? w.service.step(child, .submit(inputs: [], event: event, checks: .all), actor: Actor(id: "ana", role: "agent"), now: t0 + 3 * hour)
        try expectVerified(w)
        let (moved, _) = try w.service.run("p")
        #expect(moved.sopVersion == 2)
    }

    /// `--set` gives a run only what it needs: an input its state asked for too stays the
    /// agent's to give (a new user's set of `amount` stamped one value on every run in intake).
    /// A value no state would take, or a map to an end state, is a problem of the plan; a map of
    /// a state no run waits in is a warning.
    @Test func setGivesOnlyWhatARunNeeds() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "claim", ticket: Self.ticket("a"), runID: "a", actor: ana, now: t0)
        let result = try migrate(w, map: [("parekd", "review")], set: [("amount", "50"), ("note", "set")], at: t0 + hour)
        #expect(result.moves == [.init(from: "intake", to: "intake", runs: ["a"])])
        #expect(result.warnings == ["map parekd → review: no run in flight waits in state 'parekd'"])
        let (a, engine) = try w.service.run("a")
        #expect(a.inputs.isEmpty && engine.inputsNeeded(a) == ["amount"])
        #expect(try w.service.journal("a").first { $0.trigger.kind == .migrate }?.inputs.isEmpty == true)
        // A changed file that kept its version number is said.
        let same = try migrate(w, to: Self.v2.replacingOccurrences(of: "title: Intake", with: "title: Take in"), at: t0 + hour)
        #expect(same.moved == 1 && same.warnings == ["1 run was on another file with the same version 2: raise the target's `version:` so the two can be told apart"])
        let bad = try migrate(w, map: [("waiting", "closed")], set: [("amount", "-3"), ("note", " ")], dryRun: true, at: t0 + hour)
        #expect(bad.problems.map(\.rule) == ["migrate/invalid-map", "migrate/invalid-set", "migrate/invalid-set"], "\(bad.problems)")
        try expectVerified(w)
    }

    /// Runs named by id, one named twice, one of another SOP, one that has ended.
    @Test func runsNamedByIDEachOnce() throws {
        let w = try workspace(["complaint": complaint, "escalation": escalation])
        _ = try w.service.start(sop: "claim", ticket: Self.ticket("a"), runID: "a", actor: ana, now: t0)
        _ = try w.service.start(sop: "claim", ticket: Self.ticket("b"), runID: "b", actor: ana, now: t0)
        _ = try w.service.start(sop: "complaint", ticket: Self.ticket("c"), runID: "c", actor: ana, now: t0)
        let result = try w.service.migrate(MigrationRequest(target: try target(Self.v2, w), runs: ["a", "c", "a"], dryRun: false,
                                                            who: .actor(sam), now: t0 + hour))
        #expect(result.moves == [.init(from: "intake", to: "intake", runs: ["a"])])
        #expect(result.refused.map(\.refusal.rule) == ["migrate/other-sop"])
        #expect(try w.service.run("b").0.sopVersion == 1)
        #expect(throws: RunError.self) {
            try w.service.migrate(MigrationRequest(target: try target(Self.v2, w), runs: ["nope"], dryRun: true, who: .actor(sam), now: t0))
        }
        try expectVerified(w)
    }

    /// A step that read the run before a migration is refused as stale (409 over HTTP), never
    /// applied to the new version unseen nor lost silently.
    @Test func aStepRacingAMigrationIsRefusedNotLost() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "claim", ticket: Self.ticket("T"), runID: "r", actor: ana, now: t0)
        let (seen, _) = try w.service.run("r")
        _ = try migrate(w, at: t0 + hour)
        let stale = StepRequest(run: "r", command: .submit(inputs: [("amount", "3")], event: nil, checks: nil), who: .actor(ana),
                                now: t0 + 2 * hour, expectedVersion: seen.version)
        #expect(throws: RunError.self) { try w.service.step(stale) }
        let (after, _) = try w.service.run("r")
        #expect(after.version == seen.version + 1 && after.inputs.isEmpty)
        try expectVerified(w)
    }

    /// The plan is checked before any run: a map to a state the target lacks, a set of an input
    /// no state has. Nothing is written.
    @Test func aPlanWithProblemsWritesNothing() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "claim", ticket: Self.ticket("T"), runID: "r", actor: ana, now: t0)
        let before = try snapshot(w)
        let result = try migrate(w, map: [("parked", "nowhere")], set: [("colour", "red")], at: t0 + hour)
        #expect(result.problems.map(\.rule) == ["migrate/invalid-map", "migrate/invalid-set"])
        #expect(result.moved == 0 && result.refused.isEmpty)
        #expect(try snapshot(w) == before)
        // And a caller without a supervisor's or an admin's role may not migrate at all.
        #expect(throws: RunError.self) {
            try w.service.migrate(MigrationRequest(target: try target(Self.v2, w), dryRun: true,
                                                   who: .caller(Caller(id: "ana", roles: ["agent"])), now: t0 + hour))
        }
    }

    /// A journal whose migrate record was edited (another target state) fails verification at
    /// that record.
    @Test func verifyCatchesAnEditedMigration() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "claim", ticket: Self.ticket("T"), runID: "r", actor: ana, now: t0)
        _ = try migrate(w, at: t0 + hour)
        let journal = try w.service.journal("r")
        var forged = try #require(journal.last)
        forged.to = "waiting"
        let text = forged.sealForStore(after: journal[journal.count - 2].hash)
        try w.service.store.transaction { tx in try tx.rewriteJournal(run: "r", seq: forged.seq, record: text) }
        let failure = try #require(try w.service.verify("r").first?.failure)
        #expect(failure.seq == forged.seq)
    }
}

/// `sop simulate` over journals that hold a migration: the candidate is one version throughout,
/// so the migration step is neither replayed nor compared, and the runs replay around it.
@Suite struct MigrationSimulationTests {
    @Test func aMigratedRunIsSimulatedAroundItsMigration() throws {
        let m = MigrationTests()
        let w = try m.workspace()
        _ = try w.service.start(sop: "claim", ticket: MigrationTests.ticket("b"), runID: "b", actor: m.ana, now: m.t0)
        _ = try w.service.step("b", .submit(inputs: [("amount", "5")], event: "next", checks: .all), actor: m.ana, now: m.t0 + m.hour)
        _ = try m.migrate(w, at: m.t0 + 2 * m.hour)
        _ = try w.service.step("b", .submit(inputs: [], event: "close", checks: nil), actor: m.ana, now: m.t0 + 3 * m.hour)
        #expect(try w.service.journal("b").contains { $0.trigger.kind == .migrate })
        let candidate = SimulationCandidate(sop: try m.target(MigrationTests.v2, w), file: "v2.sop.yaml")
        let report = try w.service.simulate(candidate, as: .system)
        #expect(report.replayed == 1 && report.diverged.isEmpty && report.unreadable.isEmpty, "\(report.diverged.map(\.divergence.reason))")
    }
}
