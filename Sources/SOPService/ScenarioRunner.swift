import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON
import SOPStore
import SOPYAML

/// The outcome of one scenario case.
public struct CaseResult: Sendable {
    public var file: String
    public var sop: String
    public var name: String
    public var failures: [String]
    public var passed: Bool { failures.isEmpty }
}

/// Transition coverage of one SOP: which transitions the cases took.
public struct Coverage: Sendable {
    public struct Transition: Sendable, Hashable {
        public var state: String
        public var index: Int
        public var to: String
        public var trigger: String
    }

    public var sop: String
    public var all: [Transition]
    public var taken: Set<Transition>
    public var percent: Double { all.isEmpty ? 100 : Double(taken.count) * 100 / Double(all.count) }
    public var missing: [Transition] { all.filter { !taken.contains($0) } }
}

/// Runs scenario test files (`*.test.yaml`) with the real engine and a real store: each case gets
/// a new, empty store from `newStore` (`sop test` gives each a throwaway SQLite file), so tests
/// exercise exactly what `sop start`/`step`/`tick` do.
public struct ScenarioRunner {
    /// The SOPs the cases run: each file is parsed once for all cases.
    public let catalogue: SOPCatalogue
    /// A new, empty store for the next case.
    public let newStore: () throws -> any RunStore
    public static let defaultStart = CivilTime.parseDateTime("2026-01-01T00:00:00Z")!

    public init(catalogue: SOPCatalogue, newStore: @escaping () throws -> any RunStore) {
        self.catalogue = catalogue
        self.newStore = newStore
    }

    /// Runs every case of the files; returns the results and the coverage of the given SOPs, or
    /// (`sops` nil) of the SOPs the files test (their `sop:`), as the cases' runs pinned them.
    public func run(testFiles: [String], sops: [CompiledSOP]?) throws -> (cases: [CaseResult], coverage: [Coverage]) {
        var results: [CaseResult] = []
        var taken: [String: Set<Coverage.Transition>] = [:]
        var exercised: [String: CompiledSOP] = [:]
        var tested = Set<String>()
        for path in testFiles {
            guard let data = FileManager.default.contents(atPath: path) else {
                results.append(CaseResult(file: path, sop: "", name: "(file)", failures: ["the file cannot be read"]))
                continue
            }
            let (file, diagnostics) = ScenarioLoader.load(SourceFile(path: path, bytes: [UInt8](data)))
            let errors = diagnostics.filter { $0.severity == .error }
            guard let file, errors.isEmpty else {
                let renderer = HumanRenderer()
                results.append(CaseResult(file: path, sop: file?.sop.value ?? "", name: "(file)",
                                          failures: errors.map { renderer.render($0).trimmingCharacters(in: .newlines) }))
                continue
            }
            tested.insert(file.sop.value)
            for c in file.cases {
                let service = RunService(store: try newStore(), catalogue: catalogue)
                var runner = CaseRun(service: service, file: file, testCase: c)
                var failures = runner.run()
                do {
                    // Every run a case made must verify: the journal is what the test exercised.
                    for v in try service.verify(nil) {
                        if let failure = v.failure {
                            failures.append("the journal of run \(v.run) fails verification at record \(failure.seq): \(failure.reason)")
                        }
                    }
                    for (sop, transitions) in try runner.coverage(sops: sops, exercised: &exercised) {
                        taken[sop, default: []].formUnion(transitions)
                    }
                } catch {
                    failures.append("\(error)")
                }
                results.append(CaseResult(file: path, sop: file.sop.value, name: c.name, failures: failures))
            }
        }
        let measured = sops ?? exercised.values.filter { tested.contains($0.id) }.sorted { $0.id < $1.id }
        let coverage = measured.map { sop in
            Coverage(sop: sop.id, all: Self.transitions(of: sop), taken: taken[sop.id] ?? [])
        }
        return (results, coverage)
    }

    /// Who acts in a step that names no actor: a tester with the role of the run's current state
    /// (`agent` when it names none). The recorder leaves such an actor out of what it writes.
    public static func defaultActor(_ run: RunState, _ engine: Engine) -> Actor {
        Actor(id: "tester", role: engine.sop.definition.state(run.state)?.role?.value ?? "agent")
    }

    static func transitions(of sop: CompiledSOP) -> [Coverage.Transition] {
        sop.definition.states.flatMap { state in
            state.transitions.enumerated().map { i, t in
                Coverage.Transition(state: state.id.value, index: i, to: t.to.value,
                                    trigger: t.on.map { "on \($0.value)" } ?? t.timerText.map { "after \($0)" } ?? "automatic")
            }
        }
    }
}

/// One case in progress.
struct CaseRun {
    let service: RunService
    let file: ScenarioFile
    let testCase: ScenarioCase
    var now: Int64
    var runID = "case"
    var failures: [String] = []

    init(service: RunService, file: ScenarioFile, testCase: ScenarioCase) {
        self.service = service
        self.file = file
        self.testCase = testCase
        now = testCase.now ?? ScenarioRunner.defaultStart
    }

    mutating func run() -> [String] {
        let ticket = testCase.ticket.map { ValueJSON.json($0) } ?? .object([])
        do {
            _ = try service.start(sop: file.sop.value, ticket: ticket, runID: runID, as: .actor(Actor(id: "tester", role: "agent")), now: now)
        } catch {
            return ["the run does not start: \(error)"]
        }
        for (i, step) in testCase.steps.enumerated() {
            let label = "step \(i + 1) (\(describe(step)))"
            var rejection: String?
            // The run the step goes to, which its expectation describes: the case's run, or
            // (`run: child`) the child it waits for, even after the step ended that child.
            var stepRun = runID
            do {
                stepRun = try target(step)
                try perform(step, on: stepRun)
            } catch RunError.rejected(let r) {
                rejection = r.description
            } catch {
                failures.append("\(label): \(error)")
                return failures
            }
            if let expected = step.expect?.error {
                if let rejection {
                    if !rejection.contains(expected) {
                        failures.append("\(label): expected a rejection containing '\(expected)', got: \(rejection)")
                    }
                } else {
                    failures.append("\(label): expected a rejection containing '\(expected)', but the step was applied")
                }
            } else if let rejection {
                failures.append("\(label): rejected: \(rejection)")
                return failures
            }
            if let expect = step.expect { check(expect, label, run: stepRun) }
        }
        if let expect = testCase.expect { check(expect, "at the end", run: runID) }
        return failures
    }

    func describe(_ step: ScenarioStep) -> String {
        switch step.action {
        case .input: return "input " + step.inputs.map(\.id.value).joined(separator: ", ")
        case .event(let e): return "event \(e.value)"
        case .ticket: return "ticket update"
        case .advance(let ms): return "advance \(DurationFormat.format(ms))"
        }
    }

    mutating func perform(_ step: ScenarioStep, on runID: String) throws {
        let inputs = step.inputs.map { ($0.id.value, Self.text(of: $0.value)) }
        let checks: ChecklistSelection? = step.check.map { $0.isEmpty ? .all : .items($0) }
        switch step.action {
        case .input:
            _ = try service.step(runID, .submit(inputs: inputs, event: nil, checks: checks), as: .actor(actor(step)), now: now)
        case .event(let e):
            _ = try service.step(runID, .submit(inputs: inputs, event: e.value, checks: checks), as: .actor(actor(step)), now: now)
        case .ticket(let patch):
            _ = try service.step(runID, .update(patch: ValueJSON.json(patch)), as: .actor(actor(step)), now: now)
        case .advance(let ms):
            now += ms
            _ = try service.tick(now: now)
        }
    }

    /// The run a step goes to: the case's run, or (`run: child`) the child it waits for.
    func target(_ step: ScenarioStep) throws -> String {
        guard step.toChild else { return runID }
        guard let child = try service.run(runID).0.child else {
            throw RunError.rejected(StepRejection("the run is not waiting for a child run"))
        }
        return child
    }

    /// The step's actor, or a tester with the role the current state asks for.
    func actor(_ step: ScenarioStep) throws -> Actor {
        if let a = step.actor { return Actor(id: a.id, role: a.role.value) }
        let (run, engine) = try service.run(try target(step))
        return ScenarioRunner.defaultActor(run, engine)
    }

    static func text(of node: YAMLNode) -> String {
        if let s = node.scalar { return s.text }
        return ValueJSON.json(node).render()
    }

    mutating func check(_ e: ScenarioExpectation, _ label: String, run runID: String) {
        guard let (run, engine) = try? service.run(runID) else {
            failures.append("\(label): the run cannot be read")
            return
        }
        if let state = e.state, state.value != run.state {
            // Why the run is still where it is: each way out of its state, toward the expected one first.
            let why = engine.whyNotTaken(run, toward: state.value, now: now)
            let help = why.isEmpty ? nil : engine.whyNotTakenHelp(run, toward: state.value, now: now)
            failures.append("\(label): expected state '\(state.value)', got '\(run.state)'"
                            + (why.isEmpty ? "" : "; why it stays in '\(run.state)':" + why.map { "\n  - " + $0 }.joined())
                            + (help.map { "\n  help: " + $0 } ?? ""))
        }
        if let outcome = e.outcome, outcome.value != run.outcome {
            failures.append("\(label): expected outcome '\(outcome.value)', got \(run.outcome.map { "'\($0)'" } ?? "none (the run is in '\(run.state)')")")
        }
        if let ticket = e.ticket, let problem = Self.subset(ValueJSON.json(ticket), of: run.ticket, at: "ticket") {
            failures.append("\(label): \(problem)")
        }
        for pair in e.vars?.mapping ?? [] {
            let name = pair.key.scalar?.text ?? ""
            let actual = ValueJSON.json(run.vars[name] ?? .null)
            if let problem = Self.subset(ValueJSON.json(pair.value), of: actual, at: "var.\(name)") {
                failures.append("\(label): \(problem)")
            }
        }
        if let path = e.path {
            let actual: [String]
            do { actual = try self.path(of: runID) } catch { failures.append("\(label): \(error)"); return }
            if actual != path.map(\.value) {
                failures.append("\(label): expected path [\(path.map(\.value).joined(separator: ", "))], got [\(actual.joined(separator: ", "))]")
            }
        }
        if let outbox = e.outbox {
            if case .int(let n)? = outbox.scalar?.resolved {
                if n != run.outbox.count { failures.append("\(label): expected \(n) outbox messages, got \(run.outbox.count)") }
            } else {
                let expected = outbox.sequence ?? [outbox]
                var remaining = run.outbox[...]
                for item in expected {
                    let want = ValueJSON.json(item)
                    guard let i = remaining.firstIndex(where: { Self.subset(want, of: $0, at: "", textContains: true) == nil }) else {
                        failures.append("\(label): no outbox message matches \(want.render()); the outbox holds \(JSONValue.array(run.outbox).render())")
                        break
                    }
                    remaining = remaining[(i + 1)...]
                }
            }
        }
    }

    /// The states a run went through, from its journal.
    func path(of runID: String) throws -> [String] {
        try service.journal(runID).filter(\.trigger.moved).map(\.to)
    }

    /// nil when `expected` is a subset of `actual`; else what differs. Numbers compare by value;
    /// with `textContains`, expected strings may be substrings.
    static func subset(_ expected: JSONValue, of actual: JSONValue, at path: String, textContains: Bool = false) -> String? {
        switch (expected, actual) {
        case (.object(let members), .object):
            for (key, value) in members {
                let here = path.isEmpty ? key : path + "." + key
                if let problem = subset(value, of: actual[key] ?? .null, at: here, textContains: textContains) { return problem }
            }
            return nil
        case (.int(let a), .number(let b)): return Decimal(a) == b ? nil : "expected \(path) = \(a), got \(b)"
        case (.number(let a), .int(let b)): return a == Decimal(b) ? nil : "expected \(path) = \(a), got \(b)"
        case (.string(let a), .string(let b)) where textContains: return b.contains(a) ? nil : "expected \(path) to contain '\(a)', got '\(b)'"
        default:
            return expected == actual ? nil : "expected \(path) = \(expected.render()), got \(actual.render())"
        }
    }

    /// Which transitions of which SOPs the case's runs took, read from their journals.
    func coverage(sops: [CompiledSOP]?, exercised: inout [String: CompiledSOP]) throws -> [String: Set<Coverage.Transition>] {
        var out: [String: Set<Coverage.Transition>] = [:]
        let byID = Dictionary((sops ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for summary in try service.summaries(sop: nil, state: nil, waiting: false) {
            let sop: CompiledSOP
            if let given = byID[summary.sop] {
                sop = given
            } else if sops == nil {
                sop = try exercised[summary.sop] ?? service.run(summary.run).1.sop
                exercised[summary.sop] = sop
            } else {
                continue
            }
            for r in try service.journal(summary.run) {
                guard let from = r.from, r.trigger.moved, let state = sop.definition.state(from),
                      let n = r.trigger.transition, n >= 1, n <= state.transitions.count else { continue }
                let t = state.transitions[n - 1]
                out[sop.id, default: []].insert(Coverage.Transition(
                    state: from, index: n - 1, to: r.to,
                    trigger: t.on.map { "on \($0.value)" } ?? t.timerText.map { "after \($0)" } ?? "automatic"))
            }
        }
        return out
    }
}
