import Foundation
import Hummingbird
import SOPCore
import SOPJSON
import SOPService

/// `POST /v1/migrations`: `sop migrate` over HTTP (docs/server.md, "Migrating runs"). The target
/// is the SOP's file as the server serves it now; a dry run is a read beside the writes, an
/// apply is a write on the writer thread (a step sent meanwhile waits for it and then meets the
/// run's new version).
extension APIServer {
    /// The members a migration's body takes.
    static let migrationMembers = ["sop", "map", "set", "state", "role", "ticket_id", "runs", "dry_run"]

    /// A migration's body, read strictly: every member of its type, no member the API does not
    /// know (a typo must not widen a migration), `dry_run` true unless it says false.
    struct MigrationBody: Sendable {
        var sop: String
        var map: [(from: String, to: String)] = []
        var set: [(input: String, value: String)] = []
        var state: String?
        var role: String?
        var ticketID: String?
        var runs: [String]?
        var dryRun = true

        init(_ body: JSONObject) throws {
            try RequestReading.onlyKnown(body, APIServer.migrationMembers, what: "a migration")
            guard let sop = body["sop"]?.stringValue else { throw APIError.badRequest("'sop' must be the id of an SOP") }
            self.sop = sop
            map = try Self.pairs(body["map"], "map", "an object of state names: {\"OLD\": \"NEW\"}").map { ($0, $1) }
            set = try Self.pairs(body["set"], "set", "an object of inputs and their values as an agent types them: {\"INPUT\": \"VALUE\"}").map { ($0, $1) }
            func text(_ name: String) throws -> String? {
                switch body[name] {
                case nil, .null?: return nil
                case .string(let s)?: return s
                default: throw APIError.badRequest("'\(name)' must be a string")
                }
            }
            state = try text("state")
            role = try text("role")
            ticketID = try text("ticket_id")
            switch body["runs"] {
            case nil, .null?: runs = nil
            case .array(let items)?:
                let ids = items.compactMap(\.stringValue)
                guard ids.count == items.count else { throw APIError.badRequest("'runs' must be an array of run ids (strings)") }
                // An empty list would migrate nothing: leaving the member out is how every run is asked for.
                guard !ids.isEmpty else { throw APIError.badRequest("'runs' must list at least one run id; leave it out for every run in flight") }
                runs = ids
            default: throw APIError.badRequest("'runs' must be an array of run ids (strings)")
            }
            switch body["dry_run"] {
            case nil, .null?: dryRun = true
            case .bool(let b)?: dryRun = b
            default: throw APIError.badRequest("'dry_run' must be true or false (true when left out)")
            }
        }

        /// An object whose members are all strings, in the body's order.
        static func pairs(_ value: JSONValue?, _ name: String, _ shape: String) throws -> [(String, String)] {
            switch value {
            case nil, .null?: return []
            case .object(let members)?:
                return try members.map { key, value in
                    guard let text = value.stringValue else { throw APIError.badRequest("'\(name)' must be \(shape); '\(key)' is not a string") }
                    return (key, text)
                }
            default: throw APIError.badRequest("'\(name)' must be \(shape)")
            }
        }
    }

    func migrate(_ request: Request, _ caller: Caller) async throws -> Response {
        let body = try MigrationBody(try await RequestReading.object(request, limit: configuration.maxBodySize))
        return JSONResponse.make(try await migrate(body, caller).json())
    }

    /// Plans (a dry run, on a reader) or applies (on the writer) a migration to the SOP's file as
    /// it is served now: unknown SOP 404, a caller without `supervisor` or `admin` 403.
    func migrate(_ body: MigrationBody, _ caller: Caller) async throws -> MigrationResult {
        let now = Clock.now()
        let work = { @Sendable (service: RunService) throws -> MigrationResult in
            let target = try service.currentSOP(body.sop)
            return try service.migrate(MigrationRequest(target: target, map: body.map, set: body.set, state: body.state, role: body.role,
                                                        ticketID: body.ticketID, runs: body.runs, dryRun: body.dryRun,
                                                        who: .caller(caller), now: now))
        }
        // A dry run reads every run in flight of the SOP: a long read, beside the steps.
        guard !body.dryRun else { return try await host.read(.long, work) }
        let result = try await host.perform(work)
        // An apply changes runs in bulk: the operator sees who did it and what came of it.
        logger.notice("migration", metadata: ["sop": "\(result.sop)", "version": "\(result.targetVersion)", "migrated": "\(result.moved)",
                                              "refused": "\(result.refused.count)", "actor": "\(caller.id)"])
        return result
    }
}
