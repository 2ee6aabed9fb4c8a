import Foundation
import GRDB
import GRDBSQLite
import SOPCore
import SOPJSON
import SOPStore

extension SQLiteTransaction {
    // MARK: Runs

    public func runPage(_ filter: RunFilter) throws -> RunPage {
        StoreSQL.page(try summaryRows(StoreSQL.runPage(filter, .sqlite)), filter: filter)
    }

    /// Waiting runs stored before the store kept the role they wait on.
    public func runsWithoutRole() throws -> [String] {
        try String.fetchAll(db, sql: "SELECT id FROM runs WHERE status = 'waiting' AND waiting_role IS NULL")
    }

    public func setWaitingRole(run: String, role: String?) throws {
        try db.execute(sql: "UPDATE runs SET waiting_role = ? WHERE id = ?", arguments: [role, run])
    }

    public func repin(_ runs: [String], sopDigest: String, schemaDigest: String) throws {
        let statement = try db.cachedStatement(sql: "UPDATE runs SET sop_digest = ?, schema_digest = ? WHERE id = ?")
        for run in runs { try statement.execute(arguments: [sopDigest, schemaDigest, run]) }
    }

    /// The ids of the open runs of a ticket, oldest first.
    public func openRuns(ticketID: String) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT id FROM runs WHERE ticket_id = ? AND status = 'waiting' ORDER BY rowid", arguments: [ticketID])
    }

    /// The journal's row order is commit order.
    public func journalFeed(after: Int64, run: String?, limit: Int) throws -> [JournalFeedRow] {
        let query = StoreSQL.journalFeed(after: after, run: run, limit: limit, .sqlite)
        return try Row.fetchAll(db, sql: query.sql, arguments: Self.arguments(query.binds)).map {
            JournalFeedRow(position: $0[0], run: $0[1], sop: $0[2], record: $0[3])
        }
    }

    /// The last journal position (0 when the journal is empty).
    public func journalPosition() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(rowid) FROM journal") ?? 0
    }

    // MARK: Tokens

    public func insertToken(id: String, hash: String, actor: String, roles: [String], at: Int64) throws {
        try db.execute(sql: "INSERT INTO tokens (id, hash, actor, roles, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [id, hash, actor, roles.joined(separator: ","), at])
    }

    /// The live token whose secret hashes to `hash`.
    public func token(hash: String) throws -> StoredToken? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tokens WHERE hash = ? AND revoked_at IS NULL"), arguments: [hash]).map(Self.token)
    }

    public func tokens() throws -> [StoredToken] {
        try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY created_at, id").map(Self.token)
    }

    /// Revokes a token; false when no live token has this id.
    public func revokeToken(id: String, at: Int64) throws -> Bool {
        try db.execute(sql: "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [at, id])
        return db.changesCount == 1
    }

    private static func token(_ row: Row) -> StoredToken {
        let roles: String = row["roles"]
        return StoredToken(id: row["id"], actor: row["actor"], roles: roles.split(separator: ",").map(String.init),
                           createdAt: row["created_at"], revokedAt: row["revoked_at"])
    }

    // MARK: Outbox and webhook deliveries

    /// Messages no delivery has been made for yet, oldest first.
    public func undispatchedMessages(limit: Int) throws -> [OutboxMessage] {
        try Row.fetchAll(db, sql: "SELECT id, run, seq, created_at, message FROM outbox WHERE dispatched = 0 ORDER BY rowid LIMIT ?",
                         arguments: [limit]).map(Self.message)
    }

    public func outboxMessage(_ id: String) throws -> OutboxMessage? {
        try Row.fetchOne(db, sql: "SELECT id, run, seq, created_at, message FROM outbox WHERE id = ?", arguments: [id]).map(Self.message)
    }

    public func outboxMessages() throws -> [OutboxMessage] {
        try Row.fetchAll(db, sql: "SELECT id, run, seq, created_at, message FROM outbox ORDER BY rowid").map(Self.message)
    }

    private static func message(_ row: Row) -> OutboxMessage {
        let text: String = row["message"]
        return OutboxMessage(id: row["id"], run: row["run"], seq: row["seq"], createdAt: row["created_at"],
                             message: (try? JSONParser.parse(text)) ?? .string(text))
    }

    /// Makes a pending delivery of `message` to each endpoint (once: ids are stable) and marks the
    /// message dispatched.
    public func dispatch(_ message: String, to endpoints: [String], at now: Int64) throws {
        for endpoint in endpoints {
            try db.execute(sql: """
                INSERT OR IGNORE INTO deliveries (id, message, endpoint, status, next_attempt, created_at, updated_at)
                VALUES (?, ?, ?, 'pending', ?, ?, ?)
                """, arguments: [Delivery.id(message: message, endpoint: endpoint), message, endpoint, now, now, now])
        }
        try db.execute(sql: "UPDATE outbox SET dispatched = 1 WHERE id = ?", arguments: [message])
    }

    public func dueDeliveries(at now: Int64, limit: Int) throws -> [Delivery] {
        try Row.fetchAll(db, sql: "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?",
                         arguments: [now, limit]).map(Self.delivery)
    }

    public func deliveries(message: String?) throws -> [Delivery] {
        if let message {
            return try Row.fetchAll(db, sql: "SELECT * FROM deliveries WHERE message = ? ORDER BY id", arguments: [message]).map(Self.delivery)
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM deliveries ORDER BY created_at, id").map(Self.delivery)
    }

    /// Records one attempt and the delivery's new status.
    public func recordAttempt(delivery: String, attempt: Int, at now: Int64, httpStatus: Int?, error: String?,
                              status: String, nextAttempt: Int64) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO delivery_attempts (delivery, attempt, at, http_status, error) VALUES (?, ?, ?, ?, ?)",
                       arguments: [delivery, attempt, now, httpStatus, error])
        try db.execute(sql: """
            UPDATE deliveries SET attempts = ?, status = ?, next_attempt = ?, last_error = ?, updated_at = ? WHERE id = ?
            """, arguments: [attempt, status, nextAttempt, error, now, delivery])
    }

    /// Puts a delivery back in the queue, due now; false when there is none with this id.
    public func retryDelivery(_ id: String, at now: Int64) throws -> Bool {
        try db.execute(sql: "UPDATE deliveries SET status = 'pending', next_attempt = ?, updated_at = ? WHERE id = ?",
                       arguments: [now, now, id])
        return db.changesCount == 1
    }

    private static func delivery(_ row: Row) -> Delivery {
        Delivery(id: row["id"], message: row["message"], endpoint: row["endpoint"], status: row["status"], attempts: row["attempts"],
                 nextAttempt: row["next_attempt"], lastError: row["last_error"], updatedAt: row["updated_at"])
    }

    // MARK: Console sessions

    public func insertSession(hash: String, tokenHash: String, expires: Int64) throws {
        try db.execute(sql: "DELETE FROM sessions WHERE expires <= ?", arguments: [expires - 24 * 3_600_000])
        try db.execute(sql: "INSERT OR REPLACE INTO sessions (hash, token_hash, expires) VALUES (?, ?, ?)",
                       arguments: [hash, tokenHash, expires])
    }

    /// The token hash of a live session (nil when it is unknown or has expired at `now`).
    public func session(hash: String, at now: Int64) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT token_hash FROM sessions WHERE hash = ? AND expires > ?"),
                            arguments: [hash, now])
    }

    public func deleteSession(hash: String) throws {
        try db.execute(sql: "DELETE FROM sessions WHERE hash = ?", arguments: [hash])
    }

    // MARK: Inbound helpdesk deliveries

    /// Records an inbound delivery id; false when it was seen before.
    public func claimHookDelivery(_ id: String, at now: Int64) throws -> Bool {
        try db.execute(sql: "INSERT OR IGNORE INTO hook_deliveries (id, received_at) VALUES (?, ?)", arguments: [id, now])
        return db.changesCount == 1
    }

    /// Moves a ticket's last-known helpdesk update time forward; false (nothing written) when the
    /// stored time is the same or later: the delivery is older than one already applied.
    public func advanceTicket(_ ticketID: String, updatedAt: Int64) throws -> Bool {
        try db.execute(sql: """
            INSERT INTO hook_tickets (ticket_id, updated_at) VALUES (?, ?)
            ON CONFLICT (ticket_id) DO UPDATE SET updated_at = excluded.updated_at WHERE excluded.updated_at > hook_tickets.updated_at
            """, arguments: [ticketID, updatedAt])
        return db.changesCount == 1
    }
}

extension SQLiteTransaction {
    // MARK: Copying a whole store

    public func exportRows(_ table: StoreTable, _ each: ([StoreValue]) throws -> Void) throws {
        let columns = table.columns
        let rows = try Row.fetchCursor(db, sql: StoreSQL.export(table, columns: columns.map(\.name), .sqlite))
        while let row = try rows.next() {
            try each(columns.indices.map { i in
                let value: DatabaseValue = row[i]
                switch value.storage {
                case .null: return .null
                case .int64(let n): return columns[i].integer ? .int(n) : .text(String(n))
                case .double(let d): return columns[i].integer ? .int(Int64(d)) : .text(String(d))
                case .string(let s): return columns[i].integer ? (Int64(s).map(StoreValue.int) ?? .text(s)) : .text(s)
                case .blob(let data): return .text(String(decoding: data, as: UTF8.self))
                }
            })
        }
    }

    /// Straight from SQLite's C API: each value's bytes where SQLite keeps them, no copy.
    public func scanRows(_ table: StoreTable, columns: [String], _ each: ([UnsafeBufferPointer<UInt8>?]) throws -> Void) throws {
        try StoreColumnError.check(columns, of: table)
        let sql = StoreSQL.export(table, columns: columns, .sqlite)
        let statement = try db.makeStatement(sql: sql)
        let handle = statement.sqliteStatement
        let count = Int32(columns.count)
        var values = [UnsafeBufferPointer<UInt8>?](repeating: nil, count: columns.count)
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
            }
            for i in 0..<count {
                // sqlite3_column_text first, then _bytes (SQLite's order): an integer becomes its text.
                if sqlite3_column_type(handle, i) != SQLITE_NULL, let text = sqlite3_column_text(handle, i) {
                    values[Int(i)] = UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, i)))
                } else {
                    values[Int(i)] = nil
                }
            }
            try each(values)
        }
    }

    public func importRows(_ table: StoreTable, _ rows: [[StoreValue]]) throws {
        let statement = try db.cachedStatement(sql: StoreSQL.insert(table, .sqlite))
        for row in rows { try statement.execute(arguments: Self.arguments(row)) }
    }

    public func isEmpty() throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM tokens)") == 0
    }

    /// From `PRAGMA table_info`, GRDB's list of migrations and SQLite's own tables left out. A
    /// primary key column counts as not null: SQLite reports a rowid table's text key as nullable
    /// (a NULL would be let in, a legacy of SQLite's), but the store never writes one.
    public func schema() throws -> StoreSchema {
        let names = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
            """)
        var tables: [String: [StoreSchema.Column]] = [:]
        for name in names {
            tables[name] = try Row.fetchAll(db, sql: "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)", arguments: [name]).map { row in
                let type: String = row["type"]
                let notNull: Bool = row["notnull"], key: Int = row["pk"]
                return StoreSchema.Column(name: row["name"], type: type.lowercased(), nullable: !notNull && key == 0)
            }
        }
        return StoreSchema(tables: tables)
    }
}
