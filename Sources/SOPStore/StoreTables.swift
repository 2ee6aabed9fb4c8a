/// The tables of a store: every column with its type and whether it may be NULL, the key a
/// table is read in, and the column that keeps a table's creation order. This is the one
/// description every store is checked against (`StoreSchema`), and what `sop store copy`, the
/// run inserts and `StoreSQL` take their column lists from. The migrations that build a store are
/// history and are not generated from it; the schema conformance case checks that what they built
/// is exactly this (docs/decisions.md, "One description of the tables").
public enum StoreTable: String, CaseIterable, Sendable {
    case sources, schemas, runs, journal, requests, tokens, outbox, deliveries
    case deliveryAttempts = "delivery_attempts", hookDeliveries = "hook_deliveries", hookTickets = "hook_tickets", sessions

    public var name: String { rawValue }

    /// What a column holds: SQLite's `INTEGER` or `TEXT`, PostgreSQL's `bigint` or `text`.
    public enum ColumnType: String, Sendable, Equatable {
        case integer, text
    }

    /// One column of a table.
    public struct Column: Sendable, Equatable, CustomStringConvertible {
        public var name: String
        public var type: ColumnType
        public var nullable: Bool

        public init(_ name: String, _ type: ColumnType, nullable: Bool) {
            self.name = name
            self.type = type
            self.nullable = nullable
        }

        public var integer: Bool { type == .integer }
        public var description: String { "\(name) \(type.rawValue)\(nullable ? "" : " not null")" }
    }

    /// The columns, in the order both stores copy and insert them.
    public var columns: [Column] { Self.described[self]! }

    private static let described: [StoreTable: [Column]] = {
        func text(_ name: String, null: Bool = false) -> Column { Column(name, .text, nullable: null) }
        func int(_ name: String, null: Bool = false) -> Column { Column(name, .integer, nullable: null) }
        return [
            .sources: [text("digest"), text("sop"), int("version"), text("text")],
            .schemas: [text("digest"), text("text")],
            .runs: [text("id"), text("sop"), text("state"), text("status"), text("outcome", null: true), int("version"),
                    int("updated_at"), int("next_due", null: true), text("parent", null: true), text("sop_digest"),
                    text("schema_digest", null: true), text("initial_ticket"), text("data"), text("waiting_role", null: true),
                    text("ticket_id", null: true), int("sla_due", null: true), int("sla_breached")],
            .journal: [text("run"), int("seq"), text("hash"), text("record")],
            .requests: [text("run"), text("request_id")],
            .tokens: [text("id"), text("hash"), text("actor"), text("roles"), int("created_at"), int("revoked_at", null: true)],
            .outbox: [text("id"), text("run"), int("seq"), int("created_at"), text("message"), int("dispatched")],
            .deliveries: [text("id"), text("message"), text("endpoint"), text("status"), int("attempts"), int("next_attempt"),
                          text("last_error", null: true), int("created_at"), int("updated_at")],
            .deliveryAttempts: [text("delivery"), int("attempt"), int("at"), int("http_status", null: true), text("error", null: true)],
            .hookDeliveries: [text("id"), int("received_at")],
            .hookTickets: [text("ticket_id"), int("updated_at")],
            .sessions: [text("hash"), text("token_hash"), int("expires")],
        ]
    }()

    /// The column holding the order rows were created in, for the tables whose order matters
    /// (runs their creation order, the journal its commit order, the outbox its queue order).
    /// SQLite keeps it as the implicit `rowid`; PostgreSQL as an identity column of this name
    /// (`SQLDialect.creationColumn`). Not among `columns`: a copy gives each row a new one, in order.
    public var creationColumn: String? {
        switch self {
        case .runs, .outbox: return "rowid"
        case .journal: return "position"
        default: return nil
        }
    }

    /// The primary key: with `creationColumn`, the order a table is read in.
    public var key: [String] {
        switch self {
        case .sources, .schemas: return ["digest"]
        case .runs, .tokens, .outbox, .deliveries, .hookDeliveries: return ["id"]
        case .journal: return ["run", "seq"]
        case .requests: return ["run", "request_id"]
        case .deliveryAttempts: return ["delivery", "attempt"]
        case .hookTickets: return ["ticket_id"]
        case .sessions: return ["hash"]
        }
    }

    public var columnList: String { columns.map(\.name).joined(separator: ", ") }

    /// The column called `name`.
    public func column(_ name: String) -> Column? { columns.first { $0.name == name } }
}

/// One cell of a copied row.
public enum StoreValue: Sendable, Equatable, CustomStringConvertible {
    case text(String)
    case int(Int64)
    case null

    public var description: String {
        switch self {
        case .text(let s): return s
        case .int(let n): return String(n)
        case .null: return "NULL"
        }
    }
}
