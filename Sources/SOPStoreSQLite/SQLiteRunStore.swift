import Foundation
import GRDB
import GRDBSQLite
import SOPCore
import SOPJSON
import SOPStore

/// Where runs, their journals and the pinned SOP sources live. One SQLite file (WAL,
/// `synchronous=FULL`); every step is one IMMEDIATE transaction, so concurrent processes
/// serialise on the write lock and never lose an update. Reads run on connections of their own
/// (a GRDB pool: one writer, readers on demand), each in a snapshot: a long read — a report, a
/// run list, verify — never holds up a commit, and a commit never changes what a read sees.
public final class SQLiteRunStore: RunStore, @unchecked Sendable {
    /// A pool on a file; a single connection for a store in memory (`inMemory()`).
    let pool: any DatabaseWriter
    public let path: String

    public struct StoreError: StoreFaultError, CustomStringConvertible {
        public var description: String
        public var storeFault: StoreFault?
    }

    /// Copies the WAL into the database file on a connection and thread of its own (a server's
    /// store); nil when the writer does it after its commits (SQLite's default, a command line's).
    private var checkpointer: Checkpointer?

    /// - Parameters:
    ///   - memoryMapped: read the file through a memory map (faster scans for ticks and bulk
    ///     starts). A long-running server turns it off: mapped pages it has read count in its
    ///     resident memory, which would grow with the store; its page cache stays bounded.
    ///   - backgroundCheckpoints: copy the WAL into the database on a thread of its own instead of
    ///     in the commit that finds the WAL long (a server). A checkpoint after a long read (a
    ///     report holds its snapshot for seconds, so the WAL grows meanwhile) copies all that grew,
    ///     and the commit that ran it — a step's — waited for it.
    ///   - trace: called with the SQL of every statement any of the store's connections runs
    ///     (a test checks the query plans of what a server runs).
    public init(path: String, memoryMapped: Bool = true, backgroundCheckpoints: Bool = false,
                trace: (@Sendable (String) -> Void)? = nil) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.maximumReaderCount = Self.readers
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // The writer: a larger page cache and memory-mapped reads, since ticks and bulk
            // starts touch many runs. A reader: a smaller cache, as there may be several.
            try db.execute(sql: db.configuration.readonly ? "PRAGMA cache_size = -8192" : "PRAGMA cache_size = -32768")
            _ = try Int.fetchOne(db, sql: memoryMapped ? "PRAGMA mmap_size = 268435456" : "PRAGMA mmap_size = 0")
            if backgroundCheckpoints && !db.configuration.readonly { _ = try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint = 0") }
            if let trace {
                db.trace(options: .statement) { event in
                    if case .statement(let statement) = event { trace(statement.sql) }
                }
            }
        }
        do {
            // A pool opens the file in WAL mode (readers beside the writer need it).
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(pool)
            if backgroundCheckpoints { checkpointer = try Checkpointer(path: path) }
        } catch {
            throw StoreError(description: "the run store at \(path) cannot be opened: \(error)", storeFault: StoreFault.of(error) ?? .unavailable)
        }
    }

    /// A store that lives only in memory, gone with the object: one connection (no WAL, no
    /// file), so its reads wait for its writes. For the console's authors' sandbox, whose runs
    /// must never reach the real store.
    public static func inMemory() throws -> SQLiteRunStore {
        try SQLiteRunStore(memory: ())
    }

    private init(memory: Void) throws {
        path = ":memory:"
        do {
            let queue = try DatabaseQueue()
            try Self.migrator.migrate(queue)
            pool = queue
        } catch {
            throw StoreError(description: "a run store in memory cannot be opened: \(error)")
        }
    }

    deinit {
        checkpointer?.stop()
    }

    /// Every `interval`, a PASSIVE checkpoint on its own connection: it copies what no reader
    /// still needs while the writer goes on committing, and never takes the write lock.
    final class Checkpointer: @unchecked Sendable {
        static let interval = 0.2
        private let connection: DatabaseQueue
        private let stopped = NSCondition()
        private var stopping = false
        private var done = false

        init(path: String) throws {
            var config = Configuration()
            config.busyMode = .timeout(30)
            config.prepareDatabase { db in
                // The copy is synced as the writer's commits are.
                try db.execute(sql: "PRAGMA synchronous = FULL")
                _ = try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint = 0")
            }
            connection = try DatabaseQueue(path: path, configuration: config)
            let thread = Thread { [self] in
                Thread.current.name = "sop-checkpoint"
                run()
            }
            thread.start()
        }

        private func run() {
            stopped.lock()
            while !stopping {
                stopped.unlock()
                // A failure (a reader mid-WAL-reset, say) is tried again next time: nothing is lost.
                _ = try? connection.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
                stopped.lock()
                _ = stopped.wait(until: Date(timeIntervalSinceNow: Self.interval))
            }
            done = true
            stopped.broadcast()
            stopped.unlock()
        }

        func stop() {
            stopped.withLock {
                stopping = true
                stopped.broadcast()
                while !done { stopped.wait() }
            }
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                  id TEXT PRIMARY KEY, sop TEXT NOT NULL, state TEXT NOT NULL, status TEXT NOT NULL, outcome TEXT,
                  version INTEGER NOT NULL, updated_at INTEGER NOT NULL, next_due INTEGER, parent TEXT,
                  sop_digest TEXT NOT NULL, initial_ticket TEXT NOT NULL, data TEXT NOT NULL);
                CREATE INDEX runs_due ON runs(next_due) WHERE status = 'waiting';
                CREATE INDEX runs_sop ON runs(sop);
                CREATE TABLE journal (
                  run TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, record TEXT NOT NULL,
                  PRIMARY KEY (run, seq)) WITHOUT ROWID;
                CREATE TABLE sources (digest TEXT PRIMARY KEY, sop TEXT NOT NULL, version INTEGER NOT NULL, text TEXT NOT NULL);
                CREATE TABLE requests (run TEXT NOT NULL, request_id TEXT NOT NULL, PRIMARY KEY (run, request_id)) WITHOUT ROWID;
                """)
        }
        // The journal only grows: an append-ordered rowid table keeps each commit's new records
        // on the last pages (a table clustered by run id scattered them over the whole file),
        // with a small unique index for reading one run's records in order.
        m.registerMigration("v2-append-only-journal") { db in
            try db.execute(sql: """
                CREATE TABLE journal_v2 (run TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, record TEXT NOT NULL);
                INSERT INTO journal_v2 (run, seq, hash, record) SELECT run, seq, hash, record FROM journal ORDER BY run, seq;
                DROP TABLE journal;
                ALTER TABLE journal_v2 RENAME TO journal;
                CREATE UNIQUE INDEX journal_run_seq ON journal(run, seq);
                """)
        }
        // A run keeps the ticket schema it started under, pinned by digest like its SOP source:
        // updates are validated, and verify replays, against that schema, not today's.
        m.registerMigration("v3-pinned-ticket-schemas") { db in
            try db.execute(sql: """
                CREATE TABLE schemas (digest TEXT PRIMARY KEY, text TEXT NOT NULL);
                ALTER TABLE runs ADD COLUMN schema_digest TEXT;
                """)
        }
        // What a server needs: the role a run waits on and its ticket's id (list filters, helpdesk
        // updates), tokens (SHA-256 only), the outbox of notify messages and their webhook
        // deliveries, and the inbound helpdesk deliveries already applied.
        m.registerMigration("v4-server") { db in
            try db.execute(sql: """
                ALTER TABLE runs ADD COLUMN waiting_role TEXT;
                ALTER TABLE runs ADD COLUMN ticket_id TEXT;
                UPDATE runs SET ticket_id = CAST(json_extract(data, '$.ticket.id') AS TEXT)
                  WHERE json_type(data, '$.ticket.id') IN ('text', 'integer');
                CREATE INDEX runs_ticket ON runs(ticket_id) WHERE ticket_id IS NOT NULL;
                CREATE TABLE tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, actor TEXT NOT NULL, roles TEXT NOT NULL,
                                     created_at INTEGER NOT NULL, revoked_at INTEGER);
                CREATE TABLE outbox (id TEXT PRIMARY KEY, run TEXT NOT NULL, seq INTEGER NOT NULL, created_at INTEGER NOT NULL,
                                     message TEXT NOT NULL, dispatched INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX outbox_new ON outbox(created_at) WHERE dispatched = 0;
                CREATE TABLE deliveries (id TEXT PRIMARY KEY, message TEXT NOT NULL, endpoint TEXT NOT NULL, status TEXT NOT NULL,
                                         attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL, last_error TEXT,
                                         created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
                CREATE INDEX deliveries_due ON deliveries(next_attempt) WHERE status = 'pending';
                CREATE TABLE delivery_attempts (delivery TEXT NOT NULL, attempt INTEGER NOT NULL, at INTEGER NOT NULL,
                                                http_status INTEGER, error TEXT, PRIMARY KEY (delivery, attempt)) WITHOUT ROWID;
                CREATE TABLE hook_deliveries (id TEXT PRIMARY KEY, received_at INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE hook_tickets (ticket_id TEXT PRIMARY KEY, updated_at INTEGER NOT NULL) WITHOUT ROWID;
                """)
        }
        // The console's sessions, by the SHA-256 of their id (the cookie's secret is not stored):
        // they outlive a restart and are shared by servers on one store.
        m.registerMigration("v5-console-sessions") { db in
            try db.execute(sql: """
                CREATE TABLE sessions (hash TEXT PRIMARY KEY, token_hash TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v6-sla") { db in
            // Runs stored before SLA targets have no clocks: NULL and 0 are what they would hold.
            try db.execute(sql: """
                ALTER TABLE runs ADD COLUMN sla_due INTEGER;
                ALTER TABLE runs ADD COLUMN sla_breached INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX runs_sla_due ON runs(sla_due) WHERE sla_due IS NOT NULL;
                CREATE INDEX runs_sla_breached ON runs(sla_breached) WHERE sla_breached = 1;
                """)
        }
        return m
    }

    /// Runs `body` in one IMMEDIATE transaction: all of it is kept, or none.
    public func transaction<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        var result: T?
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                result = try body(SQLiteTransaction(db: db))
                return .commit
            }
        }
        return result!
    }

    /// The most reader connections open at once; more reads at the same time wait for one.
    public static let readers = 6

    /// Runs `body` (one statement) on a reader connection without a transaction around it.
    public func readOneStatement<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try pool.unsafeRead { db in try body(SQLiteTransaction(db: db)) }
    }

    /// Runs `body` in a read transaction on a reader connection: one snapshot, taken while
    /// writes go on.
    public func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try pool.read { db in try body(SQLiteTransaction(db: db)) }
    }
}

/// The store's operations inside one transaction, on SQLite.
public struct SQLiteTransaction: StoreTransaction {
    let db: Database

    /// A value bound to a statement's parameter.
    enum Argument {
        case text(String)
        case optionalText(String?)
        case int(Int)
        case int64(Int64)
        case optionalInt64(Int64?)
    }

    /// Runs a write statement (cached by GRDB) with its arguments bound straight through SQLite's
    /// C API. The tick and the bulk start write two rows per run on one thread; GRDB's argument
    /// values (`StatementArguments`, `DatabaseValue`) were about 15% of that thread's time.
    func write(_ sql: String, _ arguments: [Argument]) throws {
        let statement = try db.cachedStatement(sql: sql)
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        for (i, argument) in arguments.enumerated() {
            let index = Int32(i + 1)
            let code: Int32
            switch argument {
            case .text(let s), .optionalText(let s?): code = Self.bind(s, handle, index)
            case .optionalText(nil), .optionalInt64(nil): code = sqlite3_bind_null(handle, index)
            case .int(let n): code = sqlite3_bind_int64(handle, index, Int64(n))
            case .int64(let n), .optionalInt64(let n?): code = sqlite3_bind_int64(handle, index, n)
            }
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql) }
        }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
        sqlite3_reset(handle)
    }

    /// Binds text (an empty string as an empty text, not as NULL, which a nil pointer would bind).
    private static func bind(_ text: String, _ handle: OpaquePointer, _ index: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, sqliteTransient) }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(handle, index, $0, Int32(bytes.count), sqliteTransient)
            }
        }
    }

    public func run(_ id: String) throws -> StoredRun? {
        let statement = try db.cachedStatement(sql: "SELECT data, sop_digest, initial_ticket, sop, schema_digest FROM runs WHERE id = ?")
        return try Row.fetchOne(statement, arguments: [id]).map(Self.storedRun)
    }

    /// The run at `rowID` if it is still waiting with a timer due at `now`.
    public func dueRun(rowID: Int64, at now: Int64) throws -> StoredRun? {
        let statement = try db.cachedStatement(sql: """
            SELECT data, sop_digest, initial_ticket, sop, schema_digest FROM runs WHERE rowid = ? AND status = 'waiting' AND next_due <= ?
            """)
        return try Row.fetchOne(statement, arguments: [rowID, now]).map(Self.storedRun)
    }

    /// The runs among `rowIDs` (ascending) still waiting with a timer due at `now`, unparsed: each
    /// one's JSON text and the digests of its SOP and ticket schema, in row order. One range scan,
    /// not a look-up per run.
    public func dueRunTexts(rowIDs: ArraySlice<Int64>, at now: Int64) throws
        -> [(rowID: Int64, data: String, sopDigest: String, schemaDigest: String?)] {
        guard let first = rowIDs.first, let last = rowIDs.last else { return [] }
        let wanted = Set(rowIDs)
        let statement = try db.cachedStatement(sql: """
            SELECT rowid, data, sop_digest, schema_digest FROM runs
            WHERE rowid BETWEEN ? AND ? AND status = 'waiting' AND next_due <= ? ORDER BY rowid
            """)
        var out: [(rowID: Int64, data: String, sopDigest: String, schemaDigest: String?)] = []
        out.reserveCapacity(rowIDs.count)
        let rows = try Row.fetchCursor(statement, arguments: [first, last, now])
        while let row = try rows.next() {
            let rowID: Int64 = row[0]
            guard wanted.contains(rowID) else { continue }
            out.append((rowID, row[1], row[2], row[3]))
        }
        return out
    }

    private static func storedRun(_ row: Row) throws -> StoredRun {
        let data: String = row["data"]
        let initial: String = row["initial_ticket"]
        return StoredRun(json: try JSONParser.parse(data), sopDigest: row["sop_digest"], initialTicketText: initial,
                         sop: row["sop"], schemaDigest: row["schema_digest"])
    }

    public func insertRun(_ row: RunRow, sop: String, parent: String?, sopDigest: String, schemaDigest: String,
                          initialTicket: String) throws {
        try write(Self.insertRunSQL, [.text(row.id), .text(sop), .text(row.state), .text(row.status), .optionalText(row.outcome),
                                      .int(row.version), .int64(row.updatedAt), .optionalInt64(row.nextDue), .optionalText(parent),
                                      .text(sopDigest), .text(schemaDigest), .text(initialTicket), .text(row.data),
                                      .optionalText(row.role), .optionalText(row.ticketID), .optionalInt64(row.slaDue),
                                      .int(row.slaBreached ? 1 : 0)])
    }

    /// Inserts a run unless one with its id exists; false (nothing written) when it does.
    public func insertRunIfAbsent(_ row: RunRow, sop: String, parent: String?, sopDigest: String, schemaDigest: String,
                                  initialTicket: String) throws -> Bool {
        try write(Self.insertRunIfAbsentSQL, [.text(row.id), .text(sop), .text(row.state), .text(row.status), .optionalText(row.outcome),
                                              .int(row.version), .int64(row.updatedAt), .optionalInt64(row.nextDue), .optionalText(parent),
                                              .text(sopDigest), .text(schemaDigest), .text(initialTicket), .text(row.data),
                                              .optionalText(row.role), .optionalText(row.ticketID), .optionalInt64(row.slaDue),
                                              .int(row.slaBreached ? 1 : 0)])
        return db.changesCount == 1
    }

    private static let insertRunSQL = StoreSQL.insert(.runs, .sqlite)
    private static let insertRunIfAbsentSQL = insertRunSQL + " ON CONFLICT (id) DO NOTHING"
    private static let updateRunSQL = StoreSQL.updateRun(.sqlite)
    private static let insertJournalSQL = StoreSQL.insert(.journal, .sqlite)

    /// Saves a run if it is still at `expectedVersion` (optimistic versioning); false when another
    /// step got there first.
    public func updateRun(_ row: RunRow, expectedVersion: Int) throws -> Bool {
        try write(Self.updateRunSQL, [.text(row.state), .text(row.status), .optionalText(row.outcome), .int(row.version),
                                      .int64(row.updatedAt), .optionalInt64(row.nextDue), .text(row.data),
                                      .optionalText(row.role), .optionalText(row.ticketID), .optionalInt64(row.slaDue),
                                      .int(row.slaBreached ? 1 : 0), .text(row.id), .int(expectedVersion)])
        return db.changesCount == 1
    }

    /// Runs `body` in a savepoint: if it throws, what it wrote is undone and the error rethrown,
    /// while the enclosing transaction goes on.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        // Cached statements, not GRDB's `inSavepoint`, which compiles its SAVEPOINT and RELEASE
        // statements anew (and runs its authorizer) on every call: a server takes a savepoint per
        // step, and a tick one per run with effects.
        try write("SAVEPOINT step", [])
        let result: T
        do {
            result = try body()
        } catch {
            try write("ROLLBACK TO SAVEPOINT step", [])
            try write("RELEASE SAVEPOINT step", [])
            throw error
        }
        try write("RELEASE SAVEPOINT step", [])
        return result
    }

    /// Appends sealed records, and puts the messages their `notify` effects send in the outbox
    /// in the same transaction (a message is sent if and only if its record is kept).
    public func appendJournal(_ rows: [JournalRow]) throws {
        for r in rows {
            try write(Self.insertJournalSQL, [.text(r.run), .int(r.seq), .text(r.hash), .text(r.text)])
            for (i, message) in r.messages.enumerated() {
                try write("INSERT OR IGNORE INTO outbox (id, run, seq, created_at, message) VALUES (?, ?, ?, ?, ?)",
                          [.text("\(r.run)-\(r.seq)-\(i)"), .text(r.run), .int(r.seq), .int64(r.at), .text(message)])
            }
        }
    }

    /// Replaces one stored record's text, hash column untouched. Only tests use this, to prove
    /// that `verify` catches a journal edited behind the store's back.
    public func rewriteJournal(run: String, seq: Int, record: String) throws {
        try db.execute(sql: "UPDATE journal SET record = ? WHERE run = ? AND seq = ?", arguments: [record, run, seq])
    }

    /// A run's journal, read record by record through `JournalRecord`; a record that cannot be
    /// read throws `JournalReadError`, naming the run and the record.
    public func journal(_ run: String) throws -> [JournalRecord] {
        let lines = try String.fetchAll(db, sql: "SELECT record FROM journal WHERE run = ? ORDER BY seq", arguments: [run])
        return try lines.enumerated().map { i, line throws(JournalReadError) in try JournalReadError.decode(line, run: run, seq: i) }
    }

    public func pinSource(digest: String, sop: String, version: Int, text: String) throws {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO sources (digest, sop, version, text) VALUES (?, ?, ?, ?)")
            .execute(arguments: [digest, sop, version, text])
    }

    public func source(digest: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT text FROM sources WHERE digest = ?", arguments: [digest])
    }

    public func pinSchema(digest: String, text: String) throws {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO schemas (digest, text) VALUES (?, ?)").execute(arguments: [digest, text])
    }

    public func schema(digest: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT text FROM schemas WHERE digest = ?", arguments: [digest])
    }

    /// Records a request id; false when it was seen before for this run.
    public func claimRequest(run: String, requestID: String) throws -> Bool {
        try write("INSERT OR IGNORE INTO requests (run, request_id) VALUES (?, ?)", [.text(run), .text(requestID)])
        return db.changesCount == 1
    }

    /// The rowids of the waiting runs with a timer due at `now`, in creation order. Read through
    /// the due index and sorted here: asked to `ORDER BY rowid`, SQLite scans the whole table in
    /// rowid order instead, which a server's tick did every second.
    public func dueRowIDs(at now: Int64) throws -> [Int64] {
        try Int64.fetchAll(db, sql: "SELECT rowid FROM runs WHERE status = 'waiting' AND next_due <= ?", arguments: [now]).sorted()
    }

    public func runIDs() throws -> [String] {
        try String.fetchAll(db, sql: "SELECT id FROM runs ORDER BY id")
    }

    public func runIDs(after: String?, limit: Int) throws -> [String] {
        guard let after else { return try String.fetchAll(db, sql: "SELECT id FROM runs ORDER BY id LIMIT ?", arguments: [limit]) }
        return try String.fetchAll(db, sql: "SELECT id FROM runs WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, limit])
    }

    public func runCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") ?? 0
    }

    public func waitingCounts(sop: String, excludingDigest: String?) throws -> [String: Int] {
        let q = StoreSQL.waitingCounts(sop: sop, excludingDigest: excludingDigest, .sqlite)
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: q.sql, arguments: Self.arguments(q.binds)) { counts[row[0]] = row[1] }
        return counts
    }

    public func summaries(sop: String?, state: String?, waiting: Bool) throws -> [RunSummary] {
        try summaryRows(StoreSQL.summaries(sop: sop, state: state, waiting: waiting, .sqlite)).map(\.summary)
    }

    /// The rows of a run-summary query (`StoreSQL.summaryColumns`).
    func summaryRows(_ query: StoreQuery) throws -> [(summary: RunSummary, position: Int64)] {
        try Row.fetchAll(db, sql: query.sql, arguments: Self.arguments(query.binds)).map { try StoreSQL.summary(Cells(row: $0)) }
    }

    /// `StoreQuery` binds as GRDB's arguments.
    static func arguments(_ binds: [StoreValue]) -> StatementArguments {
        StatementArguments(binds.map { value -> DatabaseValueConvertible? in
            switch value {
            case .text(let s): return s
            case .int(let n): return n
            case .null: return nil
            }
        })
    }

    /// A GRDB row read by column index.
    struct Cells: StoreRowCells {
        let row: Row
        func text(_ index: Int) -> String? { row[index] }
        func int(_ index: Int) -> Int64? { row[index] }
    }
}

/// SQLite copies a text bound with this destructor before the call returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// SQLite's result codes as store faults: a full disk, a damaged file, a file that cannot be
/// opened or read, the write lock not free within the busy timeout.
extension DatabaseError: StoreFaultError {
    public var storeFault: StoreFault? {
        switch resultCode.primaryResultCode {
        case .SQLITE_FULL: return .full
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return .damaged
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_PROTOCOL: return .unavailable
        default: return nil
        }
    }
}
