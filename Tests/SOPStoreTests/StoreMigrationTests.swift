import Foundation
import GRDB
@testable import SOPService
import SOPStoreSQLite
import StoreTestSupport
import Testing

/// A store written before the journal became an append-ordered table opens with its records.
struct StoreMigrationTests {
    @Test func aVersion1StoreKeepsItsJournalAfterTheMigration() throws {
        let w = try Workspace(["complaint": complaint, "escalation": escalation], sqlite: true)
        _ = try w.service.start(sop: "complaint", ticket: .object([("id", .string("T-1"))]), runID: "c1", actor: ana, now: t0)
        _ = try w.service.step("c1", .submit(inputs: [], event: "declined", checks: nil), actor: ana, now: t0 + 1000)
        let before = try w.service.journal("c1")
        #expect(before.count == 2)
        // Rebuild the journal as version 1 kept it (clustered by run and seq) and forget the
        // second migration, as a store from before it would be.
        let path = w.dir.appendingPathComponent("runs.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE journal_v1 (run TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, record TEXT NOT NULL,
                  PRIMARY KEY (run, seq)) WITHOUT ROWID;
                INSERT INTO journal_v1 SELECT run, seq, hash, record FROM journal;
                DROP TABLE journal;
                ALTER TABLE journal_v1 RENAME TO journal;
                DELETE FROM grdb_migrations WHERE identifier = 'v2-append-only-journal';
                """)
        }
        try queue.close()
        let reopened = RunService(store: try SQLiteRunStore(path: path), sopsFolder: w.dir.appendingPathComponent("sops").path,
                                  schema: nil)
        #expect(try reopened.journal("c1") == before)
        #expect(try reopened.journal("c1.1").count == 1)
        #expect(try reopened.verify(nil).allSatisfy { $0.failure == nil })
        // And it goes on: the child ends, the parent moves, all chained.
        _ = try reopened.step("c1.1", .submit(inputs: [], event: "fixed", checks: nil), actor: ana, now: t0 + 2000)
        #expect(try reopened.journal("c1").count == 3)
        #expect(try reopened.verify(nil).allSatisfy { $0.failure == nil })
    }
}
