/// What differs between the SQL of two stores, as a small value: `StoreSQL` writes each query
/// once and asks the dialect only for these.
public struct SQLDialect: Sendable, Equatable {
    public enum Placeholders: Sendable, Equatable {
        /// `?`, bound by position (SQLite).
        case question
        /// `$1`, `$2`, … (PostgreSQL).
        case numbered
    }

    public var placeholders: Placeholders
    /// Appended to a text column in ORDER BY so that text sorts bytewise: SQLite's default
    /// (BINARY) does; PostgreSQL's database collation may not, so it says `COLLATE "C"`.
    public var textOrder: String
    /// A condition no row meets (how an empty `sops` filter is written).
    public var never: String
    /// True when a table's creation order is a column the store declares (PostgreSQL's identity
    /// columns, named by `StoreTable.creationColumn`); false when it is SQLite's implicit rowid.
    public var declaresCreationColumn: Bool

    public static let sqlite = SQLDialect(placeholders: .question, textOrder: "", never: "0", declaresCreationColumn: false)
    public static let postgres = SQLDialect(placeholders: .numbered, textOrder: " COLLATE \"C\"", never: "false",
                                            declaresCreationColumn: true)

    /// The placeholder of the `n`th parameter, from 1.
    public func placeholder(_ n: Int) -> String {
        placeholders == .question ? "?" : "$\(n)"
    }

    /// The column a table's rows are numbered by in creation order (nil for a table kept in key order).
    public func creationColumn(_ table: StoreTable) -> String? {
        guard let column = table.creationColumn else { return nil }
        return declaresCreationColumn ? column : "rowid"
    }
}

/// A statement and the values for its parameters, in order.
public struct StoreQuery: Sendable, Equatable {
    public var sql: String
    public var binds: [StoreValue]

    public init(sql: String, binds: [StoreValue] = []) {
        self.sql = sql
        self.binds = binds
    }
}

/// The queries both stores run alike, written once for both dialects: run lists (`runPage`,
/// `summaries`), the journal feed, the order each table is read in, and the run and copy inserts.
/// A store binds the values and reads the rows; it does not write this SQL itself.
public enum StoreSQL {
    /// Builds a statement, numbering its placeholders as they are bound.
    struct Builder {
        let dialect: SQLDialect
        var sql: String
        var binds: [StoreValue] = []

        /// Appends `clause` with each `?` in it replaced by the next placeholder, bound to the next of `values`.
        mutating func add(_ clause: String, _ values: StoreValue...) {
            var parts = clause.split(separator: "?", omittingEmptySubsequences: false)
            precondition(parts.count == values.count + 1, "one value per ? in \(clause)")
            sql += parts.removeFirst()
            for (value, part) in zip(values, parts) {
                binds.append(value)
                sql += dialect.placeholder(binds.count) + part
            }
        }

        var query: StoreQuery { StoreQuery(sql: sql, binds: binds) }
    }

    // MARK: Run lists

    /// The columns of a run-summary row, in the order `summary(_:)` reads them; the last is the
    /// run's creation position (`RunPage.next`).
    public static func summaryColumns(_ dialect: SQLDialect) -> String {
        "id, sop, state, status, outcome, updated_at, sla_due, sla_breached, " + dialect.creationColumn(.runs)!
    }

    /// A page of runs matching `filter`, one more than its limit (`page(_:filter:)` keeps the
    /// extra row's absence as the end): in creation order from the cursor, or by SLA due time.
    public static func runPage(_ filter: RunFilter, _ dialect: SQLDialect) -> StoreQuery {
        let position = dialect.creationColumn(.runs)!
        var q = Builder(dialect: dialect, sql: "SELECT \(summaryColumns(dialect)) FROM runs WHERE 1 = 1")
        if let sops = filter.sops {
            if sops.isEmpty {
                q.sql += " AND \(dialect.never)"
            } else {
                q.sql += " AND sop IN ("
                for (i, sop) in sops.enumerated() { q.add(i == 0 ? "?" : ", ?", .text(sop)) }
                q.sql += ")"
            }
        }
        if let state = filter.state { q.add(" AND state = ?", .text(state)) }
        if let status = filter.status { q.add(" AND status = ?", .text(status)) }
        if let role = filter.role { q.add(" AND waiting_role = ? AND status = 'waiting'", .text(role)) }
        if let ticket = filter.ticketID { q.add(" AND ticket_id = ?", .text(ticket)) }
        if let due = filter.dueBefore { q.add(" AND status = 'waiting' AND next_due <= ?", .int(due)) }
        if filter.slaBreached { q.sql += " AND sla_breached = 1" }
        if filter.bySLADue {
            q.sql += " AND sla_due IS NOT NULL ORDER BY sla_due, \(position)"
        } else {
            if let after = filter.after { q.add(" AND \(position) > ?", .int(after)) }
            q.sql += " ORDER BY \(position)"
        }
        if let limit = filter.limit {
            // One more than the page holds, to know whether another follows (the largest limit as it is).
            let n = Int64(max(limit, 0))
            q.add(" LIMIT ?", .int(n == .max ? n : n + 1))
        }
        return q.query
    }

    /// The page `runPage` asked for, from the rows it read (each as `summary` reads it, with its
    /// creation position): at most `filter.limit` runs, and the cursor of the next page when
    /// there are more (none when sorted by SLA due time).
    public static func page(_ rows: [(summary: RunSummary, position: Int64)], filter: RunFilter) -> RunPage {
        guard let limit = filter.limit.map({ max($0, 0) }), rows.count > limit else { return RunPage(runs: rows.map(\.summary), next: nil) }
        let kept = rows.prefix(limit)
        return RunPage(runs: kept.map(\.summary), next: filter.bySLADue ? nil : kept.last?.position)
    }

    /// Every run, or those of one SOP, in one state, or waiting: by id, bytewise.
    public static func summaries(sop: String?, state: String?, waiting: Bool, _ dialect: SQLDialect) -> StoreQuery {
        var q = Builder(dialect: dialect, sql: "SELECT \(summaryColumns(dialect)) FROM runs WHERE 1 = 1")
        if let sop { q.add(" AND sop = ?", .text(sop)) }
        if let state { q.add(" AND state = ?", .text(state)) }
        if waiting { q.sql += " AND status = 'waiting'" }
        q.sql += " ORDER BY id\(dialect.textOrder)"
        return q.query
    }

    /// The waiting runs of one SOP counted by state (`StoreTransaction.waitingCounts`): rows of
    /// (state, count).
    public static func waitingCounts(sop: String, excludingDigest: String?, _ dialect: SQLDialect) -> StoreQuery {
        var q = Builder(dialect: dialect, sql: "SELECT state, count(*) FROM runs WHERE ")
        q.add("sop = ? AND status = 'waiting'", .text(sop))
        if let excludingDigest { q.add(" AND sop_digest <> ?", .text(excludingDigest)) }
        q.sql += " GROUP BY state"
        return q.query
    }

    /// A run-summary row (`summaryColumns`), read through `cells`: the summary and the run's
    /// creation position.
    public static func summary(_ cells: some StoreRowCells) throws -> (summary: RunSummary, position: Int64) {
        let summary = RunSummary(run: try cells.required(0), sop: try cells.required(1), state: try cells.required(2),
                                 status: try cells.required(3), outcome: try cells.text(4), updatedAt: try cells.requiredInt(5),
                                 slaDue: try cells.int(6), slaBreached: try cells.requiredInt(7) == 1)
        return (summary, try cells.requiredInt(8))
    }

    // MARK: Journal

    /// Journal records after the position `after`, in commit order, at most `limit`, optionally
    /// of one run: (position, run, the run's SOP id, record).
    public static func journalFeed(after: Int64, run: String?, limit: Int, _ dialect: SQLDialect) -> StoreQuery {
        let position = "journal." + dialect.creationColumn(.journal)!
        var q = Builder(dialect: dialect, sql: "SELECT \(position), journal.run, runs.sop, journal.record FROM journal JOIN runs ON runs.id = journal.run")
        q.add(" WHERE \(position) > ?", .int(after))
        if let run { q.add(" AND journal.run = ?", .text(run)) }
        q.add(" ORDER BY \(position) LIMIT ?", .int(Int64(limit)))
        return q.query
    }

    // MARK: Whole tables

    /// The order `exportRows` and `scanRows` read a table in: creation order where it matters
    /// (runs, the journal, the outbox), else by key, text bytewise, so both stores agree.
    public static func exportOrder(_ table: StoreTable, _ dialect: SQLDialect) -> String {
        if let position = dialect.creationColumn(table) { return position }
        return table.key.map { name in
            table.column(name)?.type == .text ? name + dialect.textOrder : name
        }.joined(separator: ", ")
    }

    /// `SELECT columns FROM table ORDER BY` its export order.
    public static func export(_ table: StoreTable, columns: [String], _ dialect: SQLDialect) -> String {
        "SELECT \(columns.joined(separator: ", ")) FROM \(table.name) ORDER BY \(exportOrder(table, dialect))"
    }

    /// `INSERT INTO table (every column) VALUES (…)` for `rows` rows, placeholders numbered on.
    public static func insert(_ table: StoreTable, rows: Int = 1, _ dialect: SQLDialect) -> String {
        let width = table.columns.count
        let tuples = (0..<rows).map { r in
            "(" + (1...width).map { dialect.placeholder(r * width + $0) }.joined(separator: ", ") + ")"
        }
        return "INSERT INTO \(table.name) (\(table.columnList)) VALUES " + tuples.joined(separator: ", ")
    }

    /// The columns a saved step changes in a run's row, in the order `updateRun` binds them,
    /// then the run's id and its expected version.
    public static let runUpdateColumns = ["state", "status", "outcome", "version", "updated_at", "next_due", "data", "waiting_role",
                                          "ticket_id", "sla_due", "sla_breached"]

    /// `UPDATE runs SET` each of `runUpdateColumns` `WHERE id = … AND version = …`.
    public static func updateRun(_ dialect: SQLDialect) -> String {
        let sets = runUpdateColumns.enumerated().map { "\($1) = \(dialect.placeholder($0 + 1))" }.joined(separator: ", ")
        let n = runUpdateColumns.count
        return "UPDATE runs SET \(sets) WHERE id = \(dialect.placeholder(n + 1)) AND version = \(dialect.placeholder(n + 2))"
    }
}

/// The values of one result row by column index, as a store reads them: what shared row
/// readers (`StoreSQL.summary`) take.
public protocol StoreRowCells {
    func text(_ index: Int) throws -> String?
    func int(_ index: Int) throws -> Int64?
}

extension StoreRowCells {
    public func required(_ index: Int) throws -> String {
        guard let value = try text(index) else { throw StoreRowError(index: index) }
        return value
    }

    public func requiredInt(_ index: Int) throws -> Int64 {
        guard let value = try int(index) else { throw StoreRowError(index: index) }
        return value
    }
}

/// A column the store declares NOT NULL came back NULL.
public struct StoreRowError: Error, CustomStringConvertible {
    public var index: Int
    public var description: String { "the store returned NULL in column \(index + 1), which cannot hold NULL" }
}
