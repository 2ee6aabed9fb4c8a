import Foundation
import GRDB
import SOPStore
@testable import SOPStoreSQLite
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
