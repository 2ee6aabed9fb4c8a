import Foundation
import GRDB
import SOPCore
import SOPJSON
import SOPService
import SOPStore
@testable import SOPStoreSQLite
import Synchronization
import Testing
import TestSupport

/// What only the SQLite store does: its write path binds values through SQLite's C API.
@Suite struct SQLiteStoreTests {
    /// The store's write path binds arguments through SQLite's C API: texts (the empty one
    /// included, which a nil pointer would bind as NULL), integers and NULLs read back as written,
    /// and a constraint failure is an error that leaves nothing behind.
    @Test func theWritePathBindsValuesAndReportsConstraintFailures() throws {
        let dir = try ScratchDirectory.make("sop-write")
        let store = try SQLiteRunStore(path: dir.appendingPathComponent("runs.sqlite").path)
        let sql = """
            INSERT INTO runs (id, sop, state, status, outcome, version, updated_at, next_due, parent, sop_digest, initial_ticket, data)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        let row: [SQLiteTransaction.Argument] = [.text("r-1"), .text("s"), .text(""), .text("waiting"), .optionalText(nil), .int(-3),
                                                .int64(Int64.max), .optionalInt64(nil), .optionalText("p"), .text("d"),
                                                .text("{\"é\": \"\\u0000\"}"), .text(String(repeating: "x", count: 100_000))]
        // The SQLite store's own transaction, under the store protocol.
        let sqlite = { (tx: any StoreTransaction) in tx as! SQLiteTransaction }
        try store.transaction { tx in try sqlite(tx).write(sql, row) }
        #expect(throws: DatabaseError.self) { try store.transaction { tx in try sqlite(tx).write(sql, row) } }
        let read = try store.transaction { tx in
            try Row.fetchAll(sqlite(tx).db, sql: "SELECT state, typeof(state), outcome, version, updated_at, next_due, parent, initial_ticket, length(data) FROM runs")
        }
        #expect(read.count == 1)
        let r = try #require(read.first)
        #expect(r[0] as String == "" && r[1] as String == "text")
        #expect((r[2] as String?) == nil && (r[5] as Int64?) == nil)
        #expect(r[3] as Int == -3 && r[4] as Int64 == Int64.max)
        #expect(r[6] as String == "p" && r[7] as String == "{\"é\": \"\\u0000\"}" && r[8] as Int == 100_000)
    }
}

    /// SQLite's result codes are told as the store's faults: a full disk, a damaged file, a file
    /// that cannot be opened or a lock not free in time; other errors are plain store failures.
    /// A file that is not a database cannot be opened, and says it is damaged.
    @Test func sqliteErrorsAreClassifiedAsFaults() throws {
        #expect(StoreFault.of(DatabaseError(resultCode: .SQLITE_FULL)) == .full)
        #expect(StoreFault.of(DatabaseError(resultCode: .SQLITE_IOERR_WRITE)) == .unavailable)
        #expect(StoreFault.of(DatabaseError(resultCode: .SQLITE_CORRUPT)) == .damaged)
        #expect(StoreFault.of(DatabaseError(resultCode: .SQLITE_NOTADB)) == .damaged)
        #expect(StoreFault.of(DatabaseError(resultCode: .SQLITE_BUSY)) == .unavailable)
        #expect(StoreFault.of(DatabaseError(resultCode: .SQLITE_CONSTRAINT)) == nil)
        #expect(RunError.fromStore(DatabaseError(resultCode: .SQLITE_FULL)).kind == "store_full")
        #expect(RunError.fromStore(DatabaseError(resultCode: .SQLITE_CONSTRAINT)).kind == "store")

        let path = try ScratchDirectory.make("sop-notadb").appendingPathComponent("runs.sqlite").path
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        do {
            _ = try SQLiteRunStore(path: path)
            Issue.record("opened a file that is not a database")
        } catch {
            #expect(StoreFault.of(error) == .damaged, "\(error)")
        }
    }

/// The schema check reads SQLite's own catalogue: a column added behind the migrations' back is
/// found.
@Suite struct SQLiteSchemaTests {
    @Test func aColumnTheDescriptionLacksIsFound() throws {
        let dir = try ScratchDirectory.make("sop-schema")
        let path = dir.appendingPathComponent("runs.sqlite").path
        let store = try SQLiteRunStore(path: path)
        #expect(try store.read { tx in try tx.schema() }.differences(.sqlite) == [])
        try store.transaction { tx in try (tx as! SQLiteTransaction).db.execute(sql: "ALTER TABLE sessions ADD COLUMN note TEXT NOT NULL DEFAULT ''") }
        #expect(try store.read { tx in try tx.schema() }.differences(.sqlite) == ["sessions has a column 'note' the description does not"])
    }
}

/// What a server runs on every step and every second reads through indexes: a full scan of the
/// runs or the journal grows with the store (a server's tick once scanned every run each second:
/// docs/benchmarks.md, "The server at a year's scale").
@Suite struct SQLiteQueryPlanTests {
    static let sop = """
        sop: ping
        version: 1
        title: Ping
        start: open
        roles: [agent]
        states:
          open:
            title: Open
            transitions:
              - {to: open, on: ping}
              - {to: closed, after: 30d}
          closed: {title: Closed, end: closed}
        """

    @Test func theStepPathAndThePollsScanNoTable() throws {
        let dir = try ScratchDirectory.make("sop-plans")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sops"), withIntermediateDirectories: true)
        try Self.sop.write(to: dir.appendingPathComponent("sops/ping.sop.yaml"), atomically: true, encoding: .utf8)
        let seen = Mutex<[String]>([])
        let path = dir.appendingPathComponent("runs.sqlite").path
        let store = try SQLiteRunStore(path: path, memoryMapped: false) { sql in seen.withLock { $0.append(sql) } }
        let service = RunService(store: store, sopsFolder: dir.appendingPathComponent("sops").path, schema: nil)
        let agent = Caller(id: "ana", roles: ["agent"])
        let t0: Int64 = 1_790_000_000_000
        let (_, secret) = try service.createToken(actor: "ana", roles: ["agent"], now: t0)
        var runs: [String] = []
        for i in 0..<20 {
            runs.append(try service.start(sop: "ping", ticket: .object([("id", .string("T-\(i)"))]), runID: nil, as: .caller(agent), now: t0).run.id)
        }
        seen.withLock { $0 = [] }
        // What a server does: a token check, a batch of steps, a tick with nothing due, the events
        // stream's and the webhook loop's polls, a run and a page of runs.
        _ = try #require(try service.authenticate(token: secret))
        let stepped = service.stepBatch(runs.prefix(4).map { StepRequest(run: $0, command: .submit(inputs: [], event: "ping", checks: nil), who: .caller(agent), now: t0 + 1000) })
        #expect(stepped.allSatisfy { (try? $0.get()) != nil })
        #expect(try service.tick(now: t0 + 2000) == (0, 0))
        let position = try service.journalPosition()
        _ = try service.journalFeed(after: position - 2, run: nil, as: .caller(agent))
        _ = try service.journalFeed(after: 0, run: runs[0], as: .caller(agent))
        _ = try service.dueDeliveries(endpoints: ["http://127.0.0.1:9/hook"], now: t0 + 3000)
        _ = try service.status(runs[0], as: .caller(agent), now: t0 + 3000)
        _ = try service.runs(RunFilter(limit: 10), as: .caller(agent))
        let statements = Set(seen.withLock { $0 }).filter { sql in
            let head = sql.prefix(8).uppercased()
            return !["BEGIN", "COMMIT", "SAVEPOIN", "RELEASE", "ROLLBACK", "PRAGMA"].contains { head.hasPrefix($0) }
        }
        #expect(statements.count > 8, "\(statements)")
        let plans = try DatabaseQueue(path: path)
        for sql in statements.sorted() {
            // Every parameter NULL: the plan does not depend on the values.
            let nulls = StatementArguments(Array(repeating: nil as String?, count: sql.filter { $0 == "?" }.count))
            let plan = try plans.read { db in try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: nulls).map { $0["detail"] as String } }
            let scans = plan.filter { $0.hasPrefix("SCAN runs") || $0.hasPrefix("SCAN journal") }
            #expect(scans.isEmpty, "\(sql)\n\(plan.joined(separator: "\n"))")
        }
    }
}

/// A server's store copies the WAL into the database on a thread of its own: its writer never
/// checkpoints (a checkpoint after a long read copies everything the read held back, and the
/// step whose commit ran it waited for that).
@Suite struct SQLiteCheckpointTests {
    @Test func aServersWALReachesTheDatabaseWithoutTheWriter() throws {
        let dir = try ScratchDirectory.make("sop-checkpoint")
        let path = dir.appendingPathComponent("runs.sqlite").path
        let store = try SQLiteRunStore(path: path, memoryMapped: false, backgroundCheckpoints: true)
        let writerSetting = try store.transaction { tx in try Int.fetchOne((tx as! SQLiteTransaction).db, sql: "PRAGMA wal_autocheckpoint") }
        #expect(writerSetting == 0)
        let before = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        // Enough pages that the database file must grow once they are copied into it.
        for batch in 0..<20 {
            try store.transaction { tx in
                for i in 0..<50 {
                    try tx.pinSource(digest: "d-\(batch)-\(i)", sop: "s", version: 1, text: String(repeating: "x", count: 4000))
                }
            }
        }
        var size = before
        for _ in 0..<300 where size <= before + 1_000_000 {
            Thread.sleep(forTimeInterval: 0.05)
            size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        }
        #expect(size > before + 1_000_000, "the database file stayed at \(size) bytes (from \(before)): nothing was checkpointed")
    }
}
