import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON
import SOPStore

/// The bounds of the authors' sandboxes (docs/console.md, "The authors' sandbox").
public struct SandboxLimits: Sendable {
    /// Sandboxes kept at once; the one used longest ago goes first. A sandbox at its step bound
    /// holds about 4 MiB (measured: docs/decisions.md), so 20 hold at most about 80 MiB.
    public var sandboxes = 20
    /// The largest SOP text, in bytes.
    public var textBytes = 256 * 1024
    /// Runs one sandbox may start.
    public var runs = 20
    /// Steps, ticket updates and advances one sandbox may take over all its runs.
    public var steps = 2_000
    /// A sandbox not used for this long is dropped (a console session lives at most as long).
    public var idle: Int64 = 8 * 3_600_000

    public init() {}
}

/// An author's sandbox: an SOP's text being edited, linted and drawn as it changes, and runs of
/// it in a store of its own that lives only in memory, on a clock of its own that the author
/// moves on. Each run's session is recorded (`ScenarioRecorder`) and exported as a test case.
/// Nothing here reaches the real store: the sandbox's `RunService` has only its memory store.
/// One lock serialises everything a sandbox does.
public final class AuthorSandbox: @unchecked Sendable {
    /// A run of the sandbox with its recording.
    struct SandboxRun {
        var id: String
        var recorder: ScenarioRecorder
    }

    /// What the page shows of the text: its findings and its diagram.
    public struct Checked: Sendable {
        public var sop: String?
        public var diagnostics: [Diagnostic]
        /// The diagram of the text, or of the last text without errors when this one has some.
        public var diagram: String?
        /// False when `diagram` is of an earlier text (this one has errors).
        public var diagramIsCurrent: Bool
    }

    private let lock = NSLock()
    private let limits: SandboxLimits
    private let paths: [String]
    private let schema: TicketSchema?
    /// The path the text stands in for: the catalogue file it was loaded from, or a new one.
    private var path: String
    private var text: String
    private var checked: Checked
    private let service: RunService
    private var clock: Int64
    private var runs: [SandboxRun] = []
    private var steps = 0
    var lastUsed: Int64

    init(store: any RunStore, catalogue: SOPCatalogue, limits: SandboxLimits, now: Int64) {
        self.limits = limits
        paths = catalogue.paths
        schema = catalogue.schema
        path = Self.newPath(in: catalogue.paths)
        text = ""
        checked = Checked(sop: nil, diagnostics: [], diagram: nil, diagramIsCurrent: true)
        service = RunService(store: store, catalogue: catalogue)
        // Whole seconds: the recorded cases' clocks read back exactly.
        clock = now / 1000 * 1000
        lastUsed = now
    }

    static func newPath(in paths: [String]) -> String {
        let folder = paths.first.map { $0.hasSuffix(".sop.yaml") ? ($0 as NSString).deletingLastPathComponent : $0 } ?? "."
        return (folder as NSString).appendingPathComponent("sandbox.sop.yaml")
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: The text

    /// The text being edited.
    public var source: String { locked { text } }

    /// The text's findings and diagram as last checked.
    public var check: Checked { locked { checked } }

    /// The sandbox's clock.
    public var now: Int64 { locked { clock } }

    /// Loads the text of an SOP of the catalogue (`id`), to edit in place of its file.
    public func load(sop id: String) throws {
        let catalogue = SOPCatalogue(paths: paths, schema: schema)
        guard let entry = catalogue.sopFiles().map(catalogue.entry).first(where: { $0.id == id }),
              let data = FileManager.default.contents(atPath: entry.path) else {
            throw RunError.unknownSOP(id, catalogue.entries().compactMap(\.id))
        }
        try locked {
            path = entry.path
            try edit(String(decoding: data, as: UTF8.self))
        }
    }

    /// Replaces the text: it is linted against the catalogue's schema and calendars, drawn when it
    /// has no errors, and new runs start from it (runs started before keep their version).
    public func setText(_ new: String) throws {
        try locked { try edit(new) }
    }

    private func edit(_ new: String) throws {
        guard new.utf8.count <= limits.textBytes else {
            throw RunError.badRequest("the SOP text is \(new.utf8.count) bytes; the sandbox takes at most \(limits.textBytes)")
        }
        text = new
        let catalogue = SOPCatalogue(paths: paths, schema: schema, sources: [path: new])
        let entry = catalogue.entry(path)
        service.reload(catalogue)
        var diagram = checked.diagram
        if let sop = entry.compiled { diagram = GraphSVG.svg(sop.definition) }
        checked = Checked(sop: entry.id, diagnostics: entry.diagnostics.filter { $0.suppression == nil },
                          diagram: diagram, diagramIsCurrent: entry.compiled != nil)
    }

    // MARK: Runs

    private func spend() throws {
        guard steps < limits.steps else {
            throw RunError.badRequest("the sandbox has taken its \(limits.steps) steps; sign out and in again for a new one")
        }
        steps += 1
    }

    /// Starts a run of the text's SOP on `ticket`, at the sandbox's clock; its id.
    public func start(ticket: JSONValue) throws -> String {
        try locked {
            guard let sop = checked.sop else {
                throw RunError.badRequest("the SOP text has no SOP id to start (fix its errors first)")
            }
            guard runs.count < limits.runs else {
                throw RunError.badRequest("the sandbox has started its \(limits.runs) runs; sign out and in again for a new one")
            }
            try spend()
            let id = "sandbox-\(runs.count + 1)"
            _ = try service.start(sop: sop, ticket: ticket, runID: id, as: .actor(Actor(id: "tester", role: "agent")), now: clock)
            runs.append(SandboxRun(id: id, recorder: ScenarioRecorder(sop: sop, ticket: ticket, at: clock)))
            return id
        }
    }

    /// The sandbox's runs, the latest last.
    public var runIDs: [String] { locked { runs.map(\.id) } }

    /// Who takes a sandbox step: the tester a scenario test would use (the state's role), or for
    /// an event that role may not send, a tester with the first role that may (the author acts in
    /// every role here). nil for the default, which the recording leaves out.
    static func actor(_ run: RunState, _ engine: Engine, event: String?) -> Actor? {
        let tester = ScenarioRunner.defaultActor(run, engine)
        guard let event else { return nil }
        let roles = engine.eventRoles(run, event: event)
        guard !roles.isEmpty, !roles.contains(tester.role) else { return nil }
        return Actor(id: tester.id, role: roles[0])
    }

    /// A step on a run: inputs as typed, checklist ticks and an event. A refusal is recorded (as
    /// the case's expected error) and thrown.
    @discardableResult
    public func step(_ runID: String, inputs: [(String, String)], event: String?, checks: ChecklistSelection?) throws -> RunState {
        try locked {
            let index = try runIndex(runID)
            try spend()
            let (run, engine) = try service.run(runID, as: .system)
            let actor = Self.actor(run, engine, event: event)
            do {
                let result = try service.step(runID, .submit(inputs: inputs, event: event, checks: checks),
                                              as: .actor(actor ?? ScenarioRunner.defaultActor(run, engine)), now: clock)
                runs[index].recorder.step(inputs: inputs, event: event, checks: checks, actor: actor, at: clock,
                                          result: .applied(state: result.run.state, outcome: result.run.outcome))
                return result.run
            } catch RunError.rejected(let r) {
                runs[index].recorder.step(inputs: inputs, event: event, checks: checks, actor: actor, at: clock, result: .refused(reason: r.reason))
                throw RunError.rejected(r)
            }
        }
    }

    /// A JSON merge patch of a run's ticket, recorded.
    public func updateTicket(_ runID: String, patch: JSONValue) throws {
        try locked {
            let index = try runIndex(runID)
            try spend()
            let (run, engine) = try service.run(runID, as: .system)
            let actor = ScenarioRunner.defaultActor(run, engine)
            do {
                let result = try service.step(runID, .update(patch: patch), as: .actor(actor), now: clock)
                runs[index].recorder.ticketUpdate(patch, actor: nil, at: clock, result: .applied(state: result.run.state, outcome: result.run.outcome))
            } catch RunError.rejected(let r) {
                runs[index].recorder.ticketUpdate(patch, actor: nil, at: clock, result: .refused(reason: r.reason))
                throw RunError.rejected(r)
            }
        }
    }

    /// Moves the sandbox's clock on by `ms` (or to a later time) and fires what fell due, in
    /// every run; each run still going records the advance and where it went.
    public func advance(by ms: Int64) throws {
        try locked {
            guard ms > 0 else { throw RunError.badRequest("the sandbox's clock only moves forward") }
            guard ms <= 366 * 86_400_000 else { throw RunError.badRequest("the sandbox's clock moves at most a year at a time") }
            try spend()
            let going = try runs.indices.filter { try !service.run(runs[$0].id, as: .system).0.isEnded }
            clock += ms / 1000 * 1000
            _ = try service.tick(now: clock)
            for i in going {
                let (run, _) = try service.run(runs[i].id, as: .system)
                runs[i].recorder.advance(to: clock, result: .applied(state: run.state, outcome: run.outcome))
            }
        }
    }

    /// The run's session as a scenario test file of one case.
    public func export(_ runID: String, name: String = "recorded in the sandbox") throws -> (sop: String, yaml: String) {
        try locked {
            let index = try runIndex(runID)
            let (run, _) = try service.run(runID, as: .system)
            let path = try service.journal(runID, as: .system).filter(\.trigger.moved).map(\.to)
            var recorder = runs[index].recorder
            recorder.finish(state: run.state, outcome: run.outcome, path: path)
            return (recorder.sop, recorder.fileYAML(name: name))
        }
    }

    /// Reads the sandbox's runs with its service, at its clock.
    public func read<T>(_ body: (RunService, Int64) throws -> T) throws -> T {
        try locked { try body(service, clock) }
    }

    private func runIndex(_ id: String) throws -> Int {
        guard let i = runs.firstIndex(where: { $0.id == id }) else { throw RunError.unknownRun(id) }
        return i
    }
}

/// Makes a new, empty store for one sandbox: one that lives only in memory. The composition root
/// (`sopd`) gives it; the server hands it on without reaching a store itself.
public typealias SandboxStoreMaker = @Sendable () throws -> any RunStore

/// The authors' sandboxes of a server, one per console session, bounded in number and dropped
/// after a session's lifetime without use (or when its session signs out). Who may have one is
/// decided here: the role `author`, or `admin`.
public final class AuthorSandboxes: @unchecked Sendable {
    private let lock = NSLock()
    private var sandboxes: [String: AuthorSandbox] = [:]
    private let newStore: SandboxStoreMaker
    public let limits: SandboxLimits

    /// `newStore` makes each sandbox's store: one that lives only in memory.
    public init(limits: SandboxLimits = SandboxLimits(), newStore: @escaping SandboxStoreMaker) {
        self.limits = limits
        self.newStore = newStore
    }

    /// The roles that may use a sandbox.
    public static let roles = ["author", "admin"]

    public static func mayUse(_ who: Acting) -> Bool {
        guard let caller = who.caller else { return true }
        return caller.roles.contains(where: roles.contains)
    }

    public static func authorize(_ who: Acting) throws {
        guard mayUse(who) else { throw RunError.forbidden("the authors' sandbox is for the role 'author' (or 'admin')") }
    }

    /// The sandbox of a session (`key`), made on first use over `catalogue`'s folders and schema.
    public func sandbox(_ key: String, as who: Acting, catalogue: SOPCatalogue, now: Int64) throws -> AuthorSandbox {
        try Self.authorize(who)
        return try lock.withLock {
            sandboxes = sandboxes.filter { now - $0.value.lastUsed < limits.idle }
            if let found = sandboxes[key] {
                found.lastUsed = now
                return found
            }
            if sandboxes.count >= limits.sandboxes, let oldest = sandboxes.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                sandboxes[oldest.key] = nil
            }
            let made = AuthorSandbox(store: try newStore(), catalogue: catalogue, limits: limits, now: now)
            sandboxes[key] = made
            return made
        }
    }

    /// Drops a session's sandbox (it signed out).
    public func end(_ key: String) {
        lock.withLock { sandboxes[key] = nil }
    }

    /// How many sandboxes are kept.
    public var count: Int { lock.withLock { sandboxes.count } }
}
