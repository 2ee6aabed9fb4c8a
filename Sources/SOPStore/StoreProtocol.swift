import Foundation
import SOPCore
import SOPJSON

/// Where runs, their journals and everything beside them live. SOPService talks to a store only
/// through this protocol and `StoreTransaction` (the servers and the command line talk only to
/// SOPService); `SQLiteRunStore` (SOPStoreSQLite) and `PostgresRunStore` (SOPStorePostgres)
/// implement it, and `Tests/SOPStoreTests` holds the cases every implementation must pass.
///
/// A store may be used from several threads at once: transactions serialise, and reads run
/// beside them on connections of their own (SQLite always; PostgreSQL when opened with readers),
/// each in one snapshot.
public protocol RunStore: AnyObject, Sendable {
    /// Where the store is, for messages (a file path or a URL without its password).
    var path: String { get }
    /// Runs `body` in one write transaction: all of it is kept, or none. Concurrent writers
    /// serialise; a run's version check makes a lost update impossible.
    func transaction<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// Runs `body` in a read transaction (one consistent view).
    func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// Runs `body`, which reads with one statement, outside any transaction: one statement sees
    /// one snapshot by itself, and a check made on every request (a token's) saves the round trips
    /// of beginning and ending a transaction.
    func readOneStatement<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
}

extension RunStore {
    public func readOneStatement<T>(_ body: (any StoreTransaction) throws -> T) throws -> T { try read(body) }
}

/// The store's operations inside one transaction.
public protocol StoreTransaction {
    // MARK: Runs
    func run(_ id: String) throws -> StoredRun?
    /// The runs among `ids` that exist, by id: `run` for many (one statement where a round trip
    /// costs). In a write transaction, like `run`, they are locked until it ends.
    func runs(_ ids: [String]) throws -> [String: StoredRun]
    func insertRun(_ row: RunRow, sop: String, parent: String?, sopDigest: String, schemaDigest: String, initialTicket: String) throws
    /// Inserts a run unless one with its id exists; false (nothing written) when it does.
    func insertRunIfAbsent(_ row: RunRow, sop: String, parent: String?, sopDigest: String, schemaDigest: String,
                           initialTicket: String) throws -> Bool
    /// Saves a run if it is still at `expectedVersion`; false when another step got there first.
    func updateRun(_ row: RunRow, expectedVersion: Int) throws -> Bool
    /// `insertRunIfAbsent` for many runs of one SOP at once (one statement where a round trip
    /// costs); the ids inserted.
    func insertRunsIfAbsent(_ rows: [RunRow], sop: String, sopDigest: String, schemaDigest: String,
                            initialTickets: [String]) throws -> Set<String>
    /// `updateRun` for many runs at once; the ids saved.
    func updateRuns(_ rows: [(row: RunRow, expectedVersion: Int)]) throws -> Set<String>
    func runIDs() throws -> [String]
    /// At most `limit` run ids after `after` (all from the first when nil), bytewise as `runIDs`
    /// orders them: one page of a read that must not hold every id at once (`sop verify`).
    func runIDs(after: String?, limit: Int) throws -> [String]
    /// How many runs the store holds.
    func runCount() throws -> Int
    func summaries(sop: String?, state: String?, waiting: Bool) throws -> [RunSummary]
    /// How many runs of `sop` wait in each state, leaving out those pinned to `excludingDigest`:
    /// one grouped count over the `runs_sop` index, not a read of every run (`sop diff --store`).
    func waitingCounts(sop: String, excludingDigest: String?) throws -> [String: Int]
    func runPage(_ filter: RunFilter) throws -> RunPage
    func runsWithoutRole() throws -> [String]
    func setWaitingRole(run: String, role: String?) throws
    /// Pins runs to another SOP source and ticket schema: a migration, whose run rows and
    /// journal records are written as a step's are (`updateRuns`, `appendJournal`).
    func repin(_ runs: [String], sopDigest: String, schemaDigest: String) throws
    func openRuns(ticketID: String) throws -> [String]
    /// Runs `body` in a savepoint: if it throws, what it wrote is undone and the error rethrown,
    /// while the enclosing transaction goes on.
    func savepoint<T>(_ body: () throws -> T) throws -> T

    // MARK: Timers
    /// The positions of the waiting runs with a timer due at `now`, in creation order.
    func dueRowIDs(at now: Int64) throws -> [Int64]
    func dueRun(rowID: Int64, at now: Int64) throws -> StoredRun?
    func dueRunTexts(rowIDs: ArraySlice<Int64>, at now: Int64) throws -> [(rowID: Int64, data: String, sopDigest: String, schemaDigest: String?)]

    // MARK: Journal
    func appendJournal(_ rows: [JournalRow]) throws
    func journal(_ run: String) throws -> [JournalRecord]
    /// The stored text of each record of each of `runs` (those with records), in seq order, not
    /// parsed: what a step checks its run's chain with (`StoredChain`). One statement for all.
    func journalTexts(_ runs: [String]) throws -> [String: [String]]
    /// The stored text of one record (nil when the run has no record `seq`): how `sop verify`
    /// finds the first record it cannot read when the store's file is damaged.
    func journalText(run: String, seq: Int) throws -> String?
    /// A number that changes whenever another connection has committed to the store since this
    /// connection last read it (SQLite's `data_version`), or nil when the store cannot tell: what
    /// lets a writer trust the journal chains it has already checked.
    func changeMark() throws -> Int64?
    /// Journal records after the position `after`, in commit order, at most `limit`, optionally of
    /// one run; each with its run's SOP id (read from the run, so a reader can filter by SOP
    /// without parsing the record). `StoreSQL.journalFeed`.
    func journalFeed(after: Int64, run: String?, limit: Int) throws -> [JournalFeedRow]
    func journalPosition() throws -> Int64
    /// Replaces one stored record's text; only tests use it, to prove verify catches it.
    func rewriteJournal(run: String, seq: Int, record: String) throws

    // MARK: Pinned sources, request ids
    func pinSource(digest: String, sop: String, version: Int, text: String) throws
    func source(digest: String) throws -> String?
    func pinSchema(digest: String, text: String) throws
    func schema(digest: String) throws -> String?
    func claimRequest(run: String, requestID: String) throws -> Bool

    // MARK: Tokens
    func insertToken(id: String, hash: String, actor: String, roles: [String], at: Int64) throws
    func token(hash: String) throws -> StoredToken?
    func tokens() throws -> [StoredToken]
    func revokeToken(id: String, at: Int64) throws -> Bool

    // MARK: Outbox and deliveries
    func undispatchedMessages(limit: Int) throws -> [OutboxMessage]
    func outboxMessage(_ id: String) throws -> OutboxMessage?
    func outboxMessages() throws -> [OutboxMessage]
    func dispatch(_ message: String, to endpoints: [String], at now: Int64) throws
    /// Pending deliveries due at `now`, earliest first, ties by id (bytewise).
    func dueDeliveries(at now: Int64, limit: Int) throws -> [Delivery]
    func deliveries(message: String?) throws -> [Delivery]
    func recordAttempt(delivery: String, attempt: Int, at now: Int64, httpStatus: Int?, error: String?, status: String,
                       nextAttempt: Int64) throws
    func retryDelivery(_ id: String, at now: Int64) throws -> Bool

    // MARK: Console sessions (by the SHA-256 of their id)
    func insertSession(hash: String, tokenHash: String, expires: Int64) throws
    func session(hash: String, at now: Int64) throws -> String?
    func deleteSession(hash: String) throws

    // MARK: Helpdesk deliveries
    func claimHookDelivery(_ id: String, at now: Int64) throws -> Bool
    func advanceTicket(_ ticketID: String, updatedAt: Int64) throws -> Bool

    // MARK: Copying a whole store (`StoreCopy`)
    /// Every row of a table, columns as `StoreTable.columns` lists them, in the table's order
    /// (`StoreSQL.exportOrder`: runs by creation, the journal by commit, the outbox by queue
    /// order, others by key).
    func exportRows(_ table: StoreTable, _ each: ([StoreValue]) throws -> Void) throws
    /// `exportRows` of some of a table's columns, each handed over as its text's UTF-8 bytes (an
    /// integer as its decimal, nil for NULL), valid only while `each` runs: where the store can,
    /// without copying them (`sop report` reads every journal record).
    func scanRows(_ table: StoreTable, columns: [String], _ each: ([UnsafeBufferPointer<UInt8>?]) throws -> Void) throws
    /// Inserts rows exported from another store, keeping their order.
    func importRows(_ table: StoreTable, _ rows: [[StoreValue]]) throws
    /// True when the store holds no runs and no tokens.
    func isEmpty() throws -> Bool
    /// The tables and columns the database holds, from its own catalogue: what the schema
    /// conformance case checks against `StoreTable`.
    func schema() throws -> StoreSchema
}

/// One record of the journal feed (`StoreTransaction.journalFeed`).
public struct JournalFeedRow: Sendable, Equatable {
    /// The record's position in the whole journal (commit order).
    public var position: Int64
    public var run: String
    /// The SOP id of the record's run.
    public var sop: String
    /// The record as stored (JSON text).
    public var record: String

    public init(position: Int64, run: String, sop: String, record: String) {
        self.position = position
        self.run = run
        self.sop = sop
        self.record = record
    }
}

extension StoreTransaction {
    /// Through `exportRows`, a copy of each value.
    public func scanRows(_ table: StoreTable, columns: [String], _ each: ([UnsafeBufferPointer<UInt8>?]) throws -> Void) throws {
        try StoreColumnError.check(columns, of: table)
        let all = table.columns.map(\.name)
        let picked = columns.map { all.firstIndex(of: $0)! }
        var buffer: [UInt8] = []
        try exportRows(table) { row in
            let texts: [String?] = picked.map { i in
                switch row[i] {
                case .null: return nil
                case .int(let n): return String(n)
                case .text(let s): return s
                }
            }
            try texts.withUTF8Bytes(buffer: &buffer, each)
        }
    }
}

/// `scanRows` asked for a column its table does not have.
public struct StoreColumnError: Error, CustomStringConvertible {
    public var table: StoreTable
    public var column: String
    public var description: String { "the \(table.name) table has no column '\(column)'" }

    public init(table: StoreTable, column: String) {
        self.table = table
        self.column = column
    }

    /// Throws for the first of `columns` that `table` does not have.
    public static func check(_ columns: [String], of table: StoreTable) throws {
        for name in columns where table.column(name) == nil {
            throw StoreColumnError(table: table, column: name)
        }
    }
}

extension StoreTransaction {
    /// A store that cannot tell whether another connection wrote to it.
    public func changeMark() throws -> Int64? { nil }

    /// One by one: where a statement costs no round trip (SQLite), that is as fast.
    public func runs(_ ids: [String]) throws -> [String: StoredRun] {
        var found: [String: StoredRun] = [:]
        for id in ids { found[id] = try run(id) }
        return found
    }

    public func insertRunsIfAbsent(_ rows: [RunRow], sop: String, sopDigest: String, schemaDigest: String,
                                   initialTickets: [String]) throws -> Set<String> {
        var inserted = Set<String>()
        for (row, ticket) in zip(rows, initialTickets)
        where try insertRunIfAbsent(row, sop: sop, parent: nil, sopDigest: sopDigest, schemaDigest: schemaDigest, initialTicket: ticket) {
            inserted.insert(row.id)
        }
        return inserted
    }

    public func updateRuns(_ rows: [(row: RunRow, expectedVersion: Int)]) throws -> Set<String> {
        var saved = Set<String>()
        for (row, expected) in rows where try updateRun(row, expectedVersion: expected) { saved.insert(row.id) }
        return saved
    }

    public func insertRun(_ run: RunState, initialTicket: JSONValue, nextDue: Int64?, role: String?, schemaDigest: String,
                          sla: (due: Int64?, breached: Bool) = (nil, false)) throws {
        try insertRun(RunRow(run, nextDue: nextDue, role: role, sla: sla), sop: run.sop, parent: run.parent, sopDigest: run.sopDigest,
                      schemaDigest: schemaDigest, initialTicket: initialTicket.render())
    }
}

extension Array where Element == String? {
    /// Calls `body` with the UTF-8 bytes of each text (nil for nil), laid end to end in `buffer`
    /// (reused from row to row): how a store whose values arrive as strings serves `scanRows`.
    public func withUTF8Bytes(buffer: inout [UInt8], _ body: ([UnsafeBufferPointer<UInt8>?]) throws -> Void) throws {
        buffer.removeAll(keepingCapacity: true)
        let ranges: [Range<Int>?] = map { text in
            guard let text else { return nil }
            let start = buffer.count
            buffer.append(contentsOf: text.utf8)
            return start..<buffer.count
        }
        try buffer.withUnsafeBufferPointer { all in try body(ranges.map { $0.map { UnsafeBufferPointer(rebasing: all[$0]) } }) }
    }
}
