import Foundation
import GRDB
import Testing

private let v1 = """
    sop: parcel
    version: 1
    title: Parcel claim
    start: waiting
    states:
      waiting:
        title: Wait for the carrier
        transitions:
          - {to: chase, after: 3d, role: system}
          - {to: closed, on: close}
      chase:
        title: Chase the carrier
        transitions: [{to: closed, on: close}]
      closed: {title: Closed, end: closed}

    """

private let v2 = v1.replacingOccurrences(of: "version: 1", with: "version: 2").replacingOccurrences(of: "after: 3d", with: "after: 2d")

/// `sop migrate` as a user runs it: the plan, the exit codes, and a kill in the middle.
@Suite struct MigrateCommandTests {
    func workspace(runs: Int) throws -> URL {
        let dir = try SOPBinary.workspace(extra: ["parcel": v1])
        try v2.write(to: dir.appendingPathComponent("parcel-v2.sop.yaml"), atomically: false, encoding: .utf8)
        let lines = (0..<runs).map { #"{"id": "T-\#($0)"}"# }.joined(separator: "\n")
        try lines.write(to: dir.appendingPathComponent("bulk.jsonl"), atomically: false, encoding: .utf8)
        let start = try SOPBinary.run(["start", "parcel", "--tickets", "bulk.jsonl", "--now", "2026-11-02T09:00:00Z"], in: dir, timeout: 300)
        #expect(start.status == 0, "\(start.stderr)")
        return dir
    }

    /// The whole text of a dry run and of the migration, the JSON, and the exit codes: 1 while a
    /// run is refused, 2 for a target that cannot be read.
    @Test func thePlanTheRefusalsAndTheExitCodes() throws {
        let dir = try workspace(runs: 2)
        let ids = try SOPBinary.run(["runs", "--format", "json"], in: dir)
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(ids.stdout.utf8)) as? [[String: Any]]).compactMap { $0["run"] as? String }.sorted()
        #expect(runs.count == 2)
        // One run moves on to `chase` under v1 first: v2 keeps that state, so both move.
        let step = try SOPBinary.run(["step", runs[1], "--event", "close", "--now", "2026-11-02T10:00:00Z"], in: dir)
        #expect(step.status == 0, "\(step.stderr)")
        let dry = try SOPBinary.run(["migrate", "--to", "parcel-v2.sop.yaml", "--dry-run", "--now", "2026-11-03T09:00:00Z"], in: dir)
        #expect(dry.status == 0, "\(dry.stderr)")
        let digest = try #require(dry.stdout.split(separator: "(").dropFirst().first?.split(separator: ")").first)
        #expect(dry.stdout == """
            parcel to version 2 (\(digest)):
              waiting → waiting: would move 1 run (\(runs[0]))
            1 run would be migrated, 0 refused, 0 already on this version

            """)
        // A state the target lacks: refused with its rule, exit 1, nothing written.
        let gone = v2.replacingOccurrences(of: "  waiting:", with: "  pending:").replacingOccurrences(of: "start: waiting", with: "start: pending")
        try gone.write(to: dir.appendingPathComponent("gone.sop.yaml"), atomically: false, encoding: .utf8)
        let refused = try SOPBinary.run(["migrate", "--to", "gone.sop.yaml", "--format", "json", "--now", "2026-11-03T09:00:00Z"], in: dir)
        #expect(refused.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(refused.stdout.utf8)) as? [String: Any])
        #expect(json["migrated"] as? Int == 0 && json["refused"] as? Int == 1 && json["dry_run"] as? Bool == false)
        let refusal = try #require((json["refusals"] as? [[String: Any]])?.first)
        #expect(refusal["rule"] as? String == "migrate/state-removed" && refusal["run"] as? String == runs[0])
        // Mapped, it moves; the log says so; verify passes.
        let mapped = try SOPBinary.run(["migrate", "--to", "gone.sop.yaml", "--map", "waiting=pending", "--now", "2026-11-03T09:00:00Z"], in: dir)
        #expect(mapped.status == 0, "\(mapped.stdout)\(mapped.stderr)")
        let log = try SOPBinary.run(["log", runs[0]], in: dir)
        #expect(log.stdout.contains("waiting → pending [migrate v1 → v2]"), "\(log.stdout)")
        #expect(try SOPBinary.run(["verify"], in: dir).status == 0)
        // Bad input.
        #expect(try SOPBinary.run(["migrate", "--to", "missing.sop.yaml"], in: dir).status == 2)
        #expect(try SOPBinary.run(["migrate", "--to", "gone.sop.yaml", "--map", "nonsense"], in: dir).status == 2)
    }

    /// kill -9 in the middle of a migration of 10,000 runs: each run is on the old version or
    /// the new one, whole (its row and its journal agree), and verifies; migrating again moves
    /// the rest.
    @Test func killedMidMigrationLeavesEachRunWhole() throws {
        let dir = try workspace(runs: 10_000)
        let process = Process()
        process.executableURL = SOPBinary.url
        process.arguments = ["migrate", "--to", "parcel-v2.sop.yaml", "--now", "2026-11-03T09:00:00Z"]
        process.currentDirectoryURL = dir
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let store = dir.appendingPathComponent(".sop/runs.sqlite").path
        var readOnly = Configuration()
        readOnly.readonly = true
        let queue = try DatabaseQueue(path: store, configuration: readOnly)
        let migrated = "SELECT count(*) FROM journal WHERE record LIKE '%\"kind\":\"migrate\"%'"
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning {
            if let n = try? queue.read({ db in try Int.fetchOne(db, sql: migrated) }), n > 0 { break }
            usleep(5_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the migration ended before the kill: make the store larger")

        let rows = try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.id, r.sop_digest, json_extract(r.data, '$.sop_version') AS v, json_extract(r.data, '$.sop_digest') AS d,
                       (SELECT count(*) FROM journal j WHERE j.run = r.id AND j.record LIKE '%"kind":"migrate"%') AS m
                FROM runs r
                """)
        }
        #expect(rows.count == 10_000)
        var moved = 0
        for row in rows {
            let column: String = row["sop_digest"], data: String = row["d"], version: Int = row["v"], records: Int = row["m"]
            #expect(column == data, "run \(row["id"] as String): its row and its data name different versions")
            #expect((version == 2) == (records == 1) && records <= 1, "run \(row["id"] as String): version \(version), \(records) migrate records")
            if version == 2 { moved += 1 }
        }
        #expect(moved > 0 && moved < 10_000, "moved before the kill: \(moved)")
        #expect(moved % 5_000 == 0, "a page of the migration was kept in part: \(moved)")
        let verify = try SOPBinary.run(["verify"], in: dir, timeout: 300)
        #expect(verify.status == 0, "\(verify.stdout.suffix(500))")

        let again = try SOPBinary.run(["migrate", "--to", "parcel-v2.sop.yaml", "--format", "json", "--now", "2026-11-03T09:00:00Z"],
                                      in: dir, timeout: 300)
        #expect(again.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        #expect(json["migrated"] as? Int == 10_000 - moved && json["already"] as? Int == moved)
        #expect(try SOPBinary.run(["verify"], in: dir, timeout: 300).status == 0)
    }
}
