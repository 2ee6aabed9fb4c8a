import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SOPCore
import SOPExpression
import SOPJSON
import SOPService

/// The authors' sandbox page (docs/console.md, "The authors' sandbox"): the page translates forms
/// into calls on the session's `AuthorSandbox`, which decides and records everything; the
/// sandbox's runs live in its memory store, never the server's.
extension Console {
    func sandboxRoutes() -> [APIServer.Route] {
        [
            .init(method: .get, path: "/console/sandbox", handler: signedIn { request, session, id in
                let run = RequestReading.query(request, "run").flatMap { $0.isEmpty ? nil : $0 }
                return try await sandboxPage(session, id, run: run, export: RequestReading.query(request, "export") == "1")
            }),
            .init(method: .post, path: "/console/sandbox", handler: signedIn { request, session, id in
                try await sandboxPost(request, session, id)
            }),
            .init(method: .post, path: "/console/sandbox/runs/{run}", handler: signedIn { request, session, id, context in
                try await sandboxStep(request, run: try context.parameters.require("run"), session, id)
            }),
            .init(method: .get, path: "/console/sandbox/export/{run}", handler: signedIn { _, session, id, context in
                let run = try context.parameters.require("run")
                let sandbox = try await sandbox(session, id)
                let (sop, yaml) = try await server.host.blocking { try sandbox.export(run) }
                return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8", .cacheControl: "no-store",
                                                       .contentDisposition: "attachment; filename=\"\(sop).test.yaml\"",
                                                       HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: yaml)))
            }),
        ]
    }

    /// The key a session's sandbox is kept under: a digest of the session's id, not the id.
    static func sandboxKey(_ sessionID: String) -> String {
        Digest.sha256(Array(("sandbox:" + sessionID).utf8))
    }

    /// The session's sandbox (403 without the role `author` or `admin`).
    func sandbox(_ session: ConsoleSessions.Session, _ id: String) async throws -> AuthorSandbox {
        try AuthorSandboxes.authorize(.caller(session.caller))
        guard let sandboxes = server.sandboxes else {
            throw ConsoleError(status: .notFound, heading: "No sandbox", reason: "This server runs no authors' sandbox.")
        }
        let catalogue = try await server.host.read { $0.catalogue }
        let key = Self.sandboxKey(id)
        let caller = session.caller
        return try await server.host.blocking { try sandboxes.sandbox(key, as: .caller(caller), catalogue: catalogue, now: Clock.now()) }
    }

    /// A skeleton for a new SOP: one step and an end, linted clean.
    static let newSOPText = """
        sop: new_procedure
        version: 1
        title: New procedure
        start: first_step
        states:
          first_step:
            title: First step
            instructions: What the agent does.
            transitions:
              - to: done
                on: finished
          done:
            title: Done
            end: done

        """

    func sandboxPost(_ request: Request, _ session: ConsoleSessions.Session, _ id: String) async throws -> Response {
        let fields = try await form(request, session)
        let sandbox = try await sandbox(session, id)
        func field(_ name: String) -> String? { fields.last { $0.0 == name }?.1 }
        let actions = fields.filter { $0.0 == "action" }.map(\.1)
        var run: String?
        do {
            if let by = field("advance"), !by.isEmpty {
                guard let ms = DurationFormat.parse(by) else { throw RunError.badRequest("'\(by)' is not a duration such as 1h or 1d") }
                try await server.host.blocking { try sandbox.advance(by: ms) }
            } else if actions.contains("advance-to") {
                let text = (field("to") ?? "").trimmingCharacters(in: .whitespaces)
                // A datetime-local control sends no seconds and no zone: the sandbox's clock is UTC.
                guard let to = CivilTime.parseDateTime(text.count == 16 ? text + ":00Z" : text) else {
                    throw RunError.badRequest("'\(text)' is not a time such as 2026-11-02T09:00 (UTC)")
                }
                try await server.host.blocking { try sandbox.advance(by: to - sandbox.now) }
            } else if actions.contains("load") {
                let sop = field("sop") ?? ""
                try await server.host.blocking { try sandbox.load(sop: sop) }
            } else if actions.contains("new") {
                try await server.host.blocking { try sandbox.setText(Self.newSOPText) }
            } else if actions.contains("start") {
                let text = field("ticket") ?? ""
                let ticket: JSONValue
                do {
                    ticket = try JSONParser.parse(Array(text.utf8), maxDepth: RequestReading.maxDepth)
                } catch {
                    throw RunError.badRequest(error.problem("ticket"))
                }
                run = try await server.host.blocking { try sandbox.start(ticket: ticket) }
            } else {
                // The text as typed: browsers send a textarea's line ends as CRLF.
                let text = (field("text") ?? "").replacingOccurrences(of: "\r\n", with: "\n")
                try await server.host.blocking { try sandbox.setText(text) }
            }
        } catch let error as RunError {
            return try await sandboxPage(session, id, run: nil, export: false, problem: error, ticket: field("ticket"),
                                         status: APIError(error).status)
        }
        return Self.redirect("/console/sandbox" + (run.map { "?run=\($0)" } ?? ""))
    }

    func sandboxStep(_ request: Request, run: String, _ session: ConsoleSessions.Session, _ id: String) async throws -> Response {
        let fields = try await form(request, session)
        let sandbox = try await sandbox(session, id)
        var posted: [String: [String]] = [:]
        for (key, value) in fields { posted[key, default: []].append(value) }
        let checks = (posted["check"] ?? []).compactMap(Int.init)
        let inputs = fields.compactMap { key, value -> (String, String)? in
            guard key.hasPrefix("input."), !value.isEmpty else { return nil }
            return (String(key.dropFirst(6)), value)
        }
        let event = posted["event"]?.last.flatMap { $0.isEmpty ? nil : $0 }
        do {
            if posted["action"]?.contains("ticket") == true {
                let text = posted["patch"]?.last ?? ""
                let patch: JSONValue
                do {
                    patch = try JSONParser.parse(Array(text.utf8), maxDepth: RequestReading.maxDepth)
                } catch {
                    throw RunError.badRequest(error.problem("patch"))
                }
                guard case .object = patch else { throw RunError.badRequest("the patch must be a JSON object (a merge patch of the ticket)") }
                try await server.host.blocking { try sandbox.updateTicket(run, patch: patch) }
            } else {
                try await server.host.blocking {
                    try sandbox.step(run, inputs: inputs, event: event, checks: checks.isEmpty ? nil : .items(checks))
                }
            }
        } catch let error as RunError {
            if case .unknownRun = error { throw error }
            if case .badRequest = error {
                return try await sandboxPage(session, id, run: run, export: false, problem: error, status: APIError(error).status)
            }
            return try await sandboxPage(session, id, run: run, export: false, refusal: error, posted: posted, status: APIError(error).status)
        }
        return Self.redirect("/console/sandbox?run=\(run)")
    }

    func sandboxPage(_ session: ConsoleSessions.Session, _ id: String, run wanted: String?, export: Bool, problem: RunError? = nil,
                     refusal: RunError? = nil, posted: [String: [String]] = [:], ticket: String? = nil,
                     status: HTTPResponse.Status = .ok) async throws -> Response {
        let sandbox = try await sandbox(session, id)
        let caller = session.caller
        let catalogue = try await server.host.read { $0.catalogue }
        let view = try await server.host.blocking { () -> View in
            let check = sandbox.check
            var data: [String: Any] = [
                "text": sandbox.source, "maxText": server.sandboxes?.limits.textBytes ?? 0,
                "diagramIsCurrent": check.diagramIsCurrent,
                "findings": check.diagnostics.map { d -> [String: Any] in
                    var f: [String: Any] = ["line": d.span.start.line, "column": d.span.start.column, "severity": d.severity.rawValue,
                                            "rule": d.rule.rawValue, "message": d.message]
                    if let help = d.help { f["help"] = help }
                    return f
                },
                "hasFindings": !check.diagnostics.isEmpty,
            ]
            if let sop = check.sop { data["sop"] = sop }
            if let diagram = check.diagram { data["diagram"] = diagram }
            data["sops"] = catalogue.entries().compactMap { e -> [String: Any]? in
                guard let sopID = e.id else { return nil }
                let title = e.compiled.map { Template.withoutExpressions($0.definition.title) } ?? ""
                return ["id": sopID, "title": title, "selected": sopID == check.sop]
            }
            let runs = sandbox.runIDs
            let current = wanted ?? runs.last
            data["runs"] = runs.map { ["id": $0, "current": $0 == current] as [String: Any] }
            data["hasRuns"] = !runs.isEmpty
            try sandbox.read { service, now in
                data["now"] = String(CivilTime.formatDateTime(now).prefix(16)).replacingOccurrences(of: "T", with: " ") + " UTC"
                data["nowISO"] = CivilTime.formatDateTime(now)
                guard let current, runs.contains(current) else { return }
                let (json, version) = try service.status(current, as: .system, now: now)
                let (run, engine) = try service.run(current, as: .system)
                let records = try service.journal(current, as: .system)
                // The author acts in every role here: no event is shown disabled.
                let everyRole = Caller(id: caller.id, roles: engine.roles + ["agent", "system"])
                var view = Self.runView(json, version: version, run: run, engine: engine, records: records, caller: everyRole,
                                        posted: posted, refused: refusal?.fields ?? [], now: now)
                view["stepAction"] = "/console/sandbox/runs/\(current)"
                if let child = run.child {
                    view["child"] = Self.linked(child, service, as: .system, now: now)
                    view["waiting"] = true
                }
                if let refusal {
                    view["refusal"] = ["reason": refusal.reason, "instead": refusal.instead, "hasInstead": !refusal.instead.isEmpty] as [String: Any]
                }
                data["current"] = view
            }
            if export, let current = wanted, var view = data["current"] as? [String: Any] {
                let (sop, yaml) = try sandbox.export(current)
                view["export"] = ["yaml": yaml, "file": "\(sop).test.yaml"]
                data["current"] = view
            }
            return View(data)
        }
        var data = view.data
        data.merge(base(session, "Authors' sandbox")) { a, _ in a }
        data["ticket"] = ticket ?? ""
        if let problem {
            data["problem"] = ["reason": problem.reason, "instead": problem.instead, "hasInstead": !problem.instead.isEmpty] as [String: Any]
        }
        return page("sandbox", data, status: status)
    }
}
