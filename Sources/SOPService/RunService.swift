import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON
import SOPStore

/// The result of a step command.
public struct StepResult: Sendable {
    public var run: RunState
    public var engine: Engine
    /// True when a repeated `--request-id` made this a no-op.
    public var duplicate: Bool
}

/// What `sop verify` found for one run.
public struct Verification: Sendable {
    public var run: String
    public var records: Int
    /// nil when the chain and the replay agree; else the first bad record and why.
    public var failure: (seq: Int, reason: String)?
    /// The run as replaying its journal leaves it (nil when verification failed).
    public var replayed: RunState?

    public init(run: String, records: Int, failure: (seq: Int, reason: String)?, replayed: RunState? = nil) {
        self.run = run
        self.records = records
        self.failure = failure
        self.replayed = replayed
    }
}

/// What verifying every run found, in all (`RunService.verifyEach`): the counts `sop verify`
/// summarises with.
public struct VerificationTally: Sendable, Equatable {
    /// Runs verified.
    public var runs = 0
    /// Runs whose journal failed.
    public var failed = 0
    /// Journal records read, in all.
    public var records = 0

    public init(runs: Int = 0, failed: Int = 0, records: Int = 0) {
        self.runs = runs
        self.failed = failed
        self.records = records
    }

    mutating func add(_ verification: Verification) {
        runs += 1
        records += verification.records
        if verification.failure != nil { failed += 1 }
    }
}

/// Runs SOPs against tickets: loads and pins SOPs, asks the engine to decide steps, and applies
/// each decision to the store in one transaction, with the child runs and parent notifications
/// it causes.
public final class RunService {
    let store: any RunStore
    /// Where SOPs are looked up by id: the SOP folder, or the files `sop test` was given.
    public private(set) var catalogue: SOPCatalogue
    /// The ticket schema new runs start under (each run keeps the one it started under).
    public var schema: TicketSchema? { catalogue.schema }
    /// Engines for pinned (SOP source, ticket schema) pairs, by "SOP-DIGEST SCHEMA-DIGEST".
    private var engines: [String: Engine] = [:]
    private var schemas: [String: TicketSchema] = [:]
    /// Digests this service has already written to the sources table (a cache; the insert is
    /// idempotent). Reset when a transaction fails, since the insert may have been rolled back.
    var pinnedInStore = Set<String>()

    public convenience init(store: any RunStore, sopsFolder: String, schema: TicketSchema?) {
        self.init(store: store, catalogue: SOPCatalogue(folder: sopsFolder, schema: schema))
    }

    public init(store: any RunStore, catalogue: SOPCatalogue) {
        self.store = store
        self.catalogue = catalogue
    }

    // MARK: SOPs

    /// Serves SOPs from another catalogue from now on (a server reloading its SOP folder). Runs
    /// already started stay pinned to the sources they started with; new runs start from the
    /// new files.
    public func reload(_ catalogue: SOPCatalogue) {
        self.catalogue = catalogue
    }

    /// The SOP with this id as its file is now (the catalogue loads each file once).
    public func currentSOP(_ id: String) throws -> CompiledSOP {
        let compiled: CompiledSOP
        do {
            compiled = try catalogue.sop(id)
        } catch {
            switch error {
            case .unknown(let id, let known, let unreadable): throw RunError.unknownSOP(id, known, unreadable: unreadable.map(\.description))
            case .invalid(let problem): throw RunError.invalidSOP(problem)
            }
        }
        // Runs started from it are pinned to it under the current schema: reuse its engine for them.
        let key = compiled.digest + " " + schemaDigest
        if engines[key] == nil { engines[key] = engine(compiled) }
        return compiled
    }

    /// The digest new runs are pinned to for their ticket schema.
    var schemaDigest: String { schema?.digest ?? TicketSchema.noneDigest }

    /// The ticket schema a run is pinned to: nil digest (a run stored before schemas were
    /// pinned) means the schema in effect now.
    func pinnedSchema(_ digest: String?, _ tx: any StoreTransaction) throws -> TicketSchema? {
        guard let digest else { return schema }
        if digest == TicketSchema.noneDigest { return nil }
        if digest == schema?.digest { return schema }
        if let known = schemas[digest] { return known }
        guard let text = try tx.schema(digest: digest) else {
            throw RunError.store("the ticket schema \(digest) is missing from the store")
        }
        do {
            let loaded = try TicketSchema.parse(bytes: Array(text.utf8), path: "pinned ticket schema \(digest)")
            schemas[digest] = loaded
            return loaded
        } catch {
            throw RunError.store("the pinned ticket schema \(digest) cannot be read: \(error)")
        }
    }

    /// The engine for a run pinned to an SOP source and a ticket schema.
    func pinnedEngine(sop digest: String, schema schemaDigest: String?, _ tx: any StoreTransaction) throws -> Engine {
        let key = digest + " " + (schemaDigest ?? "")
        if let engine = engines[key] { return engine }
        guard let text = try tx.source(digest: digest) else { throw RunError.store("the SOP source \(digest) is missing from the store") }
        let schema = try pinnedSchema(schemaDigest, tx)
        do {
            let sop = try CompiledSOP.compile(pinned: text, path: "pinned \(digest)")
            let engine = Engine(sop: sop, schema: schema)
            engines[key] = engine
            return engine
        } catch {
            throw RunError.invalidSOP(error)
        }
    }

    func pinnedEngine(_ stored: StoredRun, _ tx: any StoreTransaction) throws -> Engine {
        try pinnedEngine(sop: stored.sopDigest, schema: stored.schemaDigest, tx)
    }

    /// The engine for starting new runs of a current SOP (under the current ticket schema).
    func engine(_ sop: CompiledSOP) -> Engine { Engine(sop: sop, schema: schema) }

    /// Reads a stored run with the engine it is pinned to.
    func load(_ stored: StoredRun, _ tx: any StoreTransaction) throws -> (RunState, Engine) {
        let engine = try pinnedEngine(stored, tx)
        guard let run = RunState(json: stored.json, sop: engine.sop, schema: engine.schema) else {
            throw RunError.store("run \(stored.json["id"]?.render() ?? "?") cannot be read from the store")
        }
        return (run, engine)
    }

    // MARK: Commands

    /// Starts one run per ticket; a ticket that fails its schema starts nothing and is reported.
    public func startBulk(sop id: String, tickets: [(line: Int, ticket: JSONValue)], as who: Acting, now: Int64,
                          batch: Int = 5000) throws -> (started: [String], failed: [(line: Int, reason: String)]) {
        let sop = try currentSOP(id)
        let actor = try Self.starter(who, engine(sop))
        var started: [String] = []
        var failed: [(Int, String)] = []
        // Each batch's starts are decided and prepared on all cores from before the transaction
        // that writes the batch ahead of it: this thread writes, in order, while the cores work.
        let engine = self.engine(sop)
        typealias Prepared = Result<(PreparedStep, String), StepRejection>
        var index = 0
        func decideNext() -> ParallelStream<(line: Int, ticket: JSONValue, id: String), Prepared>? {
            guard index < tickets.count else { return nil }
            let slice = tickets[index..<min(index + max(1, batch), tickets.count)]
            index += slice.count
            // The batch's run ids from one read of the system's random source.
            let items = zip(slice, Self.newRunIDs(slice.count)).map { (line: $0.line, ticket: $0.ticket, id: $1) }
            return ParallelStream(items, chunk: 64) { item -> Prepared in
                Result { () throws(StepRejection) -> (PreparedStep, String) in
                    let decision = try engine.start(id: item.id, ticket: item.ticket, actor: actor, now: now)
                    return (Self.prepare(decision, engine: engine, previousVersion: 0), item.ticket.render())
                }
            }
        }
        var pending = decideNext()
        while let current = pending {
            pending = decideNext()
            try write { tx in
                try self.pin(sop, tx)
                // A start state that calls another SOP (its child starts in this transaction), or
                // an id already taken: the one-by-one path.
                func oneByOne(_ item: (line: Int, ticket: JSONValue, id: String)) throws {
                    do {
                        let run = try self.start(sop, ticket: item.ticket, runID: nil, actor: actor, now: now, parent: nil, tx)
                        started.append(run.id)
                    } catch RunError.rejected(let r) {
                        failed.append((item.line, r.description))
                    }
                }
                // Starts with no effects are inserted together (one statement on PostgreSQL),
                // before any start taken one by one, so runs keep the tickets' order.
                var plain: [(item: (line: Int, ticket: JSONValue, id: String), step: PreparedStep, ticket: String)] = []
                func insertPlain() throws {
                    guard !plain.isEmpty else { return }
                    let batch = plain
                    plain.removeAll(keepingCapacity: true)
                    let inserted = try tx.insertRunsIfAbsent(batch.map(\.step.row), sop: sop.id, sopDigest: sop.digest,
                                                             schemaDigest: self.schemaDigest, initialTickets: batch.map(\.ticket))
                    for start in batch {
                        guard inserted.contains(start.step.run.id) else { try oneByOne(start.item); continue }
                        try tx.appendJournal(start.step.journal)
                        started.append(start.step.run.id)
                    }
                }
                try current.consume { item, outcome in
                    switch outcome {
                    case .failure(let rejection):
                        failed.append((item.line, rejection.description))
                    case .success(let (step, initialTicket)) where step.effects.isEmpty:
                        plain.append((item, step, initialTicket))
                    case .success:
                        try insertPlain()
                        try oneByOne(item)
                    }
                }
                try insertPlain()
            }
        }
        return (started, failed)
    }

    /// Steps a run as `who`. A repeated request id applies once.
    public func step(_ runID: String, _ command: StepCommand, as who: Acting, now: Int64, requestID: String? = nil) throws -> StepResult {
        try step(StepRequest(run: runID, command: command, who: who, now: now, requestID: requestID))
    }

    /// Steps a run as `request` asks: as its actor, or as the role of its caller that may take the
    /// step (403 when none may), at the version it expects (if it names one).
    public func step(_ request: StepRequest) throws -> StepResult {
        try write { tx in try self.step(request, tx) }
    }

    /// Steps several runs in one transaction and one commit (a server commits the steps that
    /// arrive together this way): each step is kept or refused alone, and a store error fails
    /// them all.
    ///
    /// Steps on runs the batch steps once, with no request id, are read together, decided, and
    /// those that start or move no other run saved together (one statement each for the runs and
    /// the journal where a round trip costs: PostgreSQL); a refusal has written nothing. The rest
    /// — a run stepped twice, a request id to claim, a step with effects — follow one by one, each
    /// in a savepoint, in the order they came. Steps that arrive together are concurrent: the
    /// answer is what taking them one at a time in that order gives.
    public func stepBatch(_ requests: [StepRequest]) -> [Result<StepResult, RunError>] {
        var results: [Result<StepResult, RunError>?] = []
        do {
            try write { tx in
                results = Array(repeating: nil, count: requests.count)
                var times: [String: Int] = [:]
                for request in requests { times[request.run, default: 0] += 1 }
                let together = requests.indices.filter { times[requests[$0].run] == 1 && requests[$0].requestID == nil }
                let stored = try tx.runs(together.map { requests[$0].run })
                var alone = Set(requests.indices).subtracting(together)
                var plain: [(index: Int, step: PreparedStep, engine: Engine)] = []
                for i in together {
                    do {
                        guard let found = stored[requests[i].run] else { throw RunError.unknownRun(requests[i].run) }
                        let (run, engine, decision) = try decide(requests[i], found, tx)
                        guard decision.effects.isEmpty else {
                            alone.insert(i)
                            continue
                        }
                        plain.append((i, Self.prepare(decision, engine: engine, previousVersion: run.version), engine))
                    } catch let error as RunError {
                        if error.isStoreFailure { throw error }
                        results[i] = .failure(error)
                    }
                }
                let changed = plain.filter(\.step.changed)
                let saved = try tx.updateRuns(changed.map { ($0.step.row, $0.step.previousVersion) })
                try tx.appendJournal(changed.filter { saved.contains($0.step.run.id) }.flatMap(\.step.journal))
                for (i, step, engine) in plain {
                    // The writer holds the store's write lock: no other step can have moved the run.
                    guard !step.changed || saved.contains(step.run.id) else {
                        throw RunError.store("run \(step.run.id) changed under the write lock")
                    }
                    results[i] = .success(StepResult(run: step.run, engine: engine, duplicate: false))
                }
                for i in alone.sorted() {
                    do {
                        results[i] = .success(try tx.savepoint { try self.step(requests[i], tx) })
                    } catch let error as RunError {
                        if error.isStoreFailure { throw error }
                        // Its savepoint undid what it wrote, SOP sources it pinned included.
                        self.pinnedInStore = []
                        results[i] = .failure(error)
                    }
                }
            }
        } catch {
            let failure = RunError.fromStore(error)
            return requests.map { _ in .failure(failure) }
        }
        return results.map { $0! }
    }

    func step(_ request: StepRequest, _ tx: any StoreTransaction) throws -> StepResult {
        let runID = request.run
        guard let stored = try tx.run(runID) else { throw RunError.unknownRun(runID) }
        if let requestID = request.requestID, try !tx.claimRequest(run: runID, requestID: requestID) {
            let (run, engine) = try self.load(stored, tx)
            return StepResult(run: run, engine: engine, duplicate: true)
        }
        let (run, engine, decision) = try decide(request, stored, tx)
        let saved = try self.persist(decision, engine: engine, previousVersion: run.version, tx)
        try self.carryOut(decision.effects, from: saved, now: request.now, tx)
        let final = decision.effects.isEmpty ? saved : try tx.run(runID).flatMap { RunState(json: $0.json, sop: engine.sop, schema: engine.schema) } ?? saved
        return StepResult(run: final, engine: engine, duplicate: false)
    }

    /// What a step request decides for its run as stored: the run, its engine and the decision,
    /// or the refusal. Nothing is written.
    private func decide(_ request: StepRequest, _ stored: StoredRun, _ tx: any StoreTransaction) throws
        -> (run: RunState, engine: Engine, decision: StepDecision) {
        let (run, engine) = try self.load(stored, tx)
        if let expected = request.expectedVersions, !expected.contains(run.version) {
            throw RunError.versionMismatch(expected: expected.sorted(), current: run.version)
        }
        try Self.refuseGoingBack(run, now: request.now)
        if case .update = request.command, run.isEnded {
            throw RunError.rejected(StepRejection("run \(run.id) has ended with outcome '\(run.outcome ?? "")'; its ticket can no longer be changed"))
        }
        let actor = try Self.actor(request.who, for: request.command, run: run, engine: engine, now: request.now)
        let decision = try Self.rejecting { () throws(StepRejection) -> StepDecision in
            try engine.apply(request.command, to: run, actor: actor, now: request.now)
        }
        return (run, engine, decision)
    }

    /// Takes the due timers of every waiting run, oldest run first, in batches of `batch` runs per
    /// transaction. Each run is stepped once: a step takes every timer due by `now` whose guard
    /// holds, so a run left due (its guard does not hold) is not tried again until the next tick.
    /// Runs that become due during the tick (a child started by a timer) are taken by another
    /// pass. Returns the runs stepped and the transitions taken.
    public func tick(now: Int64, batch: Int = 5000) throws -> (runs: Int, transitions: Int) {
        var runs = 0, transitions = 0
        var visited = Set<Int64>()
        while true {
            let due = try store.read { tx in try tx.dueRowIDs(at: now) }.filter { !visited.contains($0) }
            if due.isEmpty { break }
            visited.formUnion(due)
            // Each batch is read in the transaction before the one that writes it, and its steps
            // are decided and prepared on all cores while that transaction writes and commits the
            // batch before: the cores are never idle waiting for the disk. A run an earlier write
            // changed after it was read is caught by its version and stepped again (writeTickStep).
            var index = 0
            var pending: ParallelStream<DueRun, PreparedStep?>?
            repeat {
                let (done, moved, next) = try write { tx -> (Int, Int, ParallelStream<DueRun, PreparedStep?>?) in
                    let current = try pending ?? self.decideDue(due, from: &index, batch: batch, now: now, tx)
                    let next = try self.decideDue(due, from: &index, batch: batch, now: now, tx)
                    var done = 0, moved = 0
                    // Steps with no effects are saved together (one statement on PostgreSQL),
                    // before any step with effects, so the writes keep the runs' order.
                    var plain: [(step: PreparedStep, rowID: Int64)] = []
                    func savePlain() throws {
                        guard !plain.isEmpty else { return }
                        let batch = plain
                        plain.removeAll(keepingCapacity: true)
                        for records in try self.writePlainTickSteps(batch, now: now, tx) {
                            guard let records else { continue }
                            moved += records
                            done += 1
                        }
                    }
                    try current?.consume { item, step in
                        guard let step else { return }
                        if step.effects.isEmpty {
                            plain.append((step, item.rowID))
                            return
                        }
                        try savePlain()
                        guard let records = try self.writeTickStep(step, rowID: item.rowID, now: now, tx) else { return }
                        moved += records
                        done += 1
                    }
                    try savePlain()
                    return (done, moved, next)
                }
                runs += done
                transitions += moved
                pending = next
            } while pending != nil
        }
        return (runs, transitions)
    }

    /// A due run as a tick reads it: its row, its JSON text and the engine it is pinned to.
    struct DueRun: Sendable {
        var rowID: Int64
        var data: String
        var engine: Engine
    }

    /// Reads the next batch of `due` (from `index`, which it advances) and starts deciding and
    /// preparing its steps on all cores; nil when `due` is done. The rows and the engines are read
    /// on this thread: the store and the SOP cache are not shared.
    private func decideDue(_ due: [Int64], from index: inout Int, batch: Int, now: Int64,
                           _ tx: any StoreTransaction) throws -> ParallelStream<DueRun, PreparedStep?>? {
        guard index < due.count else { return nil }
        let chunk = due[index..<min(index + max(1, batch), due.count)]
        index += chunk.count
        let loaded = try tx.dueRunTexts(rowIDs: chunk, at: now).map { run in
            DueRun(rowID: run.rowID, data: run.data, engine: try pinnedEngine(sop: run.sopDigest, schema: run.schemaDigest, tx))
        }
        return ParallelStream(loaded, chunk: 64) { item -> PreparedStep? in
            // A guard that fails at run time leaves the run for its agent.
            // A run changed after `now` (a tick given a later --now) is left: its timers would
            // be recorded before what its journal holds.
            guard let json = try? JSONParser.parse(item.data),
                  let run = RunState(json: json, sop: item.engine.sop, schema: item.engine.schema), run.updatedAt <= now,
                  let decision = try? item.engine.apply(.tick, to: run, actor: .system, now: now) else { return nil }
            return Self.prepare(decision, engine: item.engine, previousVersion: run.version)
        }
    }

    /// Writes steps a tick prepared that have no effects, saved together; for each, the number of
    /// records written, or nil when the run is left for its agent. Nothing to undo: each update
    /// checks its run's version before it writes anything, so no savepoint is needed. A run whose
    /// version moved since its step was decided is stepped again from what is stored now (a step
    /// that changed nothing only refreshes the run's due time, and is not retried).
    private func writePlainTickSteps(_ steps: [(step: PreparedStep, rowID: Int64)], now: Int64,
                                     _ tx: any StoreTransaction) throws -> [Int?] {
        let saved = try tx.updateRuns(steps.map { ($0.step.row, $0.step.previousVersion) })
        return try steps.map { step, rowID in
            guard step.changed else { return step.journal.count }
            if saved.contains(step.run.id) {
                try tx.appendJournal(step.journal)
                return step.journal.count
            }
            do {
                return try tx.savepoint { try self.tickSerially(rowID: rowID, now: now, tx) }
            } catch is RunError {
                // The savepoint undid what the step wrote, SOP sources it pinned included.
                pinnedInStore = []
                return nil
            }
        }
    }

    /// Writes one step with effects a tick prepared; the number of records written, or nil when
    /// the run is left for its agent. A step whose effects cannot be carried out (a called SOP
    /// that is missing, a child whose ticket does not fit) is undone by its savepoint and the tick
    /// goes on; a store error stops the tick and rolls back the batch.
    private func writeTickStep(_ step: PreparedStep, rowID: Int64, now: Int64, _ tx: any StoreTransaction) throws -> Int? {
        do {
            return try tx.savepoint { () throws -> Int? in
                let saved: RunState
                do {
                    saved = try self.save(step, tx, force: true)
                } catch RunError.rejected {
                    // An earlier write of this batch changed the run after its step was decided:
                    // step it again from what is stored now. (No effect does that today — a
                    // child's end moves its parent, which is older and so written first — but the
                    // version check is what keeps it right.)
                    return try self.tickSerially(rowID: rowID, now: now, tx)
                }
                try self.carryOut(step.effects, from: saved, now: now, tx)
                return step.journal.count
            }
        } catch is RunError {
            // The savepoint undid what the step wrote, SOP sources it pinned included.
            pinnedInStore = []
            return nil
        }
    }

    /// Takes the due timers of one run from its stored state; the number of records written, or
    /// nil when the run is no longer due.
    private func tickSerially(rowID: Int64, now: Int64, _ tx: any StoreTransaction) throws -> Int? {
        guard let stored = try tx.dueRun(rowID: rowID, at: now) else { return nil }
        let (run, engine) = try load(stored, tx)
        try Self.refuseGoingBack(run, now: now)
        let decision = try Self.rejecting { () throws(StepRejection) -> StepDecision in try engine.apply(.tick, to: run, actor: .system, now: now) }
        let saved = try persist(decision, engine: engine, previousVersion: run.version, tx, force: true)
        try carryOut(decision.effects, from: saved, now: now, tx)
        return decision.records.count
    }

    // MARK: Reading

    /// A run with the engine it is pinned to, whoever asks (`run(_:as:)` is the operation).
    func run(_ id: String) throws -> (RunState, Engine) {
        try store.read { tx in
            guard let stored = try tx.run(id) else { throw RunError.unknownRun(id) }
            return try self.load(stored, tx)
        }
    }

    /// The run as the next command at `now` will find it: its due timers taken as `sop tick`
    /// would take them, without writing anything. `dueRecords` counts the records those timers
    /// would write (0: the run is as stored). A timer whose guard fails at run time is left for
    /// the next command to report; the run is then shown as stored.
    func projected(_ id: String, now: Int64) throws -> (run: RunState, engine: Engine, dueRecords: Int) {
        let (run, engine) = try self.run(id)
        guard !run.isEnded, let decision = try? engine.apply(.tick, to: run, actor: .system, now: now), decision.changed else {
            return (run, engine, 0)
        }
        var d = decision
        var projected = d.takeRun()
        projected.version = run.version  // the version names what is stored, not the projection
        return (projected, engine, d.records.count)
    }

    /// A run's journal records; a record that cannot be read is a store error naming it.
    func journal(_ id: String) throws -> [JournalRecord] {
        try store.read { tx in
            guard try tx.run(id) != nil else { throw RunError.unknownRun(id) }
            do {
                return try tx.journal(id)
            } catch let error as JournalReadError {
                throw RunError.store("the journal cannot be read: \(error)")
            }
        }
    }

    func summaries(sop: String?, state: String?, waiting: Bool) throws -> [RunSummary] {
        try store.read { tx in try tx.summaries(sop: sop, state: state, waiting: waiting) }
    }

    // MARK: Verification

    /// Checks the hash chain of each run's journal (one run, or every run of the SOPs in `only`,
    /// or every run) and replays it against the pinned SOP source. Every run's result is kept:
    /// for one run, or a small store (`verifyEach` is the way through a large one).
    func verify(_ id: String?, only sops: Set<String>? = nil) throws -> [Verification] {
        guard let id else {
            var results: [Verification] = []
            _ = try verifyEach(only: sops, progress: nil) { results.append($0) }
            return results
        }
        return try store.read { tx in
            guard let stored = try tx.run(id) else { throw RunError.unknownRun(id) }
            if let sops, !sops.contains(stored.sop) { return [] }
            return [try Replay(service: self, tx: tx, stored: stored, runID: id).verify()]
        }
    }

    /// How many run ids one read of `verifyEach` takes: each page is its own read, so a verify of
    /// a million runs neither holds every id nor keeps one read open for its whole length.
    static let verifyPage = 1_000

    /// Verifies every run (of the SOPs in `only`) in run-id order, handing each result to `each`
    /// as it comes and keeping none, a page of ids per read: memory holds one page and one run,
    /// however many runs the store has. `progress` hears (runs looked at, runs in the store)
    /// before the first page and after each. A run started while this reads is verified if its
    /// id sorts after the page being read.
    func verifyEach(only sops: Set<String>?, page pageSize: Int = verifyPage, progress: ((_ done: Int, _ total: Int) -> Void)?,
                    _ each: (Verification) throws -> Void) throws -> VerificationTally {
        let total = try progress.map { _ in try store.read { tx in try tx.runCount() } } ?? 0
        progress?(0, total)
        var tally = VerificationTally(), after: String?, done = 0
        while true {
            let page = try store.read { tx -> [String] in
                let ids = try tx.runIDs(after: after, limit: pageSize)
                for id in ids {
                    // A run is never deleted, and this read sees the page it listed.
                    guard let stored = try tx.run(id) else { throw RunError.unknownRun(id) }
                    if let sops, !sops.contains(stored.sop) { continue }
                    let verification = try Replay(service: self, tx: tx, stored: stored, runID: id).verify()
                    tally.add(verification)
                    try each(verification)
                }
                return ids
            }
            done += page.count
            progress?(done, total)
            guard page.count == pageSize, let last = page.last else { return tally }
            after = last
        }
    }

    // MARK: Applying decisions

    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        do {
            return try store.transaction(body)
        } catch let error as RunError {
            pinnedInStore = []
            throw error
        } catch {
            pinnedInStore = []
            throw RunError.fromStore(error)
        }
    }

    func start(_ sop: CompiledSOP, ticket: JSONValue, runID: String?, actor: Actor, now: Int64, parent: String?,
               _ tx: any StoreTransaction) throws -> RunState {
        let id = runID ?? Self.newRunID()
        if let existing = try tx.run(id) {
            guard existing.sop == sop.id, existing.initialTicket.canonical() == ticket.canonical() else {
                throw RunError.idTaken(id)
            }
            return try load(existing, tx).0
        }
        try pin(sop, tx)
        let engine = self.engine(sop)
        let decision: StepDecision
        decision = try Self.rejecting { () throws(StepRejection) -> StepDecision in try engine.start(id: id, ticket: ticket, actor: actor, now: now, parent: parent) }
        var run = decision.run
        let rows = Self.sealForStore(decision.records, after: nil)
        run.lastHash = rows.last?.hash
        try tx.insertRun(run, initialTicket: ticket, nextDue: engine.nextDue(run),
                         role: engine.stateRole(run.state), schemaDigest: schemaDigest, sla: engine.slaSummary(run))
        try tx.appendJournal(rows)
        try carryOut(decision.effects, from: run, now: now, tx)
        if decision.effects.isEmpty { return run }
        return try tx.run(id).flatMap { RunState(json: $0.json, sop: sop, schema: schema) } ?? run
    }

    /// Keeps the SOP source and the ticket schema new runs are pinned to (once per transaction
    /// that has not failed; the inserts are idempotent).
    func pin(_ sop: CompiledSOP, _ tx: any StoreTransaction) throws {
        if !pinnedInStore.contains(sop.digest) {
            try tx.pinSource(digest: sop.digest, sop: sop.id, version: sop.version, text: sop.pinnedText)
            pinnedInStore.insert(sop.digest)
        }
        if let schema, !pinnedInStore.contains(schema.digest) {
            try tx.pinSchema(digest: schema.digest, text: String(decoding: schema.source.bytes, as: UTF8.self))
            pinnedInStore.insert(schema.digest)
        }
    }

    @discardableResult
    func persist(_ decision: StepDecision, engine: Engine, previousVersion: Int, _ tx: any StoreTransaction, force: Bool = false) throws -> RunState {
        try save(Self.prepare(decision, engine: engine, previousVersion: previousVersion), tx, force: force)
    }

    /// A decided step made ready to write: records sealed, rows rendered. Pure, so a tick can
    /// prepare many steps on all cores while one thread writes.
    struct PreparedStep: Sendable {
        var run: RunState
        var row: RunRow
        var journal: [JournalRow]
        var previousVersion: Int
        var changed: Bool
        var effects: [StepEffect]
    }

    static func prepare(_ decision: StepDecision, engine: Engine, previousVersion: Int) -> PreparedStep {
        var run = decision.run
        let rows = sealForStore(decision.records, after: run.lastHash)
        run.lastHash = rows.last?.hash ?? run.lastHash
        let nextDue = engine.nextDue(run)
        return PreparedStep(run: run, row: RunRow(run, nextDue: nextDue, role: engine.stateRole(run.state), sla: engine.slaSummary(run)), journal: rows,
                            previousVersion: previousVersion, changed: decision.changed, effects: decision.effects)
    }

    /// Writes a prepared step; one that changed nothing only refreshes the run's due time when
    /// `force` is set (a tick).
    func save(_ step: PreparedStep, _ tx: any StoreTransaction, force: Bool = false) throws -> RunState {
        guard step.changed else {
            if force { _ = try tx.updateRun(step.row, expectedVersion: step.previousVersion) }
            return step.run
        }
        guard try tx.updateRun(step.row, expectedVersion: step.previousVersion) else {
            throw RunError.rejected(StepRejection("run \(step.run.id) was changed by another step at the same time; try again"))
        }
        try tx.appendJournal(step.journal)
        return step.run
    }

    /// The rows of `records` sealed in a chain after `prev`.
    static func sealForStore(_ records: [JournalRecord], after prev: String?) -> [JournalRow] {
        var rows: [JournalRow] = []
        rows.reserveCapacity(records.count)
        var last = prev
        for var r in records {
            let row = JournalRow(sealing: &r, after: last)
            last = row.hash
            rows.append(row)
        }
        return rows
    }

    static func seal(_ records: [JournalRecord], after prev: String?) -> [JournalRecord] {
        var out: [JournalRecord] = []
        var last = prev
        for var r in records {
            r.seal(after: last)
            last = r.hash
            out.append(r)
        }
        return out
    }

    /// Carries out a step's effects in the same transaction: child runs, independent runs, and
    /// telling a parent its child has ended. Each is carried out at the time of the record that
    /// asked for it (a timer's due time, not the tick's: `now` is the step's own time), so the
    /// runs it starts or moves record what happened when it happened, whenever the tick ran.
    func carryOut(_ effects: [StepEffect], from run: RunState, now: Int64, _ tx: any StoreTransaction) throws {
        for effect in effects {
            switch effect {
            case .startChild(let sopID, let childID, let at):
                let child = try currentSOP(sopID)
                _ = try start(child, ticket: run.ticket, runID: childID, actor: .system, now: at, parent: run.id, tx)
            case .startRun(let sopID, let at):
                let other = try currentSOP(sopID)
                _ = try start(other, ticket: run.ticket, runID: nil, actor: .system, now: at, parent: nil, tx)
            case .childEnded(let parentID, let outcome, let at):
                guard let stored = try tx.run(parentID) else { continue }
                let (parent, engine) = try load(stored, tx)
                guard parent.child == run.id else { continue }
                // The parent hears of the end when it happened, or, if its own records go later
                // (its ticket was updated after the child's timer fell due, say), at its last
                // record: a run's records never go back in time, nor later than the step's time.
                try Self.refuseGoingBack(parent, now: now)
                let last = try tx.journal(parentID).last?.at ?? parent.startedAt
                let when = min(max(at, last), now)
                // The parent keeps what changed in its own ticket while the child ran (an update,
                // a helpdesk's): it takes what the child changed since it started, merged into
                // its ticket as it is now; where both changed a field, the child's value wins.
                // (A parent whose ticket did not change takes the child's as it is.)
                let started = try tx.run(run.id)?.initialTicket ?? parent.ticket
                let ticket = parent.ticket == started ? run.ticket : parent.ticket.merged(with: JSONValue.mergePatch(from: started, to: run.ticket))
                let decision: StepDecision
                decision = try Self.rejecting { () throws(StepRejection) -> StepDecision in
                    try engine.apply(.childEnded(child: run.id, outcome: outcome, ticket: ticket), to: parent, actor: .system, now: when)
                }
                let saved = try persist(decision, engine: engine, previousVersion: parent.version, tx)
                try carryOut(decision.effects, from: saved, now: now, tx)
            }
        }
    }

    /// A run's records never go back in time: a command at `now` is refused when the run was
    /// last changed later (a command or a tick given a `--now` in the future, say), rather than
    /// recorded before what the journal already holds.
    static func refuseGoingBack(_ run: RunState, now: Int64) throws(RunError) {
        guard now < run.updatedAt else { return }
        throw .rejected(StepRejection(
            "run \(run.id) was last changed at \(CivilTime.formatDateTime(run.updatedAt)), later than this command's time, \(CivilTime.formatDateTime(now)): a run's records never go back in time",
            instead: ["give the command a time no earlier than \(CivilTime.formatDateTime(run.updatedAt)) (--now), or wait until then"]))
    }

    /// Runs an engine call, turning its rejection into `RunError.rejected`.
    static func rejecting(_ body: () throws(StepRejection) -> StepDecision) throws(RunError) -> StepDecision {
        do {
            return try body()
        } catch {
            throw .rejected(error)
        }
    }

    /// A new run id: `r-` and 48 random bits as 12 lowercase hex digits, from the system's
    /// random source (one `getrandom` call, not a UUID read from /dev/urandom and trimmed).
    static func newRunID() -> String {
        var generator = SystemRandomNumberGenerator()
        return runID(generator.next())
    }

    /// `count` new run ids, from one read of the system's random source (`/dev/urandom`, read
    /// once for the lot instead of one `getrandom` call per id; each id on its own if it cannot).
    static func newRunIDs(_ count: Int) -> [String] {
        var bits = [UInt64](repeating: 0, count: count)
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        let filled = fd >= 0 && bits.withUnsafeMutableBytes { buffer -> Bool in
            defer { close(fd) }
            var done = 0
            while done < buffer.count {
                let n = read(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                done += n
            }
            return true
        }
        return filled ? bits.map(runID) : (0..<count).map { _ in newRunID() }
    }

    /// `r-` and 12 hexadecimal digits of `bits`, written straight into the string.
    static func runID(_ bits: UInt64) -> String {
        String(unsafeUninitializedCapacity: 14) { out in
            out[0] = UInt8(ascii: "r")
            out[1] = UInt8(ascii: "-")
            var bits = bits & 0xFFFF_FFFF_FFFF
            for i in stride(from: 13, through: 2, by: -1) {
                let digit = UInt8(bits & 0xF)
                out[i] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                bits >>= 4
            }
            return 14
        }
    }
}

extension RunService {
    /// A service for reading beside this one, on another thread: the same store and SOPs, caches
    /// of its own, and a store that refuses to write (`ReadOnlyStore`), so a read can never
    /// commit behind the writer's back.
    public func reader() -> RunService {
        RunService(store: ReadOnlyStore(store), catalogue: catalogue)
    }
}

/// A store that reads and refuses to write: the store of a reader service.
final class ReadOnlyStore: RunStore, @unchecked Sendable {
    let base: any RunStore
    var path: String { base.path }

    init(_ base: any RunStore) {
        self.base = base
    }

    struct WriteRefused: Error, CustomStringConvertible {
        var description: String { "a reading service cannot write to the store" }
    }

    func transaction<T>(_ body: (any StoreTransaction) throws -> T) throws -> T { throw WriteRefused() }
    func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T { try base.read(body) }
}
