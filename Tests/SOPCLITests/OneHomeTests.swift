import Foundation
import Testing

/// Issue 33's "one home per concept" on the command line, whole outputs of the built binary.
@Suite struct OneHomeTests {
    /// The words of a command's help from `--store` to the end of its description.
    static func storeHelp(_ arguments: [String]) throws -> String {
        let r = try SOPBinary.run(arguments + ["--help"])
        #expect(r.status == 0, "\(r.stderr)")
        let words = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let options = try #require(words.range(of: "OPTIONS:"), "\(arguments): \(r.stdout)")
        let start = try #require(words.range(of: "--store <store>", range: options.upperBound..<words.endIndex), "\(arguments): \(r.stdout)")
        let end = try #require(words.range(of: "$SOP_STORE)", range: start.upperBound..<words.endIndex), "\(arguments): \(r.stdout)")
        return String(words[start.lowerBound..<end.upperBound])
    }

    /// The store's default had a home in each executable, and `sop token`/`sop outbox` said a
    /// store is "a SQLite file" although they open a postgres:// URL as every command does.
    @Test func everyStoreOptionSaysTheSame() throws {
        let expected = "--store <store> Where runs live: a SQLite file or a postgres:// URL (default .sop/runs.sqlite, or $SOP_STORE)"
        for command in [["status"], ["token", "list"], ["token", "create"], ["outbox", "list"], ["outbox", "retry"], ["serve"], ["mcp"]] {
            #expect(try Self.storeHelp(command) == expected, "\(command)")
        }
    }

    /// `SOP_STORE=` counts as unset for the token commands too: the default store is used.
    @Test func anEmptySOPStoreMeansTheDefault() throws {
        let dir = try SOPBinary.temporaryDirectory()
        let create = try SOPBinary.run(["token", "create", "--actor", "ci", "--roles", "agent"], in: dir, environment: ["SOP_STORE": ""])
        #expect(create.status == 0, "\(create.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".sop/runs.sqlite").path))
    }

    /// `sop log`'s text, whole, for records of every kind (`RecordForPeople`, which the console
    /// renders too): moves, SLA records without a move, answers, changes, a ticket update and a
    /// notify message.
    @Test func theLogsTextIsPinned() throws {
        let dir = try SOPBinary.workspace(extra: ["twice": JournalTruthTests.twice, "form": JournalTruthTests.form])
        func sop(_ arguments: String...) throws -> String {
            let r = try SOPBinary.run(arguments + ["--actor", "ana:agent"], in: dir)
            #expect(r.status == 0, "\(arguments): \(r.stderr)")
            return r.stdout
        }
        _ = try sop("start", "complaint", "--ticket", #"{"id":"T-5","category":"complaint"}"#, "--id", "c1", "--now", "2026-11-02T09:00:00Z")
        _ = try sop("step", "c1", "--input", "summary=late parcel", "--check", "all", "--now", "2026-11-02T11:00:00Z")
        _ = try sop("update", "c1", "--ticket", #"{"priority":"high"}"#, "--now", "2026-11-02T11:05:00Z")
        _ = try sop("start", "form", "--ticket", #"{"id":"T-13"}"#, "--id", "f1", "--now", "2026-11-02T09:00:00Z")
        _ = try sop("step", "f1", "--input", "reference=A-12", "--input", "note=called twice", "--now", "2026-11-02T09:01:00Z")
        _ = try sop("start", "twice", "--ticket", #"{"id":"T-2"}"#, "--id", "t1", "--now", "2026-11-02T09:00:00Z")
        _ = try sop("step", "t1", "--event", "go", "--now", "2026-11-02T09:02:00Z")
        let log = try sop("log", "c1") + "--\n" + sop("log", "f1") + "--\n" + sop("log", "t1")
        #expect(log == Self.expectedLog, "\(log)")
    }

    static let expectedLog = #"""
        0 2026-11-02T09:00:00Z ana:agent ∅ → acknowledge [start] changes: ticket.tags=["complaint"]
            notify customer: We have received your complaint about ticket T-5 and are looking into it.
        1 2026-11-02T09:00:00Z system:system acknowledge [sla first_response started, due 2026-11-02T12:00:00+01:00, no move]
        2 2026-11-02T09:00:00Z system:system acknowledge [sla resolution started, due 2026-11-09T10:00:00+01:00, no move]
        3 2026-11-02T10:00:00Z system:system acknowledge [sla first_response warning, due 2026-11-02T12:00:00+01:00, no move]
        4 2026-11-02T11:00:00Z system:system acknowledge → listen [sla first_response breached, due 2026-11-02T12:00:00+01:00]
            notify role:supervisor: Complaint T-5 was not acknowledged in time (its first-response SLA).
        5 2026-11-02T11:00:00Z system:system listen [sla first_response stopped, no move]
        6 2026-11-02T11:00:00Z ana:agent listen → investigate [input] inputs: summary="late parcel" checked: 1,2 changes: ticket.description="late parcel"
        7 2026-11-02T11:05:00Z ana:agent investigate [input, no move] changes: ticket.priority="high"
        8 2026-11-02T11:05:00Z system:system investigate [sla resolution reclassified, due 2026-11-04T10:00:00+01:00, no move]
        --
        0 2026-11-02T09:00:00Z ana:agent ∅ → ask [start]
        1 2026-11-02T09:01:00Z ana:agent ask → done [input] inputs: note="called twice" reference="A-12"
            notify customer: We have your reference (reference A-12).
        --
        0 2026-11-02T09:00:00Z ana:agent ∅ → a [start]
        1 2026-11-02T09:02:00Z ana:agent a → b [event go] changes: ticket.priority="urgent"

        """#
}
