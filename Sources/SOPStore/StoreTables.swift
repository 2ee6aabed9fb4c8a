/// The tables of a store, as `sop store copy` moves them: every column, in the order both stores
/// name them, and which hold integers.
public enum StoreTable: String, CaseIterable, Sendable {
    case sources, schemas, runs, journal, requests, tokens, outbox, deliveries
    case deliveryAttempts = "delivery_attempts", hookDeliveries = "hook_deliveries", hookTickets = "hook_tickets", sessions

    public var name: String { rawValue }

    /// The columns, with true for an integer column.
    public var columns: [(name: String, integer: Bool)] {
        func text(_ names: String...) -> [(String, Bool)] { names.map { ($0, false) } }
        func int(_ names: String...) -> [(String, Bool)] { names.map { ($0, true) } }
        switch self {
        case .sources: return text("digest", "sop") + int("version") + text("text")
        case .schemas: return text("digest", "text")
        case .runs:
            return text("id", "sop", "state", "status", "outcome") + int("version", "updated_at", "next_due")
                + text("parent", "sop_digest", "schema_digest", "initial_ticket", "data", "waiting_role", "ticket_id")
                + int("sla_due", "sla_breached")
        case .journal: return text("run") + int("seq") + text("hash", "record")
        case .requests: return text("run", "request_id")
        case .tokens: return text("id", "hash", "actor", "roles") + int("created_at", "revoked_at")
        case .outbox: return text("id", "run") + int("seq", "created_at") + text("message") + int("dispatched")
        case .deliveries:
            return text("id", "message", "endpoint", "status") + int("attempts", "next_attempt") + text("last_error")
                + int("created_at", "updated_at")
        case .deliveryAttempts: return text("delivery") + int("attempt", "at", "http_status") + text("error")
        case .hookDeliveries: return text("id") + int("received_at")
        case .hookTickets: return text("ticket_id") + int("updated_at")
        case .sessions: return text("hash", "token_hash") + int("expires")
        }
    }

    public var columnList: String { columns.map(\.name).joined(separator: ", ") }
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

