import Foundation
import SOPJSON
import SOPStore
import SOPStoreSQLite
import StoreTestSupport
import Testing
import TestSupport

/// The cases every store must pass, written against the store protocol only (no service): a new
/// store is one that passes them. They run on the store under test (`StoreUnderTest`: SQLite, or
/// PostgreSQL with `SOP_TEST_POSTGRES`).
@Suite struct StoreConformanceTests {
    let store: any RunStore
    let dir: URL

    init() throws {
        dir = try ScratchDirectory.make("sop-conformance")
        store = try StoreUnderTest.fresh(in: dir)
    }

    // MARK: Rows the cases write

    /// A run's row; `sop` and the digests go beside it.
    struct Run {
        var row: RunRow
        var sop: String
    }

    /// Five runs, in this creation order; ids chosen so that creation, byte and dictionary order
    /// all differ ("R-c" sorts first bytewise, third in a dictionary).
    static let runs: [Run] = [
        Run(row: RunRow(id: "r-b", state: "open", status: "waiting", version: 1, updatedAt: 1_000, nextDue: 100, role: "agent",
                        ticketID: "T-1", data: "{}", slaDue: 500), sop: "alpha"),
        Run(row: RunRow(id: "r-a", state: "open", status: "waiting", version: 1, updatedAt: 2_000, nextDue: 300, role: "supervisor",
                        ticketID: "T-2", data: "{}", slaDue: 200, slaBreached: true), sop: "beta"),
        Run(row: RunRow(id: "R-c", state: "closed", status: "ended", outcome: "resolved", version: 3, updatedAt: 3_000,
                        ticketID: "T-1", data: "{}", slaBreached: true), sop: "alpha"),
        Run(row: RunRow(id: "r-d", state: "open", status: "waiting", version: 1, updatedAt: 4_000, role: "agent", data: "{}",
                        slaDue: 200), sop: "gamma"),
        Run(row: RunRow(id: "r-e", state: "triage", status: "waiting", version: 1, updatedAt: 5_000, nextDue: 50, role: "agent",
                        ticketID: "T-3", data: "{}"), sop: "alpha"),
    ]

    func insertRuns(_ runs: [Run] = Self.runs) throws {
        try store.transaction { tx in
            for run in runs {
                try tx.insertRun(run.row, sop: run.sop, parent: nil, sopDigest: "sha256:\(run.sop)", schemaDigest: "sha256:none",
                                 initialTicket: "{\"id\":\"\(run.row.ticketID ?? "")\"}")
            }
        }
    }

    func page(_ filter: RunFilter) throws -> RunPage {
        try store.read { tx in try tx.runPage(filter) }
    }

    func ids(_ filter: RunFilter) throws -> [String] {
        try page(filter).runs.map(\.run)
    }

    func dump(_ store: any RunStore, _ table: StoreTable) throws -> [[StoreValue]] {
        try store.read { tx in
            var rows: [[StoreValue]] = []
            try tx.exportRows(table) { rows.append($0) }
            return rows
        }
    }

    // MARK: Runs

    /// A run's row reads back column by column as written (the insert and update column lists
    /// match the values bound), and a save checks the version.
    @Test func aRunRowReadsBackAsWrittenAndASaveChecksItsVersion() throws {
        try insertRuns([Self.runs[1]])
        let written: [StoreValue] = [.text("r-a"), .text("beta"), .text("open"), .text("waiting"), .null, .int(1), .int(2_000), .int(300),
                                     .null, .text("sha256:beta"), .text("sha256:none"), .text("{\"id\":\"T-2\"}"), .text("{}"),
                                     .text("supervisor"), .text("T-2"), .int(200), .int(1)]
        #expect(try dump(store, .runs) == [written])
        var next = Self.runs[1].row
        (next.state, next.status, next.outcome, next.version, next.updatedAt) = ("done", "ended", "fixed", 2, 9_000)
        (next.nextDue, next.role, next.ticketID, next.data, next.slaDue, next.slaBreached) = (nil, nil, "T-9", "{\"v\":2}", nil, false)
        #expect(try store.transaction { tx in try tx.updateRun(next, expectedVersion: 1) })
        #expect(try !store.transaction { tx in try tx.updateRun(next, expectedVersion: 1) })
        let saved: [StoreValue] = [.text("r-a"), .text("beta"), .text("done"), .text("ended"), .text("fixed"), .int(2), .int(9_000), .null,
                                   .null, .text("sha256:beta"), .text("sha256:none"), .text("{\"id\":\"T-2\"}"), .text("{\"v\":2}"),
                                   .null, .text("T-9"), .null, .int(0)]
        #expect(try dump(store, .runs) == [saved])
        let stored = try #require(try store.read { tx in try tx.run("r-a") })
        #expect(stored.sop == "beta" && stored.sopDigest == "sha256:beta" && stored.schemaDigest == "sha256:none")
        #expect(stored.initialTicketText == "{\"id\":\"T-2\"}" && stored.json == .object([("v", .int(2))]))
        #expect(try store.read { tx in try tx.run("nope") } == nil)
        let again = try store.transaction { tx in
            try tx.insertRunIfAbsent(Self.runs[1].row, sop: "beta", parent: nil, sopDigest: "d", schemaDigest: "s", initialTicket: "{}")
        }
        #expect(!again)
        #expect(try dump(store, .runs) == [saved])
    }

    /// Every filter of a run list, alone and together, in creation order.
    @Test func runPagesFilterByEveryField() throws {
        try insertRuns()
        #expect(try ids(RunFilter()) == ["r-b", "r-a", "R-c", "r-d", "r-e"])
        #expect(try ids(RunFilter(sops: ["alpha"])) == ["r-b", "R-c", "r-e"])
        #expect(try ids(RunFilter(sops: ["alpha", "gamma"])) == ["r-b", "R-c", "r-d", "r-e"])
        #expect(try ids(RunFilter(sops: [])) == [])
        #expect(try ids(RunFilter(state: "open")) == ["r-b", "r-a", "r-d"])
        #expect(try ids(RunFilter(status: "ended")) == ["R-c"])
        #expect(try ids(RunFilter(role: "agent")) == ["r-b", "r-d", "r-e"])
        #expect(try ids(RunFilter(role: "supervisor")) == ["r-a"])
        #expect(try ids(RunFilter(ticketID: "T-1")) == ["r-b", "R-c"])
        #expect(try ids(RunFilter(dueBefore: 100)) == ["r-b", "r-e"])
        #expect(try ids(RunFilter(dueBefore: 99)) == ["r-e"])
        #expect(try ids(RunFilter(slaBreached: true)) == ["r-a", "R-c"])
        #expect(try ids(RunFilter(sops: ["alpha"], state: "open", role: "agent", ticketID: "T-1", dueBefore: 100)) == ["r-b"])
        #expect(try ids(RunFilter(sops: ["beta"], status: "waiting", slaBreached: true)) == ["r-a"])
        #expect(try ids(RunFilter(state: "nowhere")) == [])
        // A summary carries every field of its row.
        let ended = try #require(try page(RunFilter(status: "ended")).runs.first)
        #expect(ended.sop == "alpha" && ended.state == "closed" && ended.outcome == "resolved" && ended.updatedAt == 3_000)
        #expect(ended.slaDue == nil && ended.slaBreached)
        let waiting = try #require(try page(RunFilter(sops: ["beta"])).runs.first)
        #expect(waiting.outcome == nil && waiting.slaDue == 200 && waiting.slaBreached && waiting.status == "waiting")
    }

    /// A page holds at most `limit` runs and names the cursor of the next; following the cursors
    /// lists every run once, in creation order, and the last page has none.
    @Test func runPagesFollowTheirCursor() throws {
        try insertRuns()
        var seen: [String] = []
        var cursor: Int64?
        var pages = 0
        repeat {
            let p = try page(RunFilter(after: cursor, limit: 2))
            #expect(p.runs.count <= 2)
            seen += p.runs.map(\.run)
            cursor = p.next
            pages += 1
        } while cursor != nil && pages < 10
        #expect(seen == ["r-b", "r-a", "R-c", "r-d", "r-e"])
        #expect(pages == 3)
        #expect(try page(RunFilter(limit: 5)).next == nil)
        // The largest limit is no limit (no overflow), and a page of none says nothing follows it.
        #expect(try page(RunFilter(limit: Int.max)).runs.count == 5 && page(RunFilter(limit: Int.max)).next == nil)
        let first = try page(RunFilter(limit: 4))
        #expect(first.runs.count == 4)
        let rest = try page(RunFilter(after: try #require(first.next), limit: 4))
        #expect(rest.runs.map(\.run) == ["r-e"] && rest.next == nil)
        // A cursor combines with a filter.
        let agents = try page(RunFilter(role: "agent", limit: 1))
        #expect(agents.runs.map(\.run) == ["r-b"])
        #expect(try ids(RunFilter(role: "agent", after: try #require(agents.next))) == ["r-d", "r-e"])
    }

    /// Sorted by SLA due time: only runs with a running clock, nearest first, ties in creation
    /// order; no cursor.
    @Test func runPagesSortBySLADue() throws {
        try insertRuns()
        #expect(try ids(RunFilter(bySLADue: true)) == ["r-a", "r-d", "r-b"])
        let limited = try page(RunFilter(limit: 2, bySLADue: true))
        #expect(limited.runs.map(\.run) == ["r-a", "r-d"] && limited.next == nil)
        #expect(try ids(RunFilter(role: "agent", bySLADue: true)) == ["r-d", "r-b"])
        #expect(try ids(RunFilter(slaBreached: true, bySLADue: true)) == ["r-a"])
    }

    /// Summaries list runs by id, bytewise (upper case before lower), whatever the database's
    /// collation; by SOP, state or waiting.
    @Test func summariesListRunsByIDBytewise() throws {
        try insertRuns()
        func listed(_ sop: String?, _ state: String?, _ waiting: Bool) throws -> [String] {
            try store.read { tx in try tx.summaries(sop: sop, state: state, waiting: waiting) }.map(\.run)
        }
        #expect(try listed(nil, nil, false) == ["R-c", "r-a", "r-b", "r-d", "r-e"])
        #expect(try listed("alpha", nil, false) == ["R-c", "r-b", "r-e"])
        #expect(try listed(nil, "open", false) == ["r-a", "r-b", "r-d"])
        #expect(try listed(nil, nil, true) == ["r-a", "r-b", "r-d", "r-e"])
        #expect(try listed("alpha", "closed", true) == [])
        let summary = try #require(try store.read { tx in try tx.summaries(sop: "beta", state: nil, waiting: false) }.first)
        #expect(summary.run == "r-a" && summary.state == "open" && summary.updatedAt == 2_000 && summary.slaDue == 200 && summary.slaBreached)
        #expect(try store.read { tx in try tx.runIDs() } == ["R-c", "r-a", "r-b", "r-d", "r-e"])
    }

    /// Waiting runs of one SOP counted by state (`sop diff --store`): ended runs and other SOPs'
    /// are not counted, nor runs pinned to the digest left out.
    @Test func waitingRunsAreCountedByState() throws {
        try insertRuns()
        try store.transaction { tx in
            try tx.insertRun(RunRow(id: "r-f", state: "open", status: "waiting", version: 1, updatedAt: 6_000, data: "{}"), sop: "alpha",
                             parent: nil, sopDigest: "sha256:alpha-v2", schemaDigest: "sha256:none", initialTicket: "{}")
        }
        #expect(try store.read { tx in try tx.waitingCounts(sop: "alpha", excludingDigest: nil) } == ["open": 2, "triage": 1])
        #expect(try store.read { tx in try tx.waitingCounts(sop: "alpha", excludingDigest: "sha256:alpha-v2") } == ["open": 1, "triage": 1])
        #expect(try store.read { tx in try tx.waitingCounts(sop: "alpha", excludingDigest: "sha256:alpha") } == ["open": 1])
        #expect(try store.read { tx in try tx.waitingCounts(sop: "nobody", excludingDigest: nil) } == [:])
    }

    /// Run ids in pages (`sop verify` of every run reads one page per read): bytewise, after the
    /// last id of the page before, as many as asked; and how many runs there are.
    @Test func runIDsComeInPagesBytewise() throws {
        #expect(try store.read { tx in try tx.runCount() } == 0)
        #expect(try store.read { tx in try tx.runIDs(after: nil, limit: 2) } == [])
        try insertRuns()
        #expect(try store.read { tx in try tx.runCount() } == 5)
        #expect(try store.read { tx in try tx.runIDs(after: nil, limit: 2) } == ["R-c", "r-a"])
        #expect(try store.read { tx in try tx.runIDs(after: "r-a", limit: 2) } == ["r-b", "r-d"])
        #expect(try store.read { tx in try tx.runIDs(after: "r-d", limit: 2) } == ["r-e"])
        #expect(try store.read { tx in try tx.runIDs(after: "r-e", limit: 2) } == [])
        // An id between two stored ones (not itself stored) pages from the next.
        #expect(try store.read { tx in try tx.runIDs(after: "R-d", limit: 10) } == ["r-a", "r-b", "r-d", "r-e"])
    }

    /// Timers: the waiting runs due at an instant in creation order, each taken only while it is
    /// still waiting and due; runs by ticket, runs without a role, batches of inserts and saves.
    @Test func dueRunsTicketsRolesAndBatches() throws {
        try insertRuns()
        let due = try store.read { tx in try tx.dueRowIDs(at: 100) }
        #expect(due.count == 2 && due[0] < due[1])
        #expect(try store.read { tx in try tx.dueRowIDs(at: 49) }.isEmpty)
        #expect(try store.read { tx in try tx.dueRowIDs(at: 1_000) }.count == 3)
        let texts = try store.transaction { tx in try tx.dueRunTexts(rowIDs: due[...], at: 100) }
        #expect(texts.map(\.rowID) == due && texts.map(\.sopDigest) == ["sha256:alpha", "sha256:alpha"])
        #expect(texts.allSatisfy { $0.data == "{}" && $0.schemaDigest == "sha256:none" })
        #expect(try store.transaction { tx in try tx.dueRun(rowID: due[0], at: 100) }?.sop == "alpha")
        #expect(try store.transaction { tx in try tx.dueRun(rowID: due[0], at: 99) } == nil)
        // Once saved with no timer it is not due any more.
        var ended = Self.runs[0].row
        (ended.status, ended.nextDue, ended.version) = ("ended", nil, 2)
        #expect(try store.transaction { tx in try tx.updateRun(ended, expectedVersion: 1) })
        #expect(try store.transaction { tx in try tx.dueRun(rowID: due[0], at: 100) } == nil)
        #expect(try store.transaction { tx in try tx.dueRunTexts(rowIDs: due[...], at: 100) }.map(\.rowID) == [due[1]])

        #expect(try store.read { tx in try tx.openRuns(ticketID: "T-1") }.isEmpty)
        #expect(try store.read { tx in try tx.openRuns(ticketID: "T-3") } == ["r-e"])
        #expect(try store.read { tx in try tx.runsWithoutRole() }.isEmpty)
        try store.transaction { tx in try tx.setWaitingRole(run: "r-d", role: nil) }
        #expect(try store.read { tx in try tx.runsWithoutRole() } == ["r-d"])
        try store.transaction { tx in try tx.setWaitingRole(run: "r-d", role: "billing") }
        #expect(try store.read { tx in try tx.runPage(RunFilter(role: "billing")) }.runs.map(\.run) == ["r-d"])

        // A migration pins runs to another source and schema; other runs keep theirs.
        let beforeRepin = try store.read { tx in try tx.run("r-e") }
        try store.transaction { tx in try tx.repin(["r-d", "nobody"], sopDigest: "sha256:beta2", schemaDigest: "sha256:s2") }
        let repinned = try #require(try store.read { tx in try tx.run("r-d") })
        #expect(repinned.sopDigest == "sha256:beta2" && repinned.schemaDigest == "sha256:s2")
        let other = try store.read { tx in try tx.run("r-e") }
        #expect(other?.sopDigest == beforeRepin?.sopDigest && other?.schemaDigest == beforeRepin?.schemaDigest)

        // Batches: only the absent runs are inserted, only the runs at their version saved.
        let fresh = [RunRow(id: "r-a", state: "x", status: "waiting", version: 1, updatedAt: 0, data: "{}"),
                     RunRow(id: "n-1", state: "x", status: "waiting", version: 1, updatedAt: 0, nextDue: 7, data: "{}"),
                     RunRow(id: "n-2", state: "x", status: "waiting", version: 1, updatedAt: 0, data: "{}")]
        let inserted = try store.transaction { tx in
            try tx.insertRunsIfAbsent(fresh, sop: "delta", sopDigest: "sha256:delta", schemaDigest: "sha256:none",
                                      initialTickets: ["{}", "{}", "{}"])
        }
        #expect(inserted == ["n-1", "n-2"])
        #expect(try store.read { tx in try tx.runPage(RunFilter(sops: ["delta"])) }.runs.map(\.run) == ["n-1", "n-2"])
        var moved = fresh[1], stale = fresh[2]
        (moved.state, moved.version, moved.nextDue) = ("y", 2, nil)
        (stale.state, stale.version) = ("y", 2)
        let saved = try store.transaction { tx in try tx.updateRuns([(moved, 1), (stale, 5)]) }
        #expect(saved == ["n-1"])
        #expect(try store.read { tx in try tx.runPage(RunFilter(sops: ["delta"], state: "y")) }.runs.map(\.run) == ["n-1"])
        #expect(try !store.read { tx in try tx.isEmpty() })
    }

    // MARK: Journal

    static func record(_ run: String, _ seq: Int, messages: [String] = [], at: Int64 = 1_000) -> JournalRow {
        JournalRow(run: run, seq: seq, hash: "sha256:\(run)-\(seq)", text: "{\"run\":\"\(run)\",\"seq\":\(seq)}", at: at, messages: messages)
    }

    /// The feed hands records over in commit order with rising positions, each with its run's
    /// SOP; it resumes after a position, keeps to one run when asked, and stops at its limit.
    @Test func theJournalFeedIsInCommitOrderWithTheRunsSOP() throws {
        try insertRuns()
        #expect(try store.read { tx in try tx.journalPosition() } == 0)
        try store.transaction { tx in try tx.appendJournal([Self.record("r-b", 0), Self.record("r-a", 0)]) }
        try store.transaction { tx in
            try tx.appendJournal([Self.record("r-b", 1)])
            try tx.appendJournal([Self.record("R-c", 0)])
        }
        let feed = try store.read { tx in try tx.journalFeed(after: 0, run: nil, limit: 100) }
        #expect(feed.map(\.run) == ["r-b", "r-a", "r-b", "R-c"])
        #expect(feed.map(\.sop) == ["alpha", "beta", "alpha", "alpha"])
        #expect(feed.map(\.record) == [Self.record("r-b", 0).text, Self.record("r-a", 0).text, Self.record("r-b", 1).text,
                                       Self.record("R-c", 0).text])
        let positions = feed.map(\.position)
        #expect(positions.count == 4 && zip(positions, positions.dropFirst()).allSatisfy { $0 < $1 } && positions[0] > 0)
        #expect(try store.read { tx in try tx.journalPosition() } == positions.last)
        let resumed = try store.read { tx in try tx.journalFeed(after: positions[1], run: nil, limit: 100) }
        #expect(resumed == Array(feed.suffix(2)))
        #expect(try store.read { tx in try tx.journalFeed(after: 0, run: "r-b", limit: 100) } == [feed[0], feed[2]])
        #expect(try store.read { tx in try tx.journalFeed(after: positions[0], run: "r-b", limit: 100) } == [feed[2]])
        #expect(try store.read { tx in try tx.journalFeed(after: 0, run: nil, limit: 1) } == [feed[0]])
        #expect(try store.read { tx in try tx.journalFeed(after: try #require(positions.last), run: nil, limit: 100) }.isEmpty)
        // The journal table in commit order, as the copy reads it.
        #expect(try dump(store, .journal).map { $0[0] } == [.text("r-b"), .text("r-a"), .text("r-b"), .text("R-c")])
    }

    // MARK: Tokens

    /// A token is found by the hash of its secret while it lives; revoking it is once only.
    @Test func tokensAreFoundByHashUntilRevoked() throws {
        try store.transaction { tx in
            try tx.insertToken(id: "tk-b", hash: "h-b", actor: "ana", roles: ["agent", "supervisor"], at: 10)
            try tx.insertToken(id: "tk-a", hash: "h-a", actor: "sue", roles: ["admin"], at: 10)
            try tx.insertToken(id: "tk-c", hash: "h-c", actor: "bo", roles: [], at: 5)
        }
        let found = try #require(try store.read { tx in try tx.token(hash: "h-b") })
        #expect(found.id == "tk-b" && found.actor == "ana" && found.roles == ["agent", "supervisor"] && found.createdAt == 10)
        #expect(found.revokedAt == nil)
        #expect(try store.read { tx in try tx.token(hash: "tk-b") } == nil)
        #expect(try store.read { tx in try tx.tokens() }.map(\.id) == ["tk-c", "tk-a", "tk-b"])
        #expect(try store.read { tx in try tx.tokens() }.first?.roles == [])
        #expect(try store.transaction { tx in try tx.revokeToken(id: "tk-b", at: 20) })
        #expect(try !store.transaction { tx in try tx.revokeToken(id: "tk-b", at: 30) })
        #expect(try !store.transaction { tx in try tx.revokeToken(id: "nope", at: 30) })
        #expect(try store.read { tx in try tx.token(hash: "h-b") } == nil)
        #expect(try store.read { tx in try tx.tokens() }.first { $0.id == "tk-b" }?.revokedAt == 20)
        #expect(try store.read { tx in try tx.token(hash: "h-a") }?.id == "tk-a")
        // A keyed table is read in key order, bytewise, not in insertion order.
        #expect(try dump(store, .tokens).map { $0[0] } == [.text("tk-a"), .text("tk-b"), .text("tk-c")])
    }

    // MARK: Outbox and deliveries

    /// A record's notify messages enter the outbox with it; dispatching makes one delivery per
    /// endpoint once; attempts, failures and a retry move a delivery's status and due time.
    @Test func theOutboxDispatchesAndDeliveriesRetry() throws {
        try insertRuns()
        try store.transaction { tx in
            try tx.appendJournal([Self.record("r-b", 0, messages: ["{\"to\":\"one\"}", "{\"to\":\"two\"}"], at: 700),
                                  Self.record("r-a", 0, messages: ["not json"], at: 800)])
        }
        let all = try store.read { tx in try tx.outboxMessages() }
        #expect(all.map(\.id) == ["r-b-0-0", "r-b-0-1", "r-a-0-0"])
        #expect(all.map(\.run) == ["r-b", "r-b", "r-a"] && all.map(\.seq) == [0, 0, 0] && all.map(\.createdAt) == [700, 700, 800])
        #expect(all[0].message == .object([("to", .string("one"))]) && all[2].message == .string("not json"))
        #expect(try store.read { tx in try tx.undispatchedMessages(limit: 2) }.map(\.id) == ["r-b-0-0", "r-b-0-1"])
        #expect(try store.read { tx in try tx.outboxMessage("r-a-0-0") }?.createdAt == 800)
        #expect(try store.read { tx in try tx.outboxMessage("nope") } == nil)

        let endpoints = ["https://b.example/hook", "https://a.example/hook"]
        try store.transaction { tx in try tx.dispatch("r-b-0-0", to: endpoints, at: 1_000) }
        try store.transaction { tx in try tx.dispatch("r-b-0-0", to: endpoints, at: 1_500) }
        #expect(try store.read { tx in try tx.undispatchedMessages(limit: 10) }.map(\.id) == ["r-b-0-1", "r-a-0-0"])
        let ids = endpoints.map { Delivery.id(message: "r-b-0-0", endpoint: $0) }.sorted()
        let made = try store.read { tx in try tx.deliveries(message: "r-b-0-0") }
        #expect(made.map(\.id) == ids)
        #expect(made.allSatisfy { $0.status == "pending" && $0.attempts == 0 && $0.nextAttempt == 1_000 && $0.lastError == nil })
        #expect(try store.read { tx in try tx.deliveries(message: nil) }.map(\.id) == ids)
        #expect(try store.read { tx in try tx.dueDeliveries(at: 999, limit: 10) }.isEmpty)
        #expect(try store.read { tx in try tx.dueDeliveries(at: 1_000, limit: 10) }.map(\.id) == ids)
        #expect(try store.read { tx in try tx.dueDeliveries(at: 1_000, limit: 1) }.map(\.id) == [ids[0]])

        // A failed attempt waits for its next time; a final failure is never due again.
        try store.transaction { tx in
            try tx.recordAttempt(delivery: ids[0], attempt: 1, at: 1_000, httpStatus: 500, error: "HTTP 500", status: "pending",
                                 nextAttempt: 61_000)
            try tx.recordAttempt(delivery: ids[1], attempt: 1, at: 1_000, httpStatus: nil, error: "refused", status: "failed",
                                 nextAttempt: 1_000)
        }
        #expect(try store.read { tx in try tx.dueDeliveries(at: 60_999, limit: 10) }.isEmpty)
        let waiting = try #require(try store.read { tx in try tx.dueDeliveries(at: 61_000, limit: 10) }.first)
        #expect(waiting.id == ids[0] && waiting.attempts == 1 && waiting.lastError == "HTTP 500" && waiting.updatedAt == 1_000)
        #expect(try store.read { tx in try tx.dueDeliveries(at: 1_000_000, limit: 10) }.map(\.id) == [ids[0]])
        // The same attempt recorded again replaces its row.
        try store.transaction { tx in
            try tx.recordAttempt(delivery: ids[0], attempt: 1, at: 1_100, httpStatus: 502, error: "HTTP 502", status: "pending",
                                 nextAttempt: 61_000)
        }
        #expect(try dump(store, .deliveryAttempts) == [
            [.text(ids[0]), .int(1), .int(1_100), .int(502), .text("HTTP 502")],
            [.text(ids[1]), .int(1), .int(1_000), .null, .text("refused")],
        ])
        // A retry puts a failed delivery back, due now.
        #expect(try store.transaction { tx in try tx.retryDelivery(ids[1], at: 2_000) })
        #expect(try !store.transaction { tx in try tx.retryDelivery("nope", at: 2_000) })
        let retried = try #require(try store.read { tx in try tx.deliveries(message: "r-b-0-0") }.first { $0.id == ids[1] })
        #expect(retried.status == "pending" && retried.nextAttempt == 2_000 && retried.updatedAt == 2_000 && retried.attempts == 1)
        #expect(try store.read { tx in try tx.dueDeliveries(at: 2_000, limit: 10) }.map(\.id) == [ids[1]])
    }

    // MARK: Sessions

    /// A session answers until it expires and not after; a new session clears those expired for
    /// a day; a deleted one is gone.
    @Test func sessionsExpire() throws {
        try store.transaction { tx in try tx.insertSession(hash: "s-1", tokenHash: "h-1", expires: 10_000) }
        #expect(try store.read { tx in try tx.session(hash: "s-1", at: 9_999) } == "h-1")
        #expect(try store.read { tx in try tx.session(hash: "s-1", at: 10_000) } == nil)
        #expect(try store.read { tx in try tx.session(hash: "s-2", at: 0) } == nil)
        // The same session again replaces its row.
        try store.transaction { tx in try tx.insertSession(hash: "s-1", tokenHash: "h-2", expires: 20_000) }
        #expect(try store.read { tx in try tx.session(hash: "s-1", at: 15_000) } == "h-2")
        let day: Int64 = 24 * 3_600_000
        try store.transaction { tx in try tx.insertSession(hash: "s-3", tokenHash: "h-3", expires: 19_999 + day) }
        #expect(try dump(store, .sessions) == [[.text("s-1"), .text("h-2"), .int(20_000)], [.text("s-3"), .text("h-3"), .int(19_999 + day)]])
        try store.transaction { tx in try tx.insertSession(hash: "s-4", tokenHash: "h-4", expires: 20_001 + day) }
        #expect(try dump(store, .sessions).map { $0[0] } == [.text("s-3"), .text("s-4")])
        try store.transaction { tx in try tx.deleteSession(hash: "s-3") }
        #expect(try store.read { tx in try tx.session(hash: "s-3", at: 0) } == nil)
        #expect(try store.read { tx in try tx.session(hash: "s-4", at: 0) } == "h-4")
    }

    // MARK: Helpdesk deliveries, request ids, pinned sources

    /// A helpdesk delivery is claimed once; a ticket's update time only moves forward.
    @Test func hookClaimsAreOnceAndTicketsOnlyAdvance() throws {
        #expect(try store.transaction { tx in try tx.claimHookDelivery("d-1", at: 1) })
        #expect(try !store.transaction { tx in try tx.claimHookDelivery("d-1", at: 2) })
        #expect(try store.transaction { tx in try tx.claimHookDelivery("d-2", at: 3) })
        #expect(try store.transaction { tx in try tx.advanceTicket("T-1", updatedAt: 100) })
        #expect(try !store.transaction { tx in try tx.advanceTicket("T-1", updatedAt: 100) })
        #expect(try !store.transaction { tx in try tx.advanceTicket("T-1", updatedAt: 50) })
        #expect(try store.transaction { tx in try tx.advanceTicket("T-1", updatedAt: 200) })
        #expect(try store.transaction { tx in try tx.advanceTicket("T-2", updatedAt: 10) })
        #expect(try dump(store, .hookTickets) == [[.text("T-1"), .int(200)], [.text("T-2"), .int(10)]])
        #expect(try dump(store, .hookDeliveries) == [[.text("d-1"), .int(1)], [.text("d-2"), .int(3)]])
    }

    /// A request id is claimed once per run; sources and schemas are pinned once by digest.
    @Test func requestIDsAndPinnedTextsAreKeptOnce() throws {
        #expect(try store.transaction { tx in try tx.claimRequest(run: "r-1", requestID: "q") })
        #expect(try !store.transaction { tx in try tx.claimRequest(run: "r-1", requestID: "q") })
        #expect(try store.transaction { tx in try tx.claimRequest(run: "r-2", requestID: "q") })
        try store.transaction { tx in
            try tx.pinSource(digest: "sha256:s", sop: "alpha", version: 2, text: "sop: alpha\n")
            try tx.pinSource(digest: "sha256:s", sop: "alpha", version: 3, text: "other")
            try tx.pinSchema(digest: "sha256:t", text: "{}")
            try tx.pinSchema(digest: "sha256:t", text: "other")
        }
        #expect(try store.read { tx in try tx.source(digest: "sha256:s") } == "sop: alpha\n")
        #expect(try store.read { tx in try tx.source(digest: "sha256:x") } == nil)
        #expect(try store.read { tx in try tx.schema(digest: "sha256:t") } == "{}")
        #expect(try dump(store, .sources) == [[.text("sha256:s"), .text("alpha"), .int(2), .text("sop: alpha\n")]])
    }

    // MARK: Transactions

    /// A savepoint that throws undoes what it wrote (runs, records, outbox messages) and the
    /// transaction goes on; one that returns keeps its writes; a transaction that throws keeps nothing.
    @Test func aSavepointRollsBackOnlyItsOwnWrites() throws {
        struct Refused: Error {}
        let (kept, undone, later) = (Self.runs[0], Self.runs[1], Self.runs[2])
        let refused: Bool = try store.transaction { tx in
            try tx.insertRun(kept.row, sop: kept.sop, parent: nil, sopDigest: "d", schemaDigest: "s", initialTicket: "{}")
            try tx.appendJournal([Self.record("r-b", 0, messages: ["{}"])])
            var refused = false
            do {
                try tx.savepoint { () throws -> Void in
                    try tx.insertRun(undone.row, sop: undone.sop, parent: nil, sopDigest: "d", schemaDigest: "s", initialTicket: "{}")
                    try tx.appendJournal([Self.record("r-a", 0, messages: ["{}"])])
                    throw Refused()
                }
            } catch is Refused {
                refused = true
            }
            try tx.savepoint {
                try tx.insertRun(later.row, sop: later.sop, parent: nil, sopDigest: "d", schemaDigest: "s", initialTicket: "{}")
                try tx.appendJournal([Self.record("R-c", 0)])
            }
            return refused
        }
        #expect(refused)
        #expect(try store.read { tx in try tx.runIDs() } == ["R-c", "r-b"])
        #expect(try store.read { tx in try tx.journalFeed(after: 0, run: nil, limit: 10) }.map(\.run) == ["r-b", "R-c"])
        #expect(try store.read { tx in try tx.outboxMessages() }.map(\.id) == ["r-b-0-0"])
        do {
            try store.transaction { tx -> Void in
                try tx.insertRun(undone.row, sop: undone.sop, parent: nil, sopDigest: "d", schemaDigest: "s", initialTicket: "{}")
                try tx.appendJournal([Self.record("r-a", 0)])
                throw Refused()
            }
            Issue.record("the transaction did not throw")
        } catch is Refused {}
        #expect(try store.read { tx in try tx.runIDs() } == ["R-c", "r-b"])
        #expect(try store.read { tx in try tx.journalFeed(after: 0, run: nil, limit: 10) }.count == 2)
    }

    // MARK: Copy

    /// Writes at least one row into every table.
    func fillEveryTable() throws {
        try insertRuns()
        try store.transaction { tx in
            try tx.appendJournal([Self.record("r-b", 0, messages: ["{\"to\":\"é ✓ \u{1F600}\"}"]), Self.record("r-a", 0),
                                  Self.record("r-b", 1)])
            try tx.insertToken(id: "tk-b", hash: "h-b", actor: "ana", roles: ["agent"], at: 10)
            try tx.insertToken(id: "tk-a", hash: "h-a", actor: "sue", roles: [], at: 11)
            try tx.dispatch("r-b-0-0", to: ["https://a.example"], at: 1_000)
            let delivery = Delivery.id(message: "r-b-0-0", endpoint: "https://a.example")
            try tx.recordAttempt(delivery: delivery, attempt: 1, at: 1_000, httpStatus: nil, error: "refused", status: "pending",
                                 nextAttempt: 2_000)
            try tx.insertSession(hash: "s-1", tokenHash: "h-b", expires: 9_000)
            _ = try tx.claimHookDelivery("d-1", at: 5)
            _ = try tx.advanceTicket("T-1", updatedAt: 6)
            _ = try tx.claimRequest(run: "r-b", requestID: "q-1")
            try tx.pinSource(digest: "sha256:alpha", sop: "alpha", version: 1, text: "sop: alpha\n")
            try tx.pinSchema(digest: "sha256:none", text: "{}")
        }
    }

    /// `sop store copy` into another store of the same kind and into SQLite, and back: every
    /// table's rows, in order, value for value; a copy into a store that holds runs is refused.
    @Test func aCopyRoundTripKeepsEveryRow() throws {
        try fillEveryTable()
        for table in StoreTable.allCases {
            #expect(try !dump(store, table).isEmpty, "\(table.name) is empty: the copy would not be tested on it")
        }
        let copy = try StoreUnderTest.fresh(in: dir.appendingPathComponent("copy"))
        let counts = try StoreCopy.copy(from: store, to: copy, batch: 2)
        #expect(counts.map(\.0) == StoreTable.allCases)
        let sqlite = try SQLiteRunStore(path: dir.appendingPathComponent("copy.sqlite").path)
        try StoreCopy.copy(from: copy, to: sqlite)
        let back = try StoreUnderTest.fresh(in: dir.appendingPathComponent("back"))
        try StoreCopy.copy(from: sqlite, to: back)
        for table in StoreTable.allCases {
            let original = try dump(store, table)
            #expect(counts.first { $0.0 == table }?.1 == original.count)
            #expect(try dump(copy, table) == original, "\(table.name) differs in the copy")
            #expect(try dump(sqlite, table) == original, "\(table.name) differs in SQLite")
            #expect(try dump(back, table) == original, "\(table.name) differs after the copy back")
        }
        // What the copy keeps in order reads back in that order through the operations too.
        #expect(try copy.read { tx in try tx.runPage(RunFilter()) }.runs.map(\.run) == ["r-b", "r-a", "R-c", "r-d", "r-e"])
        #expect(try back.read { tx in try tx.journalFeed(after: 0, run: nil, limit: 10) }.map(\.run) == ["r-b", "r-a", "r-b"])
        #expect(throws: StoreCopy.Refused.self) { try StoreCopy.copy(from: store, to: copy) }
        #expect(try dump(copy, .runs) == dump(store, .runs))
    }

    // MARK: Schema

    /// A fresh store's tables and columns, as its database's catalogue reports them, are exactly
    /// what `StoreTable` describes: names, types, nullability, and the creation column where the
    /// store declares one. The migrations built them; this is what checks them.
    @Test func aFreshStoreHoldsExactlyTheDescribedTables() throws {
        #expect(try store.read { tx in try tx.isEmpty() })
        let schema = try store.read { tx in try tx.schema() }
        #expect(schema.differences(StoreUnderTest.dialect) == [])
        #expect(Set(schema.tables.keys) == Set(StoreTable.allCases.map(\.name)))
        let runs = try #require(schema.tables["runs"])
        #expect(runs.count == StoreTable.runs.columns.count + (StoreUnderTest.dialect.declaresCreationColumn ? 1 : 0))
    }
}
