import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import SOPCore
import SOPExpression
import SOPJSON
import SOPService

/// The agent console: server-rendered pages over the same operations as the API (docs/console.md).
/// Mustache templates from `Console/templates` (built into the binary, `ConsoleAssets`), every
/// value escaped by them, instructions' Markdown rendered by Ink and sanitised (`SafeMarkdown`).
/// Signing in with a token starts a session (an HttpOnly, SameSite=Strict cookie); every form
/// carries the session's CSRF token.
struct Console: Sendable {
    let server: APIServer
    let sessions: ConsoleSessions
    let library: MustacheLibrary

    init(server: APIServer) {
        self.server = server
        sessions = ConsoleSessions(tokens: server.tokens)
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in ConsoleAssets.templates {
            // The templates are ours and tested; one that does not parse is a build mistake.
            templates[name] = try! MustacheTemplate(string: text)
        }
        library = MustacheLibrary(templates: templates)
    }

    typealias Context = BasicRequestContext

    func routes() -> [APIServer.Route] {
        [
            .init(method: .get, path: "/") { _, _ in Self.redirect("/console/queue") },
            .init(method: .get, path: "/console") { _, _ in Self.redirect("/console/queue") },
            .init(method: .get, path: "/console/assets/console.css") { _, _ in
                Self.asset(ConsoleAssets.css, type: "text/css; charset=utf-8")
            },
            .init(method: .get, path: "/console/assets/console.js") { _, _ in
                Self.asset(ConsoleAssets.js, type: "text/javascript; charset=utf-8")
            },
            .init(method: .get, path: "/console/signin") { _, _ in page("signin", ["title": "Sign in"]) },
            .init(method: .post, path: "/console/signin") { request, _ in try await signIn(request) },
            .init(method: .post, path: "/console/signout", handler: signedIn { request, session, id in
                _ = try await form(request, session)
                try await server.host.blocking { try sessions.end(id) }
                server.sandboxes?.end(Self.sandboxKey(id))
                var response = Self.redirect("/console/signin")
                response.headers[.setCookie] = "\(ConsoleSessions.cookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
                return response
            }),
            .init(method: .get, path: "/console/queue", handler: signedIn { request, session, _ in try await queue(request, session) }),
            .init(method: .get, path: "/console/runs/{run}", handler: signedIn { _, session, _, context in
                try await runPage(try context.parameters.require("run"), session, refusal: nil, posted: [:], status: .ok)
            }),
            .init(method: .post, path: "/console/runs/{run}", handler: signedIn { request, session, _, context in
                try await step(request, run: try context.parameters.require("run"), session)
            }),
            .init(method: .get, path: "/console/start", handler: signedIn { _, session, _ in
                page("start", base(session, "Start a run"))
            }),
            .init(method: .post, path: "/console/start", handler: signedIn { request, session, _ in try await start(request, session) }),
            .init(method: .get, path: "/console/sops", handler: signedIn { _, session, _ in try await sopList(session) }),
            .init(method: .get, path: "/console/sops/{sop}", handler: signedIn { _, session, _, context in
                try await sopPage(try context.parameters.require("sop"), session)
            }),
            .init(method: .get, path: "/console/events", handler: signedIn { request, session, _ in
                try await server.events(request, session.caller)
            }),
        ] + sandboxRoutes()
    }

    // MARK: Sessions

    func signIn(_ request: Request) async throws -> Response {
        let fields: [(String, String)]
        do {
            fields = try await Self.fields(request)
        } catch {
            return page("signin", ["title": "Sign in", "error": "The form is larger than 1 MiB."], status: .contentTooLarge)
        }
        let secret = fields.first { $0.0 == "token" }?.1.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard try await server.host.blocking({ try server.tokens.caller(secret) }) != nil else {
            return page("signin", ["title": "Sign in", "error": "That token is not valid (or it was revoked)."], status: .unauthorized)
        }
        let id = try await server.host.blocking { try sessions.create(tokenHash: RunService.tokenHash(secret)) }
        var response = Self.redirect("/console/queue")
        let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https" ? "; Secure" : ""
        response.headers[.setCookie] = "\(ConsoleSessions.cookie)=\(id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(ConsoleSessions.lifetime))\(secure)"
        return response
    }

    /// A page for a signed-in caller; others go to the sign-in page (a GET) or get 401 (a POST).
    func signedIn(_ body: @escaping @Sendable (Request, ConsoleSessions.Session, String, Context) async throws -> Response)
        -> APIServer.Handler {
        { request, context in
            do {
                guard let id = Self.cookie(request), let session = try await server.host.blocking({ try sessions.session(id) }) else {
                    if request.method == .get { return Self.redirect("/console/signin") }
                    return page("error", ["title": "Signed out", "heading": "Signed out", "reason": "Sign in again."], status: .unauthorized)
                }
                return try await body(request, session, id, context)
            } catch let error as ConsoleError {
                return page("error", ["title": error.heading, "heading": error.heading, "reason": error.reason], status: error.status)
            } catch let error as RunError {
                let status = APIError(error).status
                return page("error", ["title": "Not possible", "heading": "Not possible", "reason": error.reason], status: status)
            } catch {
                server.logger.error("console page failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
                return page("error", ["title": "Error", "heading": "The server failed", "reason": "The error is in the server's log."],
                            status: .internalServerError)
            }
        }
    }

    func signedIn(_ body: @escaping @Sendable (Request, ConsoleSessions.Session, String) async throws -> Response) -> APIServer.Handler {
        signedIn { request, session, id, _ in try await body(request, session, id) }
    }

    /// A page's data, handed from the service's thread to the request's task. Built of plain
    /// values only (strings, numbers, booleans, arrays and dictionaries of them).
    struct View: @unchecked Sendable {
        var data: [String: Any]
        init(_ data: [String: Any]) { self.data = data }
    }

    struct QueueSOP: Sendable {
        var id: String
        var title: String
        var states: [String]
    }

    struct ConsoleError: Error {
        var status: HTTPResponse.Status
        var heading: String
        var reason: String
    }

    static func cookie(_ request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces)
                if pair.hasPrefix(ConsoleSessions.cookie + "=") { return String(pair.dropFirst(ConsoleSessions.cookie.count + 1)) }
            }
        }
        return nil
    }

    /// A form's fields, in order; the CSRF token must be the session's (else 403).
    func form(_ request: Request, _ session: ConsoleSessions.Session) async throws -> [(String, String)] {
        let fields = try await Self.fields(request)
        guard let csrf = fields.first(where: { $0.0 == "csrf" })?.1, ConsoleSessions.same(csrf, session.csrf) else {
            throw ConsoleError(status: .forbidden, heading: "Refused", reason: "The form is missing its security token (CSRF); reload the page and try again.")
        }
        return fields
    }

    /// An `application/x-www-form-urlencoded` body, at most 1 MiB. Text that is not UTF-8 (raw
    /// or percent-encoded) is refused with 400, never read as U+FFFD or kept half-decoded: a
    /// ticket typed here must be stored as it was sent.
    static func fields(_ request: Request) async throws -> [(String, String)] {
        let bytes = try await RequestReading.body(request)
        let notUTF8 = ConsoleError(status: .badRequest, heading: "Refused",
                                   reason: "The form holds text that is not UTF-8 (or a broken %-escape); nothing was changed.")
        guard let text = String(validating: bytes, as: UTF8.self) else { throw notUTF8 }
        var fields: [(String, String)] = []
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = parts.first else { continue }
            func decode(_ s: Substring) throws -> String {
                guard let decoded = s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else { throw notUTF8 }
                return decoded
            }
            fields.append((try decode(key), parts.count > 1 ? try decode(parts[1]) : ""))
        }
        return fields
    }

    // MARK: Pages

    func base(_ session: ConsoleSessions.Session, _ title: String) -> [String: Any] {
        ["title": title, "csrf": session.csrf, "roles": session.caller.roles.joined(separator: ", "),
         "me": ["id": session.caller.id, "roles": session.caller.roles.joined(separator: ", "), "csrf": session.csrf,
                "sandbox": server.sandboxes != nil && AuthorSandboxes.mayUse(.caller(session.caller))] as [String: Any]]
    }

    func page(_ name: String, _ data: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(data, withTemplate: name) ?? ""
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                                  HTTPField.Name("Content-Security-Policy")!: Self.policy,
                                                  HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                                                  HTTPField.Name("Referrer-Policy")!: "same-origin"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// Nothing from elsewhere, no inline script, no framing.
    static let policy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=300"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: The queue

    /// The most runs per role the queue orders (the longest waiting); the page says when more wait.
    static let queueLimit = 500

    func queue(_ request: Request, _ session: ConsoleSessions.Session) async throws -> Response {
        let caller = session.caller
        let sopFilter = RequestReading.query(request, "sop").flatMap { $0.isEmpty ? nil : $0 }
        let stateFilter = RequestReading.query(request, "state").flatMap { $0.isEmpty ? nil : $0 }
        let now = Clock.now()
        let (view, sops) = try await server.host.read { service -> (View, [QueueSOP]) in
            // The service decides what is work and in which order; the page only shows it.
            let queue = try service.queue(as: .caller(caller), sop: sopFilter, state: stateFilter, now: now, limit: Self.queueLimit)
            let rows = queue.items.map { item -> [String: Any] in
                let run = item.run, engine = item.engine
                let state = engine.sop.definition.state(run.state)
                var row: [String: Any] = [
                    "run": run.id, "sopTitle": engine.title(run, now: now),
                    "stateTitle": state.map { engine.renderTemplate($0.title, run: run, now: now) ?? $0.title } ?? run.state,
                    "ticket": Self.ticketSummary(run.ticket), "role": item.role, "badge": item.urgency.rawValue,
                    "badgeText": Self.badgeText(item.urgency, sla: item.slaTarget),
                ]
                if let due = item.due {
                    row["dueTitle"] = (item.slaTarget.map { "SLA \($0) due " } ?? "timer due ") + Self.time(due, engine: engine, sla: item.slaTarget)
                }
                return row
            }
            let sops = service.visibleSOPDefinitions(.caller(caller)).map { QueueSOP(id: $0.id, title: Template.withoutExpressions($0.definition.title), states: $0.definition.states.map(\.id.value)) }
            return (View(["runs": rows, "cut": queue.cut]), sops)
        }
        let rows = view.data["runs"] as? [[String: Any]] ?? []
        var data = base(session, "My queue")
        data["runs"] = rows
        data["cut"] = view.data["cut"] as? Bool ?? false
        data["limit"] = Self.queueLimit
        data["hasRuns"] = !rows.isEmpty
        data["sops"] = sops.map { ["id": $0.id, "title": $0.title, "selected": $0.id == sopFilter] as [String: Any] }
        let states = sops.filter { sopFilter == nil || $0.id == sopFilter }.flatMap(\.states)
        var seenStates = Set<String>()
        data["states"] = states.filter { seenStates.insert($0).inserted }.map { ["id": $0, "selected": $0 == stateFilter] as [String: Any] }
        return page("queue", data)
    }

    /// The badge's words for a run's urgency; a past SLA due time is a breach.
    static func badgeText(_ urgency: RunService.Urgency, sla: String?) -> String {
        switch urgency {
        case .overdue: return sla == nil ? "overdue" : "SLA breached"
        case .urgent: return "< 30 min"
        case .soon: return "< 1 hour"
        case .ok: return "ok"
        case .none: return "no deadline"
        }
    }

    /// An instant for people, to the minute: in the SLA target's calendar zone for an SLA due
    /// time, else in the zone of the SOP's SLA calendar if it has one, else in UTC.
    static func time(_ t: Int64, engine: Engine, sla: String? = nil) -> String {
        let calendars = engine.slaCalendars
        if let calendar = calendars.first(where: { $0.target == sla })?.calendar ?? calendars.first?.calendar {
            return calendar.formatForPeople(t)
        }
        return String(CivilTime.formatDateTime(t).prefix(16)).replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    static func ticketSummary(_ ticket: JSONValue) -> String {
        let id = TicketID.of(ticket) ?? "ticket"
        let subject = ticket["subject"]?.stringValue ?? ticket["category"]?.stringValue
        let customer = ticket["customer"].flatMap { $0["name"]?.stringValue ?? $0.stringValue }
        return ([id, subject, customer].compactMap { $0 }).joined(separator: " · ")
    }

    // MARK: The run page

    func runPage(_ id: String, _ session: ConsoleSessions.Session, refusal: RunError?, posted: [String: [String]],
                 status: HTTPResponse.Status) async throws -> Response {
        let caller = session.caller
        let now = Clock.now()
        var data = try await server.host.read { service -> View in
            let (json, version) = try service.status(id, as: .caller(caller), now: now)
            // The run as the status shows it: with its due timers and SLA events taken.
            let (run, engine, _) = try service.projected(id, as: .caller(caller), now: now)
            let records = try service.journal(id, as: .caller(caller))
            var view = Self.runView(json, version: version, run: run, engine: engine, records: records, caller: caller, posted: posted,
                                    refused: refusal?.fields ?? [], now: now)
            // The runs this one called and was called by, linked both ways.
            if let child = run.child {
                view["child"] = Self.linked(child, service, as: .caller(caller), now: now)
                view["waiting"] = true
            }
            if let parent = run.parent { view["parent"] = Self.linked(parent, service, as: .caller(caller), now: now) }
            return View(view)
        }.data
        data.merge(base(session, data["stateTitle"] as? String ?? id)) { a, _ in a }
        data["stepAction"] = "/console/runs/\(id)"
        if let refusal {
            data["refusal"] = ["reason": refusal.reason, "instead": refusal.instead, "hasInstead": !refusal.instead.isEmpty] as [String: Any]
        }
        return page("run", data, status: status)
    }

    /// Another run as a link: its id, its SOP's title for it and its current step.
    static func linked(_ id: String, _ service: RunService, as who: Acting, now: Int64) -> [String: Any] {
        guard let (run, engine) = try? service.run(id, as: who) else { return ["run": id, "sopTitle": "", "step": ""] }
        let state = engine.sop.definition.state(run.state)
        let step = run.isEnded ? "ended: \(run.outcome ?? "")" : state.map { engine.renderTemplate($0.title, run: run, now: now) ?? $0.title } ?? run.state
        return ["run": id, "sopTitle": engine.title(run, now: now), "step": step]
    }

    /// A ticket's fields for people: nested objects as dotted paths (`customer.name`), lists of
    /// plain values joined by commas, other lists as JSON.
    static func ticketFields(_ value: JSONValue, prefix: String = "") -> [[String: Any]] {
        switch value {
        case .object(let members):
            if members.isEmpty && !prefix.isEmpty { return [["key": prefix, "value": "—"]] }
            return members.flatMap { key, value in ticketFields(value, prefix: prefix.isEmpty ? key : prefix + "." + key) }
        case .array(let items):
            let plain = items.allSatisfy { if case .object = $0 { return false }; if case .array = $0 { return false }; return true }
            let text = plain ? items.map { $0.stringValue ?? $0.render() }.joined(separator: ", ") : value.render()
            return [["key": prefix, "value": text]]
        case .null:
            return [["key": prefix, "value": "—"]]
        default:
            return [["key": prefix, "value": value.stringValue ?? value.render()]]
        }
    }

    /// The run page's data (templates/run.mustache): the run's status, its checklist, inputs,
    /// events, timers, SLA targets and journal, keeping what a refused form posted.
    static func runView(_ status: JSONValue, version: Int, run: RunState, engine: Engine, records: [JournalRecord], caller: Caller,
                        posted: [String: [String]], refused: [StepRejection.InputRejection] = [], now: Int64) -> [String: Any] {
        let sop = engine.sop.definition
        let state = sop.state(run.state)
        // A state's title, its templates filled from the run as it is now.
        let titleOf = { (id: String) -> String in
            sop.state(id).map { engine.renderTemplate($0.title, run: run, now: now) ?? Template.withoutExpressions($0.title) } ?? id
        }
        var data: [String: Any] = [
            "run": run.id, "sop": run.sop, "sopTitle": engine.title(run, now: now), "version": version, "ended": run.isEnded, "outcome": run.outcome ?? "",
            "stateTitle": status["title"]?.stringValue ?? run.state,
            "instructions": status["instructions"]?.stringValue.map(SafeMarkdown.html) ?? "",
            "path": records.filter(\.trigger.moved).map { titleOf($0.to) },
        ]
        data["ticketFields"] = Self.ticketFields(status["ticket"] ?? .null)
        if let role = engine.stateRole(run.state), !caller.roles.contains(role) { data["otherRole"] = role }
        // The checklist, keeping what was ticked in a refused form.
        let ticked = Set(posted["check"] ?? [])
        if case .array(let items)? = status["checklist"] {
            let list = items.enumerated().map { i, item -> [String: Any] in
                ["number": i + 1, "item": item["item"]?.stringValue ?? "", "confirmed": item["confirmed"] == .bool(true),
                 "checked": ticked.contains(String(i + 1))]
            }
            data["checklist"] = list
            data["hasChecklist"] = !list.isEmpty
        }
        // The inputs with the control for their type, keeping posted answers.
        let inputs = (state?.inputs ?? []).filter { _ in !run.isEnded }.map {
            Self.inputView($0, run: run, engine: engine, posted: posted, refused: refused, now: now)
        }
        data["inputs"] = inputs
        data["hasInputs"] = !inputs.isEmpty
        // Every event of the state: those the caller's roles may send, and the others disabled
        // with the role they need.
        let mine = Set(engine.enabledEvents(run, roles: caller.roles).map(\.event))
        let events = engine.enabledEvents(run, actor: nil).map { e -> [String: Any] in
            ["event": e.event, "label": engine.renderTemplate(e.label, run: run, now: now) ?? e.label, "allowed": mine.contains(e.event),
             "needs": engine.eventRoles(run, event: e.event).joined(separator: " or ")]
        }
        data["events"] = events
        data["canSubmit"] = !inputs.isEmpty || (data["hasChecklist"] as? Bool ?? false)
        // Timers to the minute (in the zone of the SOP's SLA calendar, if it has one), with the
        // time left; each SLA target with its due time in its calendar's zone and business time left.
        let timers = run.isEnded ? [] : engine.pendingTimers(run).map { t -> [String: Any] in
            ["to": titleOf(t.to),
             "due": Self.time(t.due, engine: engine), "dueISO": CivilTime.formatDateTime(t.due),
             "left": t.due >= now ? "in " + DurationText.minutes(t.due - now) : DurationText.minutes(now - t.due) + " ago"]
        }
        data["timers"] = timers
        data["hasTimers"] = !timers.isEmpty
        let slas = engine.slaStatus(run, now: now).map(Self.slaView)
        data["slas"] = slas
        data["hasSLAs"] = !slas.isEmpty
        data["journal"] = records.reversed().map { Self.journalEntry(RecordForPeople($0), titleOf: titleOf, engine: engine) }
        return data
    }

    /// An input of the run page: its control for its type, the answer given or posted, and the
    /// reason a refused answer was refused.
    static func inputView(_ spec: InputSpec, run: RunState, engine: Engine, posted: [String: [String]],
                          refused: [StepRejection.InputRejection], now: Int64) -> [String: Any] {
        let name = spec.id.value
        let current = posted["input." + name]?.first ?? run.inputs[name].map { ValueJSON.json($0) }.map { value -> String in
            switch value {
            case .string(let s): return s
            // A list as its field's placeholder asks for it, items separated by commas (JSON
            // only when an item holds a comma itself).
            case .array(let items):
                let texts = items.map { item -> String in if case .string(let s) = item { s } else { item.render() } }
                return texts.contains { $0.contains(",") } ? value.render() : texts.joined(separator: ", ")
            default: return value.render()
            }
        } ?? ""
        var input: [String: Any] = ["name": name, "prompt": engine.renderTemplate(spec.question, run: run, now: now) ?? spec.question,
                                    "required": spec.required, "given": run.submitted.contains(name), "value": current,
                                    "visit": spec.scope == .visit]
        // Each refused answer's reason, beside its field.
        if let problem = refused.first(where: { $0.input == name }) {
            input["error"] = problem.reason
            input["invalid"] = true
        }
        switch spec.type {
        case .enum:
            input["isSelect"] = true
            input["options"] = spec.values.map { v in ["value": v.value, "label": spec.labels[v.value] ?? v.value, "selected": v.value == current] as [String: Any] }
        case .boolean:
            input["isSelect"] = true
            input["options"] = [["value": "true", "label": "yes", "selected": current == "true"], ["value": "false", "label": "no", "selected": current == "false"]] as [[String: Any]]
        case .date: input["control"] = "date"
        case .datetime: input["control"] = "text"; input["placeholder"] = "2026-11-02T09:00:00Z"
        case .integer, .number:
            input["control"] = "number"
            input["step"] = spec.type == .integer ? "1" : "any"
            if let min = spec.min { input["min"] = Self.number(min) }
            if let max = spec.max { input["max"] = Self.number(max) }
        case .duration: input["control"] = "text"; input["placeholder"] = "48h, 1h30m"
        case .list: input["control"] = "text"; input["placeholder"] = "comma-separated"
        case .string:
            input["control"] = "text"
            if let n = spec.minLength { input["minLength"] = n }
            if let n = spec.maxLength { input["maxLength"] = n }
            if let p = spec.pattern { input["pattern"] = p }
        }
        return input
    }

    /// An SLA target of the run page: its due time in its calendar's zone, the business time
    /// left, and its badge.
    static func slaView(_ s: SLAStatus) -> [String: Any] {
        var item: [String: Any] = ["target": s.target, "status": s.status, "length": s.length ?? "",
                                   "hasLength": s.length != nil, "calendar": s.calendar.id]
        if let due = s.due { item["due"] = s.calendar.formatForPeople(due); item["dueISO"] = s.calendar.format(due) }
        // Time left only for a clock that still runs or is paused (a due time means running).
        if let left = s.remaining, s.due != nil || s.status == "paused" {
            item["left"] = left >= 0 ? BusinessDuration.format(DurationText.wholeMinutes(left)) + " business time left"
                : BusinessDuration.format(DurationText.wholeMinutes(-left)) + " business time over"
        }
        // warning: sent its warning and not yet breached.
        let badge = s.status == "breached" ? "overdue" : s.warned && s.status == "running" ? "soon" : s.status == "running" ? "ok" : "none"
        item["badge"] = badge
        item["statusText"] = s.warned && s.status == "running" ? "warning" : s.status
        return item
    }

    /// A journal record on the run page (`RecordForPeople`, as `sop log` shows it): what happened
    /// in words with the states' titles, who and when, then the answers, changes and messages.
    static func journalEntry(_ r: RecordForPeople, titleOf: (String) -> String, engine: Engine) -> [String: Any] {
        let what: String
        switch r.happening {
        case .moved(let from, let to): what = "\(from.map(titleOf) ?? "start") → \(titleOf(to)) (\(r.why))"
        case .sla(let sla, let state): what = "\(sla), in \(titleOf(state))"
        case .ticketUpdated(let state): what = "ticket updated, in \(titleOf(state))"
        case .stayed(let state): what = "stayed in \(titleOf(state)) (\(r.why))"
        }
        var details: [String] = []
        if !r.inputs.isEmpty { details.append("answers: " + r.inputs.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")) }
        if !r.checks.isEmpty {
            // Each item by its words in the state the step was taken in (by number if it has no such item).
            let items = engine.sop.definition.state(r.checkedIn)?.checklist.map(\.value) ?? []
            details.append("checked: " + r.checks.map { n in items.indices.contains(n - 1) ? items[n - 1] : "item \(n)" }.joined(separator: ", "))
        }
        if !r.changes.isEmpty { details.append("changed: " + r.changes.map { "\($0.path) → \($0.value)" }.joined(separator: ", ")) }
        for message in r.messages { details.append("notified \(message.to): \(message.text)") }
        return ["at": Self.time(r.at, engine: engine), "atISO": CivilTime.formatDateTime(r.at), "actor": "\(r.actor.id) (\(r.actor.role))",
                "what": what, "details": details]
    }

    static func number(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }

    func step(_ request: Request, run: String, _ session: ConsoleSessions.Session) async throws -> Response {
        let fields = try await form(request, session)
        var posted: [String: [String]] = [:]
        for (key, value) in fields { posted[key, default: []].append(value) }
        let checks = (posted["check"] ?? []).compactMap(Int.init)
        let inputs = fields.compactMap { key, value -> (String, String)? in
            guard key.hasPrefix("input."), !value.isEmpty else { return nil }
            return (String(key.dropFirst(6)), value)
        }
        let event = posted["event"]?.last.flatMap { $0.isEmpty ? nil : $0 }
        let version = posted["version"]?.first.flatMap(Int.init)
        let command = StepCommand.submit(inputs: inputs, event: event, checks: checks.isEmpty ? nil : .items(checks))
        let result = await server.host.step(StepRequest(run: run, command: command, who: .caller(session.caller), now: Clock.now(),
                                                        expectedVersion: version, stamp: .clock))
        switch result {
        case .success:
            server.metrics.steps("ok").increment()
            return Self.redirect("/console/runs/\(run)")
        case .failure(let error):
            server.metrics.steps(error.kind).increment()
            server.metrics.refusals(error.kind).increment()
            if case .unknownRun = error { throw error }
            return try await runPage(run, session, refusal: error, posted: posted, status: APIError(error).status)
        }
    }

    // MARK: Starting a run

    func start(_ request: Request, _ session: ConsoleSessions.Session) async throws -> Response {
        let fields = try await form(request, session)
        var text = fields.first { $0.0 == "ticket" }?.1 ?? ""
        let sop = fields.first { $0.0 == "sop" }?.1
        var data = base(session, "Start a run")
        let caller = session.caller
        let now = Clock.now()
        // Fetch: the ticket as the latest run of that ticket id the caller may see holds it (from
        // the helpdesk's updates, or a run started before).
        if fields.contains(where: { $0 == ("action", "fetch") }) {
            let id = fields.first { $0.0 == "ticket_id" }?.1.trimmingCharacters(in: .whitespaces) ?? ""
            data["ticketID"] = id
            let found = try await server.host.read { try $0.latestTicket(id: id, as: .caller(caller), now: now) }
            guard let found else {
                data["ticket"] = text
                data["refusal"] = ["reason": "no run you may see has a ticket with the id '\(id)'", "instead": [String](), "hasInstead": false] as [String: Any]
                return page("start", data, status: .notFound)
            }
            text = found.render()
        }
        data["ticket"] = text
        let ticket: JSONValue
        do {
            ticket = try JSONParser.parse(Array(text.utf8), maxDepth: RequestReading.maxDepth)
        } catch {
            data["refusal"] = ["reason": error.problem("ticket"), "instead": [String](), "hasInstead": false] as [String: Any]
            return page("start", data, status: .badRequest)
        }
        do {
            if let sop {
                let run = try await server.host.perform { service in
                    try service.start(sop: sop, ticket: ticket, runID: nil, as: .caller(caller), now: now).run.id
                }
                server.metrics.started.increment()
                return Self.redirect("/console/runs/\(run)")
            }
            let options = try await server.host.read { service in try service.startOptions(ticket: ticket, as: .caller(caller), now: now) }
            data["routed"] = true
            data["matches"] = options.applying.map { ["sop": $0.sop, "title": $0.title] }
            data["hasMatches"] = !options.applying.isEmpty
            data["others"] = options.others.map { ["sop": $0.sop, "title": $0.title] }
            data["hasOthers"] = !options.others.isEmpty
            return page("start", data)
        } catch let error as RunError {
            data["refusal"] = ["reason": error.reason, "instead": error.instead, "hasInstead": !error.instead.isEmpty] as [String: Any]
            return page("start", data, status: APIError(error).status)
        }
    }

    // MARK: The catalogue

    func sopList(_ session: ConsoleSessions.Session) async throws -> Response {
        let caller = session.caller
        let sops = try await server.host.read { service in service.sopList(as: .caller(caller)) }
        var data = base(session, "SOPs")
        data["sops"] = sops.map { s -> [String: Any] in
            ["id": s["id"]?.stringValue ?? "", "title": s["title"]?.stringValue ?? "", "version": s["version"]?.render() ?? "",
             "category": s["category"]?.stringValue ?? "", "lint": s["lint"]?["status"]?.stringValue ?? ""]
        }
        return page("sops", data)
    }

    func sopPage(_ id: String, _ session: ConsoleSessions.Session) async throws -> Response {
        let caller = session.caller
        let sop = try await server.host.read { try $0.sop(id, as: .caller(caller)) }
        let d = sop.definition
        // No ticket here: titles are shown without their templates.
        let title = Template.withoutExpressions(d.title)
        var data = base(session, title)
        data["id"] = d.id.value
        data["title"] = title
        data["version"] = d.version
        data["description"] = d.description ?? ""
        data["roles"] = (d.roles.isEmpty ? ["agent"] : d.roles.map(\.value)).joined(separator: ", ")
        data["diagram"] = GraphSVG.svg(d)
        data["mayMigrate"] = RunService.mayMigrate(.caller(caller))
        data["states"] = d.states.map { state -> [String: Any] in
            var item: [String: Any] = [
                "id": state.id.value, "title": Template.withoutExpressions(state.title), "role": state.role?.value ?? "",
                "instructions": state.instructions.map(SafeMarkdown.html) ?? "",
                "inputs": state.inputs.map { spec -> [String: Any] in
                    // A key is set only when it has something to show: Mustache shows a section
                    // for an empty string too.
                    var input: [String: Any] = ["name": spec.id.value, "type": spec.type.rawValue, "required": spec.required,
                                                "visit": spec.scope == .visit]
                    if let prompt = spec.prompt { input["prompt"] = Template.withoutExpressions(prompt) }
                    if spec.type == .enum {
                        input["values"] = spec.values.map { v in spec.labels[v.value].map { "\(v.value) (\($0))" } ?? v.value }.joined(separator: ", ")
                    }
                    return input
                },
                "hasInputs": !state.inputs.isEmpty]
            if let end = state.end?.value { item["end"] = end }
            if let call = state.call?.value { item["call"] = call }
            return item
        }
        return page("sop", data)
    }
}

