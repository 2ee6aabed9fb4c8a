import SOPCore
import SOPJSON

/// A stored run: its state as JSON plus the columns the store queries by.
public struct StoredRun: Sendable {
    public var json: JSONValue
    public var sopDigest: String
    /// The ticket the run started with, as stored; parsed only when needed (idempotent starts,
    /// replay), not on every step.
    public var initialTicketText: String
    public var sop: String
    /// The digest of the ticket schema the run started under (`TicketSchema.noneDigest` when it
    /// started without one); nil for runs stored before schemas were pinned.
    public var schemaDigest: String?

    public var initialTicket: JSONValue { (try? JSONParser.parse(initialTicketText)) ?? .null }

    public init(json: JSONValue, sopDigest: String, initialTicketText: String, sop: String, schemaDigest: String?) {
        self.json = json
        self.sopDigest = sopDigest
        self.initialTicketText = initialTicketText
        self.sop = sop
        self.schemaDigest = schemaDigest
    }
}

/// A run's row as the store writes it, rendered ahead of the write (off the writer's thread
/// when a tick prepares many at once).
public struct RunRow: Sendable {
    public var id: String
    public var state: String
    public var status: String
    public var outcome: String?
    public var version: Int
    public var updatedAt: Int64
    public var nextDue: Int64?
    /// The role the run waits on (its state's role; nil once it has ended).
    public var role: String?
    /// The ticket's `id` (a text or an integer), the key a helpdesk knows the ticket by.
    public var ticketID: String?
    public var data: String
    /// The earliest due time of the run's SLA clocks still running and not breached, and
    /// whether any clock has breached: what `sop runs --sort sla-due` and `--breached` read.
    public var slaDue: Int64?
    public var slaBreached: Bool

    public init(_ run: RunState, nextDue: Int64?, role: String?, sla: (due: Int64?, breached: Bool) = (nil, false)) {
        id = run.id
        state = run.state
        status = run.status.rawValue
        outcome = run.outcome
        version = run.version
        updatedAt = run.updatedAt
        self.nextDue = nextDue
        self.role = run.isEnded ? nil : role
        ticketID = TicketID.of(run.ticket)
        data = run.json().render()
        slaDue = run.isEnded ? nil : sla.due
        slaBreached = sla.breached
    }

    /// A row given column by column (a store's conformance cases write rows without an engine).
    public init(id: String, state: String, status: String, outcome: String? = nil, version: Int, updatedAt: Int64,
                nextDue: Int64? = nil, role: String? = nil, ticketID: String? = nil, data: String, slaDue: Int64? = nil,
                slaBreached: Bool = false) {
        self.id = id
        self.state = state
        self.status = status
        self.outcome = outcome
        self.version = version
        self.updatedAt = updatedAt
        self.nextDue = nextDue
        self.role = role
        self.ticketID = ticketID
        self.data = data
        self.slaDue = slaDue
        self.slaBreached = slaBreached
    }
}

/// A sealed journal record as stored.
public struct JournalRow: Sendable {
    public var run: String
    public var seq: Int
    public var hash: String
    public var text: String
    public var at: Int64
    /// The messages of the record's `notify` effects, rendered: what goes in the outbox.
    public var messages: [String]

    /// A row given column by column, its record already sealed.
    public init(run: String, seq: Int, hash: String, text: String, at: Int64, messages: [String] = []) {
        self.run = run
        self.seq = seq
        self.hash = hash
        self.text = text
        self.at = at
        self.messages = messages
    }

    /// Seals `record` after `prev` and makes its row (`JournalRecord.sealForStore`).
    public init(sealing record: inout JournalRecord, after prev: String?) {
        text = record.sealForStore(after: prev)
        run = record.run
        seq = record.seq
        hash = record.hash ?? ""
        at = record.at
        messages = record.effects.compactMap { effect in effect["notify"].map { $0.render() } }
    }
}

/// A run as `sop runs` lists it.
public struct RunSummary: Sendable {
    public var run: String
    public var sop: String
    public var state: String
    public var status: String
    public var outcome: String?
    public var updatedAt: Int64
    /// The earliest due time of its running SLA clocks, and whether one has breached.
    public var slaDue: Int64?
    public var slaBreached: Bool

    public init(run: String, sop: String, state: String, status: String, outcome: String?, updatedAt: Int64, slaDue: Int64? = nil,
                slaBreached: Bool = false) {
        self.run = run
        self.sop = sop
        self.state = state
        self.status = status
        self.outcome = outcome
        self.updatedAt = updatedAt
        self.slaDue = slaDue
        self.slaBreached = slaBreached
    }
}

/// Which runs a list asks for (`sop runs`, `GET /v1/runs`); every filter is optional.
public struct RunFilter: Sendable, Equatable {
    public var sops: [String]?
    public var state: String?
    public var status: String?
    /// Runs waiting on this role (their state's role).
    public var role: String?
    public var ticketID: String?
    /// Runs with a timer due at or before this instant.
    public var dueBefore: Int64?
    /// Only runs created after the one this cursor names (`RunPage.next`).
    public var after: Int64?
    public var limit: Int?
    /// Only runs with an SLA target breached.
    public var slaBreached = false
    /// Runs with a running SLA clock, nearest due time first (no cursor: `after` is not used).
    public var bySLADue = false

    public init(sops: [String]? = nil, state: String? = nil, status: String? = nil, role: String? = nil, ticketID: String? = nil,
                dueBefore: Int64? = nil, after: Int64? = nil, limit: Int? = nil, slaBreached: Bool = false, bySLADue: Bool = false) {
        self.slaBreached = slaBreached
        self.bySLADue = bySLADue
        self.sops = sops
        self.state = state
        self.status = status
        self.role = role
        self.ticketID = ticketID
        self.dueBefore = dueBefore
        self.after = after
        self.limit = limit
    }
}

/// One page of a run list, in creation order; `next` is the cursor of the following page.
public struct RunPage: Sendable {
    public var runs: [RunSummary]
    public var next: Int64?

    public init(runs: [RunSummary], next: Int64?) {
        self.runs = runs
        self.next = next
    }
}

/// A bearer token as stored: only the SHA-256 of its secret.
public struct StoredToken: Sendable {
    public var id: String
    public var actor: String
    public var roles: [String]
    public var createdAt: Int64
    public var revokedAt: Int64?

    public init(id: String, actor: String, roles: [String], createdAt: Int64, revokedAt: Int64?) {
        self.id = id
        self.actor = actor
        self.roles = roles
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// A message in the outbox with its deliveries.
public struct OutboxMessage: Sendable {
    public var id: String
    public var run: String
    public var seq: Int
    public var createdAt: Int64
    public var message: JSONValue

    public init(id: String, run: String, seq: Int, createdAt: Int64, message: JSONValue) {
        self.id = id
        self.run = run
        self.seq = seq
        self.createdAt = createdAt
        self.message = message
    }
}

/// One webhook delivery of an outbox message to one endpoint.
public struct Delivery: Sendable {
    public var id: String
    public var message: String
    public var endpoint: String
    /// `pending`, `delivered` or `failed`.
    public var status: String
    public var attempts: Int
    public var nextAttempt: Int64
    public var lastError: String?
    public var updatedAt: Int64

    public init(id: String, message: String, endpoint: String, status: String, attempts: Int, nextAttempt: Int64, lastError: String?, updatedAt: Int64) {
        self.id = id
        self.message = message
        self.endpoint = endpoint
        self.status = status
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.lastError = lastError
        self.updatedAt = updatedAt
    }
}

extension Delivery {
    /// A delivery's stable id: the message id and a short digest of the endpoint.
    public static func id(message: String, endpoint: String) -> String {
        message + "@" + String(Digest.sha256(endpoint).dropFirst(7).prefix(8))
    }
}

