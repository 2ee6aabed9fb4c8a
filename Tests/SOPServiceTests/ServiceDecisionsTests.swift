import Foundation
import SOPCore
import SOPExpression
import SOPJSON
@testable import SOPService
import SOPStore
import StoreTestSupport
import Testing

/// What the handlers used to decide and the service decides now (issue 33): each interface
/// gets the same answer because there is one place that gives it.
@Suite struct ServiceDecisionsTests {
    let agent = Caller(id: "ana", roles: ["agent"])
    let boss = Caller(id: "sam", roles: ["agent", "supervisor"])
    let outsider = Caller(id: "olga", roles: ["billing"])
    let now = CivilTime.parseDateTime("2026-11-02T09:00:00Z")!

    func workspace() throws -> Workspace {
        try Workspace(["approval": OperationsTests.approval, "complaint": complaint, "escalation": escalation])
    }

    /// `GET /v1/sops/{sop}` answered any token; now the SOP is shown as the list and the console
    /// show it: only to a caller holding one of its roles. An unknown SOP is unknown to anyone.
    @Test func anSOPIsShownOnlyToACallerWithOneOfItsRoles() throws {
        let w = try workspace()
        let detail = try w.service.sopDetail("approval", as: .caller(agent))
        #expect(detail["id"] == .string("approval"))
        #expect(throws: RunError.self) { try w.service.sopDetail("approval", as: .caller(outsider)) }
        do {
            _ = try w.service.sopDetail("approval", as: .caller(outsider))
        } catch let error as RunError {
            #expect(error.kind == "forbidden")
        }
        do {
            _ = try w.service.sopDetail("nope", as: .caller(outsider))
            Issue.record("an unknown SOP was shown")
        } catch let error as RunError {
            #expect(error.kind == "unknown_sop")
        }
        #expect(try w.service.sopDetail("approval", as: .system)["id"] == .string("approval"))
        #expect(w.service.sopList(as: .caller(outsider)).isEmpty)
        #expect(w.service.visibleSOPDefinitions(.caller(agent)).map(\.id) == w.service.visibleSOPs(.caller(agent)))
    }

    /// The step body the HTTP API and MCP read alike: inputs in the order given, numbers and
    /// booleans as their JSON text, null members absent, anything else refused as a bad request.
    @Test func oneStepBodyForEveryInterface() throws {
        let body: JSONObject = [("inputs", .object([("zeta", .string("z")), ("amount", .int(120)), ("ok", .bool(true)),
                                                     ("rate", .number(Decimal(string: "1.5")!))])),
                                ("checks", .array([.int(1), .int(3)])), ("event", .string("approve"))]
        guard case .submit(let inputs, let event, let checks) = try StepCommand.submit(from: body) else {
            Issue.record("not a submit")
            return
        }
        #expect(inputs.map(\.0) == ["zeta", "amount", "ok", "rate"])
        #expect(inputs.map(\.1) == ["z", "120", "true", "1.5"])
        #expect(event == "approve")
        #expect(checks == .items([1, 3]))
        guard case .submit(let none, nil, nil) = try StepCommand.submit(from: [("inputs", .null), ("checks", .null), ("event", .null)]) else {
            Issue.record("null members were not read as absent")
            return
        }
        #expect(none.isEmpty)
        // A list input comes as an array of scalars, read as `--input a='["x", 1]'` is.
        guard case .submit(let listed, nil, nil) = try StepCommand.submit(from: [("inputs", .object([("a", .array([.string("x"), .int(1)]))]))]) else {
            Issue.record("an array input was not read")
            return
        }
        #expect(listed.map(\.1) == [#"["x",1]"#])
        for bad: JSONObject in [[("inputs", .array([]))], [("inputs", .object([("a", .array([.object([])]))]))],
                                [("inputs", .object([("a", .array([.null]))]))], [("inputs", .object([("a", .object([]))]))],
                                [("checks", .array([.int(0)]))],
                                [("checks", .string("some"))], [("event", .int(3))], [("event", .string(""))]] {
            #expect(throws: RunError.self) { try StepCommand.submit(from: bad) }
            do {
                _ = try StepCommand.submit(from: bad)
            } catch {
                #expect(error.kind == "bad_request")
            }
        }
    }

    /// A run id's syntax and the `Idempotency-Key` → run id mapping: the same key from the same
    /// caller names the same run, from another caller another run.
    @Test func runIDsAndIdempotencyKeys() throws {
        #expect(try RunService.requestedRunID("r-1", idempotencyKey: "k", as: .caller(agent)) == "r-1")
        #expect(try RunService.requestedRunID(nil, idempotencyKey: nil, as: .caller(agent)) == nil)
        let a1 = try RunService.requestedRunID(nil, idempotencyKey: "order-7", as: .caller(agent))
        let a2 = try RunService.requestedRunID(nil, idempotencyKey: "order-7", as: .caller(agent))
        let b = try RunService.requestedRunID(nil, idempotencyKey: "order-7", as: .caller(boss))
        #expect(a1 == a2 && a1 != b)
        #expect(a1?.hasPrefix("k-") == true && a1?.count == 26)
        for bad in ["", "a b", "ü", String(repeating: "x", count: 129)] {
            #expect(throws: RunError.self) { try RunService.requestedRunID(bad, idempotencyKey: nil, as: .caller(agent)) }
            #expect(throws: RunError.self) { try RunService.requestedRunID(nil, idempotencyKey: bad, as: .caller(agent)) }
        }
        #expect(RunService.isRunID(String(repeating: "x", count: 128)))
    }

    /// The report reads every run: a caller needs the role 'supervisor'; its period defaults to
    /// the 30 days before `to`, which defaults to now.
    @Test func theReportIsForSupervisorsAndItsPeriodHasOneDefault() throws {
        let w = try workspace()
        let options = ReportOptions(from: now - 86_400_000, to: now)
        #expect(throws: RunError.self) { try w.service.report(options, as: .caller(agent)) }
        _ = try w.service.report(options, as: .caller(boss))
        _ = try w.service.report(options, as: .system)
        let period = try ReportOptions.period(from: nil, to: nil, timeZone: "UTC", now: now)
        #expect(period.to == now && period.from == now - 30 * 86_400_000)
        let dated = try ReportOptions.period(from: "2026-11-01", to: "2026-11-02", timeZone: "Europe/Berlin", now: now)
        #expect(dated.to - dated.from == 86_400_000)
        #expect(throws: RunError.self) { try ReportOptions.period(from: "2026-11-02", to: "2026-11-01", timeZone: "UTC", now: now) }
        #expect(throws: RunError.self) { try ReportOptions.period(from: "yesterday", to: nil, timeZone: "UTC", now: now) }
    }

    /// The stream of changes shows a caller the records of the SOPs they may see, and moves on
    /// past the others (so a stream of someone else's work does not stall).
    @Test func theJournalFeedShowsACallerTheirSOPsOnly() throws {
        let w = try workspace()
        _ = try w.service.start(sop: "approval", ticket: .object([]), runID: "a", as: .caller(agent), now: now)
        let billing = Caller(id: "bo", roles: ["billing", "agent"])
        _ = try w.service.start(sop: "complaint", ticket: .object([]), runID: "c", as: .caller(billing), now: now)
        let everything = try w.service.journalFeed(after: 0, run: nil, as: .system)
        #expect(Set(everything.records.map { try! JSONParser.parse($0.record)["run"]! }) == [.string("a"), .string("c")])
        let position = try w.service.journalPosition()
        #expect(everything.last == position)
        // A caller whose roles act in no SOP sees nothing, and the feed still moves to the end.
        let none = try w.service.journalFeed(after: 0, run: nil, as: .caller(outsider))
        #expect(none.records.isEmpty && none.last == position)
        #expect(throws: RunError.self) { try w.service.journalFeed(after: 0, run: "a", as: .caller(outsider)) }
        #expect(try w.service.journalFeed(after: position, run: nil, as: .system).records.isEmpty)
    }

    /// A webhook delivery's next attempt: delivered on success, failed after the last attempt,
    /// else pending after a doubling backoff, capped, with at most a tenth more at random.
    @Test func theDeliveryPolicyDoublesItsBackoffUpToTheCap() {
        let policy = DeliveryPolicy(maxAttempts: 4, firstBackoff: .seconds(1), maxBackoff: .seconds(3))
        #expect(policy.next(after: 1, failed: false, now: 5) == ("delivered", 5))
        #expect(policy.next(after: 4, failed: true, now: 5) == ("failed", 5))
        let second = policy.next(after: 1, failed: true, now: 0)
        #expect(second.status == "pending" && (1_000...1_100).contains(second.nextAttempt))
        #expect((2_000...2_200).contains(policy.backoff(attempt: 2)))
        #expect((3_000...3_300).contains(policy.backoff(attempt: 3)))
        #expect((3_000...3_300).contains(policy.backoff(attempt: 40)))
    }
}
