import Foundation
import SOPStore
import Testing

/// The one filter-to-SQL builder, in both dialects, and the schema check's own failures.
@Suite struct StoreSQLTests {
    /// Placeholders numbered as bound on PostgreSQL, `?` on SQLite; the same clauses in the same
    /// order; an empty SOP list matches nothing; text ordered bytewise on both.
    @Test func oneFilterGivesTheSameQueryInBothDialects() {
        let filter = RunFilter(sops: ["a", "b"], state: "open", role: "agent", dueBefore: 7, after: 3, limit: 10, slaBreached: true)
        let columns = "SELECT id, sop, state, status, outcome, updated_at, sla_due, sla_breached, rowid FROM runs WHERE 1 = 1"
        #expect(StoreSQL.runPage(filter, .sqlite) == StoreQuery(
            sql: columns + " AND sop IN (?, ?) AND state = ? AND waiting_role = ? AND status = 'waiting'"
                + " AND status = 'waiting' AND next_due <= ? AND sla_breached = 1 AND rowid > ? ORDER BY rowid LIMIT ?",
            binds: [.text("a"), .text("b"), .text("open"), .text("agent"), .int(7), .int(3), .int(11)]))
        #expect(StoreSQL.runPage(filter, .postgres) == StoreQuery(
            sql: columns + " AND sop IN ($1, $2) AND state = $3 AND waiting_role = $4 AND status = 'waiting'"
                + " AND status = 'waiting' AND next_due <= $5 AND sla_breached = 1 AND rowid > $6 ORDER BY rowid LIMIT $7",
            binds: [.text("a"), .text("b"), .text("open"), .text("agent"), .int(7), .int(3), .int(11)]))
        #expect(StoreSQL.runPage(RunFilter(limit: Int.max), .sqlite).binds == [.int(Int64.max)])
        #expect(StoreSQL.runPage(RunFilter(sops: []), .sqlite).sql.hasSuffix("WHERE 1 = 1 AND 0 ORDER BY rowid"))
        #expect(StoreSQL.runPage(RunFilter(sops: []), .postgres).sql.hasSuffix("WHERE 1 = 1 AND false ORDER BY rowid"))
        #expect(StoreSQL.runPage(RunFilter(after: 9, bySLADue: true), .postgres).sql.hasSuffix(
            "AND sla_due IS NOT NULL ORDER BY sla_due, rowid"))
        #expect(StoreSQL.summaries(sop: "x", state: nil, waiting: true, .postgres).sql.hasSuffix(
            "AND sop = $1 AND status = 'waiting' ORDER BY id COLLATE \"C\""))
        #expect(StoreSQL.summaries(sop: nil, state: nil, waiting: false, .sqlite).sql.hasSuffix("WHERE 1 = 1 ORDER BY id"))
        let counts = StoreSQL.waitingCounts(sop: "x", excludingDigest: "sha256:d", .postgres)
        #expect(counts.sql == "SELECT state, count(*) FROM runs WHERE sop = $1 AND status = 'waiting' AND sop_digest <> $2 GROUP BY state")
        #expect(counts.binds == [.text("x"), .text("sha256:d")])
        #expect(StoreSQL.waitingCounts(sop: "x", excludingDigest: nil, .sqlite).sql
            == "SELECT state, count(*) FROM runs WHERE sop = ? AND status = 'waiting' GROUP BY state")
    }

    /// Each table is read in one order: creation order (SQLite's rowid, PostgreSQL's identity
    /// column) where it matters, else by key with text bytewise.
    @Test func eachTableHasOneExportOrder() {
        let orders = StoreTable.allCases.map { ($0.name, StoreSQL.exportOrder($0, .sqlite), StoreSQL.exportOrder($0, .postgres)) }
        let c = " COLLATE \"C\""
        #expect(orders.map(\.1) == ["digest", "digest", "rowid", "rowid", "run, request_id", "id", "rowid", "id", "delivery, attempt",
                                    "id", "ticket_id", "hash"])
        #expect(orders.map(\.2) == ["digest" + c, "digest" + c, "rowid", "position", "run\(c), request_id\(c)", "id" + c, "rowid",
                                    "id" + c, "delivery\(c), attempt", "id" + c, "ticket_id" + c, "hash" + c])
        #expect(StoreSQL.insert(.hookTickets, rows: 2, .postgres) == "INSERT INTO hook_tickets (ticket_id, updated_at) VALUES ($1, $2), ($3, $4)")
        #expect(StoreSQL.updateRun(.sqlite).hasSuffix("sla_breached = ? WHERE id = ? AND version = ?"))
        #expect(StoreSQL.updateRun(.postgres).hasSuffix("sla_breached = $11 WHERE id = $12 AND version = $13"))
    }

    /// The columns the builder names by hand are described columns of `runs`.
    @Test func theBuilderNamesOnlyDescribedColumns() {
        let named = StoreSQL.summaryColumns(.sqlite).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(named.last == "rowid")
        for column in named.dropLast() + StoreSQL.runUpdateColumns {
            #expect(StoreTable.runs.column(column) != nil, "runs has no described column '\(column)'")
        }
        #expect(StoreSQL.summaryColumns(.postgres) == StoreSQL.summaryColumns(.sqlite))
    }

    /// The schema check names every kind of difference: a missing or extra table or column, a
    /// type, a nullability, and PostgreSQL's creation column.
    @Test func theSchemaCheckNamesEachDifference() {
        func described(_ dialect: SQLDialect) -> StoreSchema {
            StoreSchema(tables: Dictionary(uniqueKeysWithValues: StoreTable.allCases.map { table in
                var columns = table.columns.map { StoreSchema.Column(name: $0.name, type: $0.type.rawValue, nullable: $0.nullable) }
                if dialect.declaresCreationColumn, let position = table.creationColumn {
                    columns.append(StoreSchema.Column(name: position, type: "integer", nullable: false))
                }
                return (table.name, columns)
            }))
        }
        #expect(described(.sqlite).differences(.sqlite) == [])
        #expect(described(.postgres).differences(.postgres) == [])
        #expect(described(.sqlite).differences(.postgres) == ["runs has no column 'rowid'", "journal has no column 'position'",
                                                              "outbox has no column 'rowid'"])
        var changed = described(.sqlite)
        changed.tables["hook_tickets"] = nil
        changed.tables["extra"] = []
        changed.tables["runs"]!.removeAll { $0.name == "ticket_id" }
        changed.tables["runs"]!.append(StoreSchema.Column(name: "note", type: "text", nullable: true))
        changed.tables["tokens"]![0].type = "varchar"
        changed.tables["tokens"]![5].nullable = false
        #expect(changed.differences(.sqlite) == [
            "the store has a table 'extra' the description does not",
            "runs has no column 'ticket_id'",
            "runs has a column 'note' the description does not",
            "tokens.id is varchar, described as text",
            "tokens.revoked_at is not null, described as nullable",
            "the store has no table 'hook_tickets'",
        ])
    }
}
