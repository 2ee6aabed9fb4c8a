import Foundation
import SOPCore
import SOPExpression
import SOPJSON
@testable import SOPService
import SOPStore
import SOPStoreSQLite
@testable import SOPStorePostgres
import StoreTestSupport
import Testing
import TestSupport

/// What only a shared PostgreSQL store has to promise: many processes at once. Each "process" is
/// a service with its own connection. Runs when `SOP_TEST_POSTGRES` names a server (scripts/test
/// starts one and sets it; CI fails if it is missing, see scripts/test).
@Suite(.enabled(if: StoreUnderTest.postgres != nil, "needs SOP_TEST_POSTGRES"), .timeLimit(.minutes(2)))
struct PostgresStoreTests {
    static let counter = """
        sop: counter
        version: 1
        title: Count to ten
        vars:
          count: {type: integer, initial: 0}
        start: counting
        states:
          counting:
            title: Counting
            transitions:
              - to: counting
                on: inc
                when: var.count < 10
                do:
                  - set: {var.count: "${{ var.count + 1 }}"}
              - to: done
                after: 1h
          done: {title: Done, end: done}
        """
    let t0 = CivilTime.parseDateTime("2026-11-02T09:00:00Z")!
    let agent = Actor(id: "ana", role: "agent")

    /// Eight processes open a new store at once: one applies the migrations, the others wait for
    /// it and find them applied; none fails.
    @Test func migrationsAreSafeWhenProcessesStartTogether() throws {
        let location = StoreUnderTest.newLocation(in: try ScratchDirectory.make("pg"))
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            do { _ = try StoreUnderTest.open(location) } catch { failures.mutate { $0.append("\(error)") } }
        }
        #expect(failures.value.isEmpty, "\(failures.value)")
        let store = try #require(try StoreUnderTest.open(location) as? PostgresRunStore)
        #expect(try store.appliedMigrations() == PostgresRunStore.migrations.map(\.name))
    }

    /// Twenty processes send the same guarded event to one run at once: every step is applied or
    /// refused whole, ten are applied, and the journal verifies.
    @Test func concurrentStepsOnOneRunSerialiseAndLoseNothing() throws {
        let w = try Workspace(["counter": Self.counter])
        _ = try w.service.start(sop: "counter", ticket: .object([("id", .string("T-1"))]), runID: "c", actor: agent, now: t0)
        let (location, sops) = (w.location, w.dir.appendingPathComponent("sops").path)
        let outcomes = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 20) { i in
            do {
                let service = RunService(store: try StoreUnderTest.open(location), sopsFolder: sops, schema: nil)
                _ = try service.step("c", .submit(inputs: [], event: "inc", checks: nil), actor: agent, now: t0 + 60_000,
                                         requestID: "req-\(i)")
                outcomes.mutate { $0.append("ok") }
            } catch RunError.rejected {
                outcomes.mutate { $0.append("refused") }
            } catch {
                outcomes.mutate { $0.append("\(error)") }
            }
        }
        #expect(outcomes.value.filter { $0 == "ok" }.count == 10, "\(outcomes.value)")
        #expect(outcomes.value.filter { $0 == "refused" }.count == 10, "\(outcomes.value)")
        let (run, _) = try w.service.run("c")
        #expect(run.vars["count"]?.description == "10" && run.version == 11)
        #expect(try w.service.journal("c").count == 11)
        #expect(try w.service.verify("c").allSatisfy { $0.failure == nil })
    }

    /// Four tick loops in four processes over 2,000 due runs: each timer fires exactly once (one
    /// record per run), the loops' counts add up to the runs, and every run verifies.
    @Test func severalTickLoopsFireEachTimerOnce() throws {
        let w = try Workspace(["counter": Self.counter])
        let tickets = (0..<2000).map { (line: $0 + 1, ticket: JSONValue.object([("id", .string("T-\($0)"))])) }
        let started = try w.service.startBulk(sop: "counter", tickets: tickets, actor: agent, now: t0)
        #expect(started.started.count == 2000)
        let (location, sops) = (w.location, w.dir.appendingPathComponent("sops").path)
        let fired = Locked<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            // Small batches, so the loops interleave.
            let ticker = try? RunService(store: StoreUnderTest.open(location), sopsFolder: sops, schema: nil)
            let result = try? ticker?.tick(now: t0 + 3_600_000, batch: 100)
            fired.mutate { $0.append(result?.runs ?? -1) }
        }
        #expect(fired.value.reduce(0, +) == 2000, "\(fired.value)")
        let ended = try w.service.summaries(sop: "counter", state: "done", waiting: false)
        #expect(ended.count == 2000)
        let verified = try w.service.verify(nil)
        #expect(verified.count == 2000)
        #expect(verified.allSatisfy { $0.failure == nil && $0.records == 2 })
    }

    /// A transaction holding due runs (a tick loop in another process, mid-batch) makes a tick
    /// skip them rather than wait or fire them twice; when that transaction dies (its connection
    /// is gone, so it rolls back) the next tick takes them.
    @Test func aTickSkipsRunsAnotherTransactionHoldsAndTakesThemWhenItDies() throws {
        let w = try Workspace(["counter": Self.counter])
        let tickets = (0..<10).map { (line: $0 + 1, ticket: JSONValue.object([("id", .string("T-\($0)"))])) }
        _ = try w.service.startBulk(sop: "counter", tickets: tickets, actor: agent, now: t0)
        let other = BlockingConnection(try PostgresLocation(w.location))
        try other.query("BEGIN")
        let held = try other.query("SELECT id FROM runs ORDER BY rowid LIMIT 4 FOR UPDATE").rows.count
        #expect(held == 4)
        let first = try w.service.tick(now: t0 + 3_600_000)
        #expect(first.runs == 6)
        try other.query("ROLLBACK")
        let second = try w.reopened().tick(now: t0 + 3_600_000)
        #expect(second.runs == 4)
        #expect(try w.service.summaries(sop: nil, state: "done", waiting: false).count == 10)
        #expect(try w.service.verify(nil).allSatisfy { $0.failure == nil && $0.records == 2 })
    }

    /// `sop store copy` from SQLite to PostgreSQL and back: every table's rows, in order, byte for
    /// byte; the copy verifies; a second copy into the same store is refused and changes nothing.
    @Test func aCopyKeepsEveryRowAndEveryHashChain() throws {
        let w = try Workspace(["counter": Self.counter], sqlite: true)
        let tickets = (0..<50).map { (line: $0 + 1, ticket: JSONValue.object([("id", .string("T-\($0)")), ("note", .string("é ✓ \u{1F600}"))])) }
        let ids = try w.service.startBulk(sop: "counter", tickets: tickets, actor: agent, now: t0).started
        for id in ids.prefix(20) {
            _ = try w.service.step(id, .submit(inputs: [], event: "inc", checks: nil), actor: agent, now: t0 + 1000, requestID: "r-\(id)")
        }
        _ = try w.service.tick(now: t0 + 3_600_000)
        _ = try w.service.createToken(actor: "ana", roles: ["agent"], now: t0)
        let postgres = try StoreUnderTest.open(StoreUnderTest.newLocation(in: w.dir))
        let counts = try StoreCopy.copy(from: w.service.store, to: postgres, batch: 7)
        // 50 starts, 20 steps, and 30 timers: a step re-entered its state and restarted its hour.
        #expect(counts.first { $0.0 == .journal }?.1 == 50 + 20 + 30)
        let back = try SQLiteRunStore(path: w.dir.appendingPathComponent("back.sqlite").path)
        try StoreCopy.copy(from: postgres, to: back)
        for table in StoreTable.allCases {
            let original = try dump(w.service.store, table), copied = try dump(postgres, table), returned = try dump(back, table)
            #expect(copied == original, "\(table.name) differs in PostgreSQL")
            #expect(returned == original, "\(table.name) differs after the copy back")
        }
        let copy = RunService(store: postgres, sopsFolder: w.dir.appendingPathComponent("sops").path, schema: nil)
        let verified = try copy.verify(nil)
        #expect(verified.count == 50 && verified.allSatisfy { $0.failure == nil })
        #expect(throws: StoreCopy.Refused.self) { try StoreCopy.copy(from: w.service.store, to: postgres) }
        #expect(try dump(postgres, .journal) == dump(w.service.store, .journal))
    }

    func dump(_ store: any RunStore, _ table: StoreTable) throws -> [[StoreValue]] {
        try store.read { tx in
            var rows: [[StoreValue]] = []
            try tx.exportRows(table) { rows.append($0) }
            return rows
        }
    }

    /// A connection cut in the middle of a transaction (a proxy, `pg_terminate_backend`, a
    /// restart) fails the transaction as a whole: the statements after the cut are not run on a
    /// new connection (each would commit alone, keeping half the transaction), the error is the
    /// `unavailable` fault, and the next transaction connects again.
    @Test func aConnectionCutMidTransactionKeepsNothingAndReconnects() throws {
        let location = StoreUnderTest.newLocation(in: try ScratchDirectory.make("pg-cut"))
        let store = try #require(try StoreUnderTest.open(location) as? PostgresRunStore)
        let other = try #require(try StoreUnderTest.open(location) as? PostgresRunStore)
        #expect(store.connection.applicationName.hasPrefix("sop writer "))
        do {
            try store.transaction { tx in
                try tx.pinSource(digest: "before-cut", sop: "s", version: 1, text: "a")
                let pid = try #require(tx as? PostgresTransaction).backendProcess()
                // From a read: another transaction would wait for this one's write lock.
                try other.read { otherTx in
                    _ = try #require(otherTx as? PostgresTransaction).terminate(pid)
                }
                try tx.pinSource(digest: "after-cut", sop: "s", version: 1, text: "b")
            }
            Issue.record("the transaction went on after its connection was cut")
        } catch {
            #expect(StoreFault.of(error) == .unavailable, "\(error)")
            #expect(RunError.fromStore(error).kind == "store_unavailable")
        }
        #expect(try store.read { try $0.source(digest: "after-cut") } == nil)
        #expect(try store.read { try $0.source(digest: "before-cut") } == nil)
        try store.transaction { try $0.pinSource(digest: "reconnected", sop: "s", version: 1, text: "c") }
        #expect(try other.read { try $0.source(digest: "reconnected") } == "c")
    }

    /// A URL's password is never shown; bad URLs say what is expected.
    @Test func locationsParseAndNeverShowThePassword() throws {
        let location = try PostgresLocation("postgres://ops:s3cret@db.example:6543/sop?sslmode=require&schema=support", environment: [:])
        #expect(location.display == "postgres://ops@db.example:6543/sop?schema=support")
        #expect(location.password == "s3cret" && location.sslMode == "require" && location.schema == "support")
        #expect(try PostgresLocation("postgres://ops@db/sop", environment: ["PGPASSWORD": "pw"]).password == "pw")
        for bad in ["postgres://db/sop", "postgres://ops@db/", "postgres://ops@db/sop?schema=Bad-Name", "postgres://ops@db/sop?x=1",
                    "postgres://ops:s3cret@/sop"] {
            #expect(throws: PostgresLocation.Invalid.self) { try PostgresLocation(bad) }
            do { _ = try PostgresLocation(bad) } catch { #expect(!error.description.contains("s3cret")) }
        }
        // An unreachable server is a clear error, without the password.
        do {
            _ = try PostgresRunStore(url: "postgres://ops:s3cret@127.0.0.1:1/sop?sslmode=disable")
            Issue.record("opened a store on a closed port")
        } catch {
            #expect("\(error)".contains("cannot be reached") && !"\(error)".contains("s3cret"))
        }
    }
}

/// A value several threads change under a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
