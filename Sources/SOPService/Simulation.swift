import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON
import SOPStore

/// Which recorded runs `sop simulate` replays: those of the candidate's SOP id, narrowed by the
/// usual run filters (docs/cli.md, `sop simulate`).
public struct SimulationFilter: Sendable {
    /// Runs started at or after this time.
    public var from: Int64?
    /// Runs started before this time.
    public var to: Int64?
    /// Runs whose recorded state is this.
    public var state: String?
    /// `waiting` or `ended`.
    public var status: String?

    public init(from: Int64? = nil, to: Int64? = nil, state: String? = nil, status: String? = nil) {
        self.from = from
        self.to = to
        self.state = state
        self.status = status
    }

    func admits(_ stored: StoredRun) -> Bool {
        if let state, stored.json["state"] != .string(state) { return false }
        if let status, stored.json["status"] != .string(status) { return false }
        if from != nil || to != nil {
            guard case .int(let started)? = stored.json["started_at"] else { return false }
            if let from, Int64(started) < from { return false }
            if let to, Int64(started) >= to { return false }
        }
        return true
    }
}

/// Where a replay through the candidate parts from the recorded run: the first record that does
/// not come out the same.
public struct SimulationDivergence: Sendable, Equatable {
    /// The seq of the recorded record where the runs part.
    public var record: Int
    /// The state the recorded run was in at that record (where it diverged).
    public var state: String
    /// Why: the candidate's refusal, or both transitions.
    public var reason: String
    /// The state the recorded run went to at that record.
    public var recorded: String
    /// The state the candidate is in after the same command (where it refused: where it was).
    public var candidate: String
}

/// What replaying one recorded run through the candidate found.
public struct SimulatedRun: Sendable {
    public var run: String
    /// Journal records read.
    public var records: Int
    /// nil when the candidate takes exactly the recorded transitions.
    public var divergence: SimulationDivergence?
    /// The recorded run's outcome when it ended.
    public var recordedOutcome: String?
    /// The candidate's outcome when the replay (carried on past a divergence) ended it.
    public var candidateOutcome: String?
    /// SLA breaches by target id: recorded, and under the candidate.
    public var recordedBreaches: [String: Int] = [:]
    public var candidateBreaches: [String: Int] = [:]
    /// The recorded state of a waiting run that the candidate does not have: a deployment would
    /// strand it there.
    public var strandedIn: String?
    /// Why the journal could not be read (the run is not replayed; `sop verify` says more).
    public var unreadable: String?
}

/// `sop simulate`'s findings over every replayed run (docs/cli.md, `sop simulate`).
public struct SimulationReport: Sendable {
    public struct Group: Sendable, Equatable {
        public var state: String
        public var reason: String
        public var runs: Int
        /// The first few run ids, in run-id order.
        public var examples: [String]
    }

    public struct Diverged: Sendable, Equatable {
        public var run: String
        public var divergence: SimulationDivergence
    }

    /// The candidate: its SOP id, version, digest and file.
    public var sop: String
    public var version: Int
    public var digest: String
    public var file: String
    /// The candidate's SLA targets with their calendars (id → calendar id).
    public var targets: [(target: String, calendar: String)] = []
    public var replayed = 0
    public var identical = 0
    public var diverged: [Diverged] = []
    public var unreadable: [(run: String, reason: String)] = []
    public var records = 0
    public var groups: [Group] = []
    /// Runs ended both as recorded and under the candidate, by (recorded, candidate) outcome.
    public var outcomes: [String: [String: Int]] = [:]
    /// Breaches by target id: recorded, and under the candidate.
    public var breaches: [String: (recorded: Int, candidate: Int)] = [:]
    /// Waiting runs in a state the candidate lacks.
    public var stranded: [(run: String, state: String)] = []

    /// How many example run ids a group keeps.
    public static let examplesPerGroup = 3

    init(sop: String, version: Int, digest: String, file: String) {
        self.sop = sop
        self.version = version
        self.digest = digest
        self.file = file
    }

    /// Diverged runs as a share of those replayed, in percent (0 when none was replayed).
    public var divergedPercent: Double { replayed == 0 ? 0 : Double(diverged.count) * 100 / Double(replayed) }

    mutating func add(_ run: SimulatedRun) {
        records += run.records
        if let strandedIn = run.strandedIn { stranded.append((run.run, strandedIn)) }
        if let reason = run.unreadable {
            unreadable.append((run.run, reason))
            return
        }
        replayed += 1
        if let d = run.divergence {
            diverged.append(Diverged(run: run.run, divergence: d))
            if let i = groupIndex[GroupKey(state: d.state, reason: d.reason)] {
                groups[i].runs += 1
                if groups[i].examples.count < Self.examplesPerGroup { groups[i].examples.append(run.run) }
            } else {
                groupIndex[GroupKey(state: d.state, reason: d.reason)] = groups.count
                groups.append(Group(state: d.state, reason: d.reason, runs: 1, examples: [run.run]))
            }
        } else {
            identical += 1
        }
        if let recorded = run.recordedOutcome, let candidate = run.candidateOutcome {
            outcomes[recorded, default: [:]][candidate, default: 0] += 1
        }
        for (target, n) in run.recordedBreaches { breaches[target, default: (0, 0)].recorded += n }
        for (target, n) in run.candidateBreaches { breaches[target, default: (0, 0)].candidate += n }
    }

    /// The groups, most runs first (then by state and reason).
    mutating func finish() {
        groups.sort { ($0.runs, $1.state, $1.reason) > ($1.runs, $0.state, $0.reason) }
        groupIndex = [:]
    }

    private struct GroupKey: Hashable {
        var state: String
        var reason: String
    }

    private var groupIndex: [GroupKey: Int] = [:]
}

/// A candidate SOP file, compiled to be replayed against recorded runs.
public struct SimulationCandidate: Sendable {
    public let sop: CompiledSOP
    public let file: String

    /// Loads the candidate file: linted and compiled against the current ticket schema, its
    /// business timers and SLA targets on the calendars of its own folder and then the SOP
    /// folder's. A file that cannot be read or has lint errors throws (exit 2).
    public static func load(_ path: String, catalogue: SOPCatalogue) throws -> SimulationCandidate {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunError.badRequest("\(path): the candidate SOP cannot be read")
        }
        let calendars = CalendarSet.load(paths: [path] + catalogue.paths)
        do {
            let sop = try CompiledSOP.compile(SourceFile(path: path, bytes: [UInt8](data)), schema: catalogue.schema, calendars: calendars)
            return SimulationCandidate(sop: sop, file: path)
        } catch {
            throw RunError.invalidSOP(error)
        }
    }
}

extension RunService {
    /// How many run ids one read of a simulation takes (as `verifyEach`).
    static let simulationPage = verifyPage

    /// Replays the recorded runs of the candidate's SOP id through the candidate, a page of run
    /// ids per read as `sop verify` reads them (memory holds a page, one run, and the report).
    /// Reads only: the store is never written. `each` hears every run's result as it comes.
    public func simulate(_ candidate: SimulationCandidate, filter: SimulationFilter = SimulationFilter(), as who: Acting,
                         progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
                         each: ((SimulatedRun) -> Void)? = nil) throws -> SimulationReport {
        if let caller = who.caller { try Self.authorize(caller, engine(candidate.sop)) }
        let reader = self.reader()
        var report = SimulationReport(sop: candidate.sop.id, version: candidate.sop.version, digest: candidate.sop.digest,
                                      file: candidate.file)
        if let sla = candidate.sop.definition.sla {
            report.targets = sla.targets.map { ($0.id.value, ($0.calendar ?? sla.calendar)?.value ?? "") }
        }
        var simulator = Simulator(service: reader, candidate: candidate.sop)
        let total = try progress.map { _ in try reader.store.read { tx in try tx.runCount() } } ?? 0
        progress?(0, total)
        var after: String?, done = 0
        while true {
            let page = try reader.store.read { tx -> [String] in
                let ids = try tx.runIDs(after: after, limit: Self.simulationPage)
                for id in ids {
                    guard let stored = try tx.run(id) else { throw RunError.unknownRun(id) }
                    guard stored.sop == candidate.sop.id, filter.admits(stored) else { continue }
                    let result = try simulator.simulate(stored, id: id, tx)
                    report.add(result)
                    each?(result)
                }
                return ids
            }
            done += page.count
            progress?(done, total)
            guard page.count == Self.simulationPage, let last = page.last else { break }
            after = last
        }
        report.finish()
        return report
    }
}

/// Replays recorded runs through a candidate SOP, step by step as `Replay` does for `sop verify`
/// (a step is the records sharing a `version`; its command record gives the command; timers
/// alone are a tick at the last record's time), comparing transitions instead of bytes: each
/// record's from, to and trigger kind, and refusals. After the first divergence the replay
/// goes on (a command the candidate refuses is passed over) to learn the candidate's outcome
/// and SLA breaches, but compares no more.
struct Simulator {
    let service: RunService
    let candidate: CompiledSOP
    /// The candidate's engine under each ticket schema runs are pinned to, by schema digest.
    private var engines: [String: Engine] = [:]

    init(service: RunService, candidate: CompiledSOP) {
        self.service = service
        self.candidate = candidate
    }

    /// The candidate runs under the ticket schema the recorded run was pinned to, so that only
    /// the SOP changes (docs/decisions.md).
    mutating func engine(schema digest: String?, _ tx: any StoreTransaction) throws -> Engine {
        let key = digest ?? ""
        if let known = engines[key] { return known }
        let engine = Engine(sop: candidate, schema: try service.pinnedSchema(digest, tx))
        engines[key] = engine
        return engine
    }

    mutating func simulate(_ stored: StoredRun, id: String, _ tx: any StoreTransaction) throws -> SimulatedRun {
        var result = SimulatedRun(run: id, records: 0)
        let recordedState: String? = { if case .string(let s)? = stored.json["state"] { return s } else { return nil } }()
        let waiting = stored.json["status"] == .string("waiting")
        if waiting, let recordedState, candidate.definition.state(recordedState) == nil { result.strandedIn = recordedState }
        if stored.json["status"] == .string("ended"), case .string(let outcome)? = stored.json["outcome"] { result.recordedOutcome = outcome }
        let records: [JournalRecord]
        do {
            records = try tx.journal(id)
        } catch let error as JournalReadError {
            result.records = error.seq + 1
            result.unreadable = "the journal cannot be read at record \(error.seq): \(error.reason)"
            return result
        }
        result.records = records.count
        for r in records { Self.countBreach(r, into: &result.recordedBreaches) }
        let engine = try engine(schema: stored.schemaDigest, tx)
        replay(records, stored: stored, id: id, engine: engine, into: &result)
        return result
    }

    /// What a step of the recorded journal asks of the candidate. Every kind of record is
    /// handled here, in one switch: a kind added later (a migration to another SOP version)
    /// gets its case here, such as a step that ends the comparison at that record.
    enum RecordedStep {
        case start(JournalRecord)
        case command(StepCommand, JournalRecord)
        /// Timers (and SLA events, and what they set off) alone: time passing, up to `at`.
        case tick(at: Int64)
        /// A migration to another version of the SOP (`sop migrate`): the candidate is one
        /// version throughout, so the step is neither replayed nor compared; the comparison goes
        /// on with the next step, from wherever the candidate is.
        case migration
    }

    func recordedStep(_ group: ArraySlice<JournalRecord>, current: RunState?) -> RecordedStep {
        guard let head = group.first(where: { $0.trigger.isCommand }) else { return .tick(at: group.last!.at) }
        switch head.trigger.kind {
        case .start:
            return .start(head)
        case .event, .input, .child:
            // The command as `sop verify` replays it (a child's end: the recorded outcome and
            // ticket; the child run is not replayed here, it is when its SOP is the candidate).
            // Without a run yet, the step fails at its start record (any command will do).
            guard let current, let command = try? Replay.command(for: head, current: current) else { return .command(.tick, head) }
            return .command(command, head)
        case .auto, .timer, .sla:
            return .tick(at: group.last!.at)
        case .migrate:
            return .migration
        }
    }

    /// The moves of a step as compared: each record's from, to and trigger kind, without the SLA
    /// clocks' own records that move nothing (their breaches are counted apart).
    struct Move: Equatable {
        var from: String?
        var to: String
        var kind: JournalTrigger.Kind

        var text: String { "\(from.map { "\($0) → " } ?? "start → ")\(to) (\(kind.rawValue))" }
    }

    static func moves<C: Collection<JournalRecord>>(_ records: C) -> [(move: Move, seq: Int)] {
        records.compactMap { r in
            r.trigger.kind == .sla && !r.trigger.moved ? nil : (Move(from: r.from, to: r.to, kind: r.trigger.kind), r.seq)
        }
    }

    static func countBreach(_ r: JournalRecord, into counts: inout [String: Int]) {
        guard r.trigger.kind == .sla, case .object(let sla)? = r.trigger.sla, sla["event"] == .string("breached"),
              case .string(let target)? = sla["target"] else { return }
        counts[target, default: 0] += 1
    }

    private func replay(_ records: [JournalRecord], stored: StoredRun, id: String, engine: Engine, into result: inout SimulatedRun) {
        let versioned = records.first?.version != nil
        var run: RunState?
        var i = 0
        func diverge(_ seq: Int, state: String, _ reason: String, recorded: String, candidate: String) {
            guard result.divergence == nil else { return }
            result.divergence = SimulationDivergence(record: seq, state: state, reason: reason, recorded: recorded, candidate: candidate)
        }
        while i < records.count {
            // A step: the records of one version; without versions, up to the next command.
            var end = i + 1
            if versioned {
                while end < records.count && records[end].version == records[i].version { end += 1 }
            } else {
                while end < records.count && !records[end].trigger.isCommand { end += 1 }
            }
            let group = records[i..<end]
            defer { i = end }
            let head = group.first!
            let here = run?.state ?? head.from ?? head.to
            let step = recordedStep(group, current: run)
            var decision: StepDecision
            do {
                switch step {
                case .start(let record):
                    guard run == nil else {
                        diverge(record.seq, state: here, "a start record that does not begin the journal", recorded: record.to, candidate: here)
                        continue
                    }
                    let parent: String? = { if case .string(let p)? = stored.json["parent"] { return p } else { return nil } }()
                    decision = try engine.start(id: id, ticket: stored.initialTicket, actor: record.actor, now: record.at, parent: parent)
                case .command(let command, let record):
                    guard let current = run else {
                        diverge(record.seq, state: here, "the journal does not begin with a start record", recorded: record.to, candidate: here)
                        return
                    }
                    if case .childEnded = command, current.child == nil {
                        let reason = current.isEnded
                            ? "the candidate has ended ('\(current.outcome ?? "")') where the recorded run took its child's end"
                            : "the candidate does not wait for a child run in state '\(current.state)' where the recorded run took its child's end ('\(record.trigger.outcome ?? "")')"
                        diverge(record.seq, state: record.from ?? here, reason, recorded: record.to, candidate: current.state)
                        continue
                    }
                    decision = try engine.apply(command, to: current, actor: record.actor, now: record.at)
                    if !decision.changed, case .update = command, Replay.isUnchangedUpdate(record, in: current) {
                        var legacy = engine
                        legacy.recordsUnchangedUpdates = true
                        decision = try legacy.apply(command, to: current, actor: record.actor, now: record.at)
                    }
                case .tick(let at):
                    guard let current = run else {
                        diverge(head.seq, state: here, "the journal does not begin with a start record", recorded: head.to, candidate: here)
                        return
                    }
                    decision = try engine.apply(.tick, to: current, actor: .system, now: at)
                    if !decision.changed {
                        // A journal of sopkit before 2026-12 may hold a computed timer taken at
                        // its deadline, before its state's entry (docs/decisions.md).
                        var legacy = engine
                        legacy.timersBeforeEntry = true
                        decision = try legacy.apply(.tick, to: current, actor: .system, now: at)
                    }
                case .migration:
                    continue
                }
            } catch {
                // A refused command: the candidate stays where it was, and the replay goes on
                // with the next recorded command.
                let record: JournalRecord
                switch step {
                case .command(_, let r), .start(let r): record = r
                case .tick, .migration: record = head
                }
                diverge(record.seq, state: record.from ?? here, "the candidate refuses it: \(error.reason)", recorded: record.to,
                        candidate: run?.state ?? "(not started)")
                continue
            }
            for r in decision.records { Self.countBreach(r, into: &result.candidateBreaches) }
            if result.divergence == nil { compare(group, decision.records, run: run, into: &result) }
            run = decision.takeRun()
        }
        if let run, run.isEnded { result.candidateOutcome = run.outcome }
    }

    /// Compares a step's recorded moves with the candidate's; notes the first difference.
    private func compare(_ group: ArraySlice<JournalRecord>, _ candidate: [JournalRecord], run: RunState?, into result: inout SimulatedRun) {
        let recorded = Self.moves(group), taken = Self.moves(candidate)
        let lastSeq = group.last!.seq
        for k in 0..<max(recorded.count, taken.count) {
            switch (k < recorded.count ? recorded[k] : nil, k < taken.count ? taken[k] : nil) {
            case let (r?, c?) where r.move != c.move:
                result.divergence = SimulationDivergence(
                    record: r.seq, state: r.move.from ?? r.move.to,
                    reason: "the recorded run went \(r.move.text), the candidate \(c.move.text)", recorded: r.move.to, candidate: c.move.to)
                return
            case let (r?, nil):
                let at = k == 0 ? (run?.state ?? r.move.from ?? r.move.to) : taken[k - 1].move.to
                result.divergence = SimulationDivergence(
                    record: r.seq, state: r.move.from ?? r.move.to,
                    reason: "the recorded run went \(r.move.text), the candidate stays in \(at)", recorded: r.move.to, candidate: at)
                return
            case let (nil, c?):
                result.divergence = SimulationDivergence(
                    record: lastSeq, state: c.move.from ?? c.move.to,
                    reason: "the candidate goes on \(c.move.text) where the recorded run stayed", recorded: group.last!.to, candidate: c.move.to)
                return
            default:
                continue
            }
        }
    }
}
