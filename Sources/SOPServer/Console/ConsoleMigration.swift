import Foundation
import HTTPTypes
import Hummingbird
import SOPCore
import SOPExpression
import SOPService

/// The console's migration page (docs/console.md, "Migrating runs"): for a supervisor or an
/// administrator, the plan of moving an SOP's runs in flight to the version the server serves
/// now, as `POST /v1/migrations` makes it — the diagrams of the versions the runs are pinned to
/// and of the current one, a form for the mapping and the `set` values, the runs it moves and
/// those it refuses — and a button that applies it.
extension Console {
    func migrationRoutes() -> [APIServer.Route] {
        [
            .init(method: .get, path: "/console/sops/{sop}/migrate", handler: signedIn { _, session, _, context in
                try await migrationPage(try context.parameters.require("sop"), session, fields: [])
            }),
            .init(method: .post, path: "/console/sops/{sop}/migrate", handler: signedIn { request, session, _, context in
                try await migrationPage(try context.parameters.require("sop"), session, fields: try await form(request, session))
            }),
        ]
    }

    /// The most runs of one mapping the page lists (the count says how many more).
    static let migrationRunsShown = 50

    /// The plan for the posted mapping (a dry run), or, when the form's Apply button was pressed,
    /// the migration applied and what came of it. The form's fields: `map.OLD` = a state of the
    /// current version (empty: none), `set.INPUT` = a value (empty: none), `action` = `apply`.
    func migrationPage(_ id: String, _ session: ConsoleSessions.Session, fields: [(String, String)]) async throws -> Response {
        let caller = session.caller
        func named(_ prefix: String) -> [(String, String)] {
            fields.compactMap { key, value in key.hasPrefix(prefix) && !value.isEmpty ? (String(key.dropFirst(prefix.count)), value) : nil }
        }
        let apply = fields.contains { $0 == ("action", "apply") }
        var body = try APIServer.MigrationBody([("sop", .string(id))])
        body.map = named("map.").map { ($0, $1) }
        body.set = named("set.").map { ($0, $1) }
        body.dryRun = !apply
        // The same operation as the API's: the service decides who may and what moves.
        let result = try await server.migrate(body, caller)
        let posted = Dictionary(fields, uniquingKeysWith: { _, last in last })
        var data = try await server.host.read(.long) { service -> View in
            let target = try service.currentSOP(id)
            let pinned = try service.pinnedVersions(of: id, as: .caller(caller))
            return View(Self.migrationView(target: target, pinned: pinned, result: result, posted: posted))
        }.data
        data.merge(base(session, "Migrate " + (data["title"] as? String ?? id))) { a, _ in a }
        return page("migrate", data)
    }

    static func migrationView(target: CompiledSOP, pinned: [PinnedVersion], result: MigrationResult, posted: [String: String]) -> [String: Any] {
        let d = target.definition
        var data: [String: Any] = ["id": d.id.value, "title": Template.withoutExpressions(d.title), "version": d.version,
                                   "diagram": GraphSVG.svg(d), "applied": !result.dryRun]
        let older = pinned.filter { $0.sop.digest != target.digest }
        data["versions"] = older.map { v -> [String: Any] in
            ["version": v.sop.version, "digest": String((v.sop.digest.split(separator: ":").last ?? "").prefix(12)), "runs": v.runs, "diagram": GraphSVG.svg(v.sop.definition)]
        }
        data["hasVersions"] = !older.isEmpty
        // A select for each state of a pinned version that the current one lacks.
        // End states are not offered: a migration never ends a run (the plan refuses such a map).
        let targetStates = d.states.filter { $0.end == nil }.map { (id: $0.id.value, title: Template.withoutExpressions($0.title)) }
        var gone: [String] = []
        for v in older {
            for state in v.sop.definition.states where d.state(state.id.value) == nil && !gone.contains(state.id.value) {
                gone.append(state.id.value)
            }
        }
        data["mapping"] = gone.map { old -> [String: Any] in
            let chosen = posted["map." + old] ?? ""
            return ["state": old, "options": targetStates.map { ["id": $0.id, "title": $0.title, "selected": $0.id == chosen] as [String: Any] }]
        }
        data["hasMapping"] = !gone.isEmpty
        // A field for each input the current version's states declare.
        var inputs: [String] = []
        for state in d.states {
            for input in state.inputs where !inputs.contains(input.id.value) { inputs.append(input.id.value) }
        }
        data["inputs"] = inputs.map { ["name": $0, "value": posted["set." + $0] ?? ""] }
        data["hasInputs"] = !inputs.isEmpty
        // What the plan moves and refuses (or what was done).
        data["problems"] = result.problems.map { ["rule": $0.rule, "message": $0.message] }
        data["hasProblems"] = !result.problems.isEmpty
        data["moves"] = result.moves.map { m -> [String: Any] in
            let more = m.runs.count - migrationRunsShown
            var move: [String: Any] = ["from": m.from, "to": m.to, "count": m.runs.count, "runs": m.runs.prefix(migrationRunsShown).map { ["run": $0] }]
            if more > 0 { move["more"] = more }
            return move
        }
        data["hasMoves"] = !result.moves.isEmpty
        data["refusals"] = result.refused.map { ["run": $0.run, "state": $0.state, "rule": $0.refusal.rule, "message": $0.refusal.message] }
        data["hasRefusals"] = !result.refused.isEmpty
        data["migrated"] = result.moved
        data["refused"] = result.refused.count
        data["already"] = result.already
        return data
    }
}
