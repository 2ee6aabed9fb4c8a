import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON
import SOPService
import SOPStore
import StoreTestSupport
import Testing
import TestSupport

/// The recorder writes what a session did as a scenario case; `sop test`'s runner replays it to
/// the same places.
@Suite struct ScenarioRecorderTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sops = root.appendingPathComponent("sops")
    static let schemaPath = root.appendingPathComponent("schemas/ticket.schema.json")

    /// A session driven at random against a fresh store, recorded as it goes.
    struct Session {
        let service: RunService
        let runID = "session"
        var recorder: ScenarioRecorder
        var now: Int64

        init(sop: String, ticket: JSONValue, catalogue: SOPCatalogue, store: any RunStore, at start: Int64) throws {
            service = RunService(store: store, catalogue: catalogue)
            now = start
            recorder = ScenarioRecorder(sop: sop, ticket: ticket, at: start)
            _ = try service.start(sop: sop, ticket: ticket, runID: runID, as: .actor(Actor(id: "tester", role: "agent")), now: start)
        }

        func current() throws -> (RunState, Engine) { try service.run(runID, as: .system) }

        mutating func submit(inputs: [(String, String)], event: String?, checks: ChecklistSelection?) throws {
            let (run, engine) = try current()
            let actor = ScenarioRunner.defaultActor(run, engine)
            let result: ScenarioRecorder.Result
            do {
                let step = try service.step(runID, .submit(inputs: inputs, event: event, checks: checks), as: .actor(actor), now: now)
                result = .applied(state: step.run.state, outcome: step.run.outcome)
            } catch RunError.rejected(let r) {
                result = .refused(reason: r.reason)
            }
            recorder.step(inputs: inputs, event: event, checks: checks, actor: nil, at: now, result: result)
        }

        mutating func advance(_ ms: Int64) throws {
            now += ms
            _ = try service.tick(now: now)
            let (run, _) = try current()
            recorder.advance(to: now, result: .applied(state: run.state, outcome: run.outcome))
        }

        mutating func finish() throws -> ScenarioRecorder {
            let (run, _) = try current()
            let path = try service.journal(runID, as: .system).filter(\.trigger.moved).map(\.to)
            recorder.finish(state: run.state, outcome: run.outcome, path: path)
            return recorder
        }
    }

    /// A value of the input's type, right or (sometimes) wrong: a refusal is recorded too.
    static func answer(_ spec: InputSpec, _ rng: inout SplitMix64) -> String {
        if rng.next() % 8 == 0 { return "not a value" }
        switch spec.type {
        case .enum: return spec.values.isEmpty ? "x" : rng.pick(spec.values).value
        case .boolean: return rng.pick(["true", "false"])
        case .integer: return rng.pick(["0", "1", "3", "12", "700"])
        case .number: return rng.pick(["0.5", "49.90", "640", "1200"])
        case .date: return rng.pick(["2026-10-20", "2026-09-01", "2026-11-01"])
        case .datetime: return rng.pick(["2026-11-01T10:00:00Z", "2026-11-02T08:00:00Z"])
        case .duration: return rng.pick(["2h", "1d", "30m"])
        case .list: return spec.values.isEmpty ? "a, b" : rng.pick(spec.values).value
        case .string: return rng.pick(["ok", "A-17", "customer called back"])
        }
    }

    /// The property: random sessions on every shipped SOP that has tests (its test file's tickets
    /// as start tickets), recorded and replayed by `sop test`'s runner, pass.
    @Test func randomSessionsOnTheShippedSOPsReplayAsRecorded() throws {
        let schema = try TicketSchema.load(path: Self.schemaPath.path)
        let catalogue = SOPCatalogue(folder: Self.sops.path, schema: schema)
        let dir = try ScratchDirectory.make("sop-recorder")
        var stores = 0
        func newStore() throws -> any RunStore {
            stores += 1
            let folder = dir.appendingPathComponent("s\(stores)", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return try StoreUnderTest.fresh(in: folder)
        }
        let testFiles = try FileManager.default.contentsOfDirectory(atPath: Self.sops.path).filter { $0.hasSuffix(".test.yaml") }.sorted()
        try #require(testFiles.count >= 5)
        var sessions = 0, refusals = 0, advances = 0, ended = 0
        for name in testFiles {
            let path = Self.sops.appendingPathComponent(name).path
            let (file, _) = ScenarioLoader.load(SourceFile(path: path, bytes: Array(try #require(FileManager.default.contents(atPath: path)))))
            let tested = try #require(file)
            let tickets: [JSONValue] = tested.cases.compactMap { c in c.ticket.map { ValueJSON.json($0) } }
            try #require(!tickets.isEmpty)
            for seed in UInt64(1)...8 {
                var rng = SplitMix64(seed: seed &* 7919 &+ UInt64(name.utf8.count))
                var session = try Session(sop: tested.sop.value, ticket: rng.pick(tickets), catalogue: catalogue, store: try newStore(),
                                          at: t0 + Int64(rng.next() % 3_600_000))
                for _ in 0..<14 {
                    let (run, engine) = try session.current()
                    if run.isEnded { break }
                    let state = try #require(engine.sop.definition.state(run.state))
                    let events = engine.enabledEvents(run, actor: nil)
                    switch rng.next() % 10 {
                    case 0, 1, 2, 3:
                        let inputs = state.inputs.filter { !run.submitted.contains($0.id.value) && ($0.required || rng.next() % 2 == 0) }
                            .map { ($0.id.value, Self.answer($0, &rng)) }
                        let choices: [ChecklistSelection] = [.all, .items([1])]
                        let checks: ChecklistSelection? = state.checklist.isEmpty ? nil : rng.pick(choices)
                        let event: String? = events.isEmpty || rng.next() % 2 == 0 ? nil : rng.pick(events.map(\.event))
                        if inputs.isEmpty && checks == nil && event == nil { continue }
                        try session.submit(inputs: inputs, event: event, checks: checks)
                    case 4, 5, 6:
                        if events.isEmpty { continue }
                        let event = rng.pick(events.map(\.event))
                        let checks: ChecklistSelection? = rng.next() % 2 == 0 ? .all : nil
                        try session.submit(inputs: [], event: event, checks: checks)
                    default:
                        let steps: [Int64] = [15 * 60_000, 3_600_000, 86_400_000, 3 * 86_400_000, 1_500]
                        try session.advance(rng.pick(steps))
                        advances += 1
                    }
                }
                let recorder = try session.finish()
                refusals += recorder.steps.filter { if case .refused? = $0.result { return true } else { return false } }.count
                if case .applied(_, let outcome?)? = recorder.steps.last?.result, !outcome.isEmpty { ended += 1 }
                let out = dir.appendingPathComponent("\(tested.sop.value)-\(seed).test.yaml")
                try recorder.fileYAML(name: "seed \(seed)").write(to: out, atomically: true, encoding: .utf8)
                let runner = ScenarioRunner(catalogue: catalogue, newStore: newStore)
                let (cases, _) = try runner.run(testFiles: [out.path], sops: nil)
                let result = try #require(cases.first)
                #expect(result.passed, "\(out.path): \(result.failures.joined(separator: "; "))\n\(recorder.fileYAML(name: "seed \(seed)"))")
                sessions += 1
            }
        }
        // The sessions exercised what the recorder writes: refusals, advances and ended runs.
        #expect(sessions >= 40)
        #expect(refusals > 0)
        #expect(advances > 0)
        #expect(ended > 0)
    }

    /// The case as written, whole: inputs as typed, a checks-only step, an event with an actor,
    /// a ticket update, time that passed between steps, a refusal and the closing expectation.
    @Test func theCaseIsWrittenInTheTestFormat() {
        var r = ScenarioRecorder(sop: "returns", ticket: .object([("id", .string("T-1")), ("amount", .number(Decimal(string: "49.90")!))]),
                                 at: at("2026-11-02T09:00:00.250Z"))
        r.step(inputs: [("order_found", "yes"), ("note", "a \"quoted\": text")], event: nil, checks: .all, actor: nil,
               at: at("2026-11-02T09:00:00.250Z"), result: .applied(state: "send_label", outcome: nil))
        r.step(inputs: [], event: nil, checks: .items([1, 2]), actor: nil, at: at("2026-11-02T09:05:30.900Z"),
               result: .applied(state: "send_label", outcome: nil))
        r.step(inputs: [], event: "approve", checks: nil, actor: Actor(id: "sue", role: "supervisor"), at: at("2026-11-02T09:05:31Z"),
               result: .refused(reason: "the event 'approve' needs the role 'supervisor'\n  - label_sent"))
        r.ticketUpdate(.object([("priority", .string("high"))]), actor: nil, at: at("2026-11-02T09:05:31Z"), result: .applied(state: "send_label", outcome: nil))
        r.advance(to: at("2026-11-03T09:05:31Z"), result: .applied(state: "refunded", outcome: "refunded"))
        r.finish(state: "refunded", outcome: "refunded", path: ["verify_purchase", "send_label", "refunded"])
        #expect(r.fileYAML(name: "yes") == """
            # yaml-language-server: $schema=../schemas/sop-test.schema.json
            sop: returns
            cases:
              - name: "yes"
                now: 2026-11-02T09:00:00.250Z
                ticket: {"id": "T-1", "amount": 49.9}
                steps:
                  - input: {order_found: "yes", note: "a \\"quoted\\": text"}
                    check: all
                    expect: {state: send_label}
                  - advance: 5m30s
                  - input: {}
                    check: [1, 2]
                    expect: {state: send_label}
                  - event: approve
                    actor: {id: sue, role: supervisor}
                    expect: {error: "the event 'approve' needs the role 'supervisor'"}
                  - ticket: {"priority": "high"}
                    expect: {state: send_label}
                  - advance: 1d
                    expect: {state: refunded, outcome: refunded}
                expect:
                  outcome: refunded
                  path: [verify_purchase, send_label, refunded]

            """)
    }

    /// Appending: a unique name, the file's indentation, the SOP id checked, and a file whose
    /// cases are not last is refused rather than broken.
    @Test func appendingToAFile() throws {
        var r = ScenarioRecorder(sop: "returns", ticket: .object([("id", .string("T-9"))]), at: t0)
        r.finish(state: "verify_purchase", outcome: nil, path: ["verify_purchase"])
        let existing = """
            sop: returns
            cases:
            - name: recorded
              ticket: {id: T-1}
            """
        let (text, name) = try ScenarioFileAppender.append(r, name: "recorded", to: existing, path: "x.test.yaml")
        #expect(name == "recorded 2")
        #expect(text == existing + "\n" + r.caseYAML(name: "recorded 2", indent: 0))
        let (again, third) = try ScenarioFileAppender.append(r, name: "recorded", to: text, path: "x.test.yaml")
        #expect(third == "recorded 3")
        let (file, _) = ScenarioLoader.load(SourceFile(path: "x", bytes: Array(again.utf8)))
        #expect(try #require(file).cases.map(\.name) == ["recorded", "recorded 2", "recorded 3"])

        #expect(throws: ScenarioFileAppender.Refusal.self) {
            try ScenarioFileAppender.append(r, name: "n", to: "sop: intake\ncases:\n  - name: a\n", path: "x.test.yaml")
        }
        #expect(throws: ScenarioFileAppender.Refusal.self) {
            try ScenarioFileAppender.append(r, name: "n", to: "cases:\n  - name: a\nsop: returns\n", path: "x.test.yaml")
        }
        let (fresh, freshName) = try ScenarioFileAppender.append(r, name: "n", to: nil, path: "x.test.yaml")
        #expect(freshName == "n")
        #expect(fresh == r.fileYAML(name: "n"))
    }
}
