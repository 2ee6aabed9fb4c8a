import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// A key that is never printed: its description and reflection show no byte of it.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

/// How `sop serve` runs.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// How often the server fires due timers itself.
    public var tickInterval: Duration = .seconds(1)
    /// Where `notify` messages are delivered (each message to every endpoint).
    public var webhooks: [String] = []
    /// The key outbound deliveries are signed with.
    public var webhookSecret: Secret?
    /// The key inbound helpdesk deliveries must be signed with; nil turns the hook off (404).
    public var hookSecret: Secret?
    /// Attempts of a delivery before it is marked failed.
    public var maxAttempts = 8
    /// The first retry's delay; each next one doubles, up to `maxBackoff`.
    public var firstBackoff: Duration = .seconds(1)
    public var maxBackoff: Duration = .seconds(600)
    /// How long a delivery attempt may take, from the request to the answer's status
    /// (`--delivery-timeout`): then it is recorded as timed out and retried.
    public var deliveryTimeout: Duration = .seconds(10)
    /// How far a helpdesk's signed timestamp may be from now.
    public var replayWindow: Int64 = 300
    /// The largest request body, in bytes (`--max-ticket-size`; tickets and patches arrive in
    /// bodies): 1 MiB, as the command line's ticket limit.
    public var maxBodySize = 1 << 20
    /// How long `GET /v1/report` may read before it stops and answers 503 `time_limit`
    /// (`--report-time-limit`).
    public var reportTimeLimit: Duration = .seconds(60)
    /// Makes the store of each console session's authors' sandbox: one that lives only in
    /// memory (`sopd` gives SQLite in memory). nil: the server offers no sandbox (404).
    public var sandboxStore: SandboxStoreMaker?
    /// The bounds of the sandboxes.
    public var sandboxLimits = SandboxLimits()

    /// How webhook deliveries are retried (the service's policy, with these settings).
    public var deliveryPolicy: DeliveryPolicy {
        DeliveryPolicy(maxAttempts: maxAttempts, firstBackoff: firstBackoff, maxBackoff: maxBackoff)
    }

    public init() {}
}

/// The HTTP API (`/v1`, described by schemas/openapi.yaml) over the run service. Handlers read
/// requests and write responses; every decision about a run is the service's.
public final class APIServer: Sendable {
    let host: ServiceHost
    let tokens: TokenCheck
    let metrics: ServerMetrics
    let configuration: ServerConfiguration
    let logger: Logger
    let shutdown = ShutdownFlag()
    /// The console sessions' authors' sandboxes, when the configuration gives them a store.
    let sandboxes: AuthorSandboxes?

    public init(host: ServiceHost, tokens: TokenCheck, metrics: ServerMetrics, configuration: ServerConfiguration, logger: Logger) {
        self.host = host
        self.tokens = tokens
        self.metrics = metrics
        self.configuration = configuration
        self.logger = logger
        sandboxes = configuration.sandboxStore.map { AuthorSandboxes(limits: configuration.sandboxLimits, newStore: $0) }
    }

    /// Runs the server, the tick loop and the webhook deliveries until SIGTERM or SIGINT: then
    /// the server stops taking connections, finishes the requests in flight and returns.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        // The process's clock never goes back (Clock); a step back of the system clock is logged
        // once, with how far, since the server's times then stand still until it catches up.
        Clock.onJumpBack { [logger] jump in
            logger.warning("the system clock went back by \(jump.amount); this server's times stay at \(CivilTime.formatDateTime(jump.holding)), the latest it gave, until the clock passes it",
                           metadata: ["back_ms": "\(jump.back)", "clock": "\(CivilTime.formatDateTime(jump.wall))"])
        }
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sopkit"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        let services: [any Service] = [
            app, ShutdownWatcher(flag: shutdown),
            TickLoop(host: host, interval: configuration.tickInterval, metrics: metrics, logger: logger),
            WebhookDeliveries(host: host, configuration: configuration, metrics: metrics, logger: logger),
        ]
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    // MARK: Routes

    typealias Context = BasicRequestContext
    typealias Handler = @Sendable (Request, Context) async throws -> Response

    /// A route of the API: what the router serves and what schemas/openapi.yaml must describe
    /// (ServerRouteTests compares the two).
    struct Route: Sendable {
        var method: HTTPRequest.Method
        var path: String
        var handler: Handler
    }

    func routes() -> [Route] {
        [
            Route(method: .get, path: "/healthz") { _, _ in JSONResponse.make(.object([("status", .string("ok"))])) },
            Route(method: .get, path: "/readyz", handler: answer { _, _ in try await self.ready() }),
            Route(method: .get, path: "/metrics") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.metrics.registry.emitToBuffer())))
            },
            Route(method: .get, path: "/openapi.yaml") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/yaml"],
                         body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
            },
            Route(method: .get, path: "/v1/sops", handler: authenticated { _, _, caller in
                JSONResponse.make(.object([("sops", .array(try await self.host.read { $0.sopList(as: .caller(caller)) }))]))
            }),
            Route(method: .get, path: "/v1/sops/{sop}", handler: authenticated { _, context, caller in
                let id = try context.parameters.require("sop")
                return JSONResponse.make(try await self.host.read { try $0.sopDetail(id, as: .caller(caller)) })
            }),
            Route(method: .get, path: "/v1/report", handler: authenticated { request, _, caller in try await self.report(request, caller) }),
            Route(method: .post, path: "/v1/runs", handler: authenticated { request, _, caller in try await self.startRun(request, caller) }),
            Route(method: .get, path: "/v1/runs", handler: authenticated { request, _, caller in try await self.listRuns(request, caller) }),
            Route(method: .get, path: "/v1/runs/{run}", handler: authenticated { _, context, caller in
                let id = try context.parameters.require("run")
                let (status, version) = try await self.host.read { try $0.status(id, as: .caller(caller), now: Clock.now()) }
                return JSONResponse.make(status, headers: [.eTag: "\"\(version)\""])
            }),
            Route(method: .post, path: "/v1/runs/{run}/steps", handler: authenticated { request, context, caller in
                try await self.step(request, run: try context.parameters.require("run"), caller)
            }),
            Route(method: .patch, path: "/v1/runs/{run}/ticket", handler: authenticated { request, context, caller in
                try await self.updateTicket(request, run: try context.parameters.require("run"), caller)
            }),
            Route(method: .get, path: "/v1/runs/{run}/journal", handler: authenticated { request, context, caller in
                let id = try context.parameters.require("run")
                let after = try RequestReading.query(request, "after").map { text -> Int in
                    guard let n = Int(text), n >= -1 else { throw APIError.badRequest("after must be a record's sequence number, found '\(text)'") }
                    return n
                }
                let records = try await self.host.read { try $0.journal(id, after: after, as: .caller(caller)) }
                return JSONResponse.make(.object([("run", .string(id)), ("records", .array(records.map { $0.json() }))]))
            }),
            Route(method: .get, path: "/v1/runs/{run}/verify", handler: authenticated { _, context, caller in
                let id = try context.parameters.require("run")
                let results = try await self.host.read { try $0.verify(id, as: .caller(caller)) }
                guard let v = results.first else { throw RunError.unknownRun(id) }
                return JSONResponse.make(.object([
                    ("run", .string(v.run)), ("ok", .bool(v.failure == nil)), ("records", .int(v.records)),
                    ("failure", v.failure.map { .object([("seq", .int($0.seq)), ("reason", .string($0.reason))]) } ?? .null),
                ]))
            }),
            Route(method: .post, path: "/v1/migrations", handler: authenticated { request, _, caller in try await self.migrate(request, caller) }),
            Route(method: .get, path: "/v1/events", handler: authenticated { request, _, caller in try await self.events(request, caller) }),
            Route(method: .post, path: "/v1/hooks/tickets", handler: answer { request, _ in try await self.helpdeskHook(request) }),
        ]
    }

    func router() -> Router<Context> {
        let router = Router(context: Context.self)
        // The API's routes (schemas/openapi.yaml) and the console's pages.
        let console = Console(server: self)
        let routes = routes() + console.routes() + console.migrationRoutes()
        router.add(middleware: AccessLog(logger: logger, metrics: metrics))
        router.add(middleware: MethodGate(routes: routes.map { ($0.method, $0.path) }))
        for route in routes {
            router.on(RouterPath(route.path), method: route.method, use: route.handler)
        }
        return router
    }

    /// A handler whose errors become their HTTP answers.
    func answer(_ body: @escaping @Sendable (Request, Context) async throws -> Response) -> Handler {
        { request, context in
            do {
                return try await body(request, context)
            } catch let error as APIError {
                return error.response
            } catch let error as RunError {
                if error.isStoreFailure { self.logger.error("store failure", metadata: ["error": "\(error)", "path": "\(request.uri.path)"]) }
                // An operator hears of a damaged journal from the log, not only from its clients.
                if case .damagedRun = error { self.logger.warning("damaged run refused", metadata: ["error": "\(error)", "path": "\(request.uri.path)"]) }
                return APIError(error).response
            } catch where StoreFault.of(error) != nil {
                // A read, a token check: the store's fault, told as a step's would be.
                let failure = RunError.fromStore(error)
                self.logger.error("store failure", metadata: ["error": "\(failure)", "path": "\(request.uri.path)"])
                return APIError(failure).response
            } catch {
                self.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
                return APIError(status: .internalServerError, kind: "internal", reason: "the server failed; the error is in its log").response
            }
        }
    }

    /// A handler for a caller with a valid bearer token (401 without one).
    func authenticated(_ body: @escaping @Sendable (Request, Context, Caller) async throws -> Response) -> Handler {
        answer { request, context in
            guard let header = request.headers[.authorization], header.count < 300,
                  header.lowercased().hasPrefix("bearer ") else { throw APIError.unauthorized }
            let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            guard let caller = try await self.host.blocking({ try self.tokens.caller(secret) }) else { throw APIError.unauthorized }
            return try await body(request, context, caller)
        }
    }

    func ready() async throws -> Response {
        guard !shutdown.isSet else {
            return JSONResponse.make(.object([("status", .string("shutting down"))]), status: .serviceUnavailable)
        }
        do {
            let count = try await host.read { try $0.journalPosition() }
            return JSONResponse.make(.object([("status", .string("ready")), ("journal_position", .int(Int(count)))]))
        } catch {
            // Not ready while the store cannot be read: a load balancer sends requests elsewhere
            // until it can (the server reconnects by itself).
            let failure = RunError.fromStore(error)
            logger.warning("not ready: the store cannot be read", metadata: ["error": "\(failure)"])
            var response = JSONResponse.make(.object([("status", .string("store unavailable")), ("error", .string(failure.kind)),
                                                      ("reason", .string(APIError(failure).reason))]), status: .serviceUnavailable)
            response.headers[.retryAfter] = String(APIError.retryAfterSeconds)
            return response
        }
    }

    // MARK: Runs

    func startRun(_ request: Request, _ caller: Caller) async throws -> Response {
        let body = try await RequestReading.object(request, limit: configuration.maxBodySize)
        try RequestReading.onlyKnown(body, ["sop", "ticket", "id"], what: "a start")
        guard let sop = body["sop"]?.stringValue else { throw APIError.badRequest("'sop' must be the id of an SOP") }
        guard let ticket = body["ticket"], case .object = ticket else { throw APIError.badRequest("'ticket' must be a JSON object") }
        if let id = body["id"], id.stringValue == nil { throw APIError.badRequest("'id' must be 1 to 128 letters, digits, '-', '_' or '.'") }
        // Idempotency-Key names the run when the body does not: the same key starts one run.
        let runID = try RunService.requestedRunID(body["id"]?.stringValue, idempotencyKey: request.headers[.idempotencyKey], as: .caller(caller))
        let now = Clock.now()
        let (run, existed, status) = try await host.perform { service in
            let (run, existed) = try service.start(sop: sop, ticket: ticket, runID: runID, as: .caller(caller), now: now)
            let (status, _) = try service.status(run.id, as: .caller(caller), now: now)
            return (run, existed, status)
        }
        metrics.started.increment()
        return JSONResponse.make(status, status: existed ? .ok : .created,
                                 headers: [.eTag: "\"\(run.version)\"", .location: "/v1/runs/\(run.id)"])
    }

    func listRuns(_ request: Request, _ caller: Caller) async throws -> Response {
        var filter = RunFilter()
        let q = { (name: String) in RequestReading.query(request, name) }
        if let sop = q("sop") { filter.sops = sop.split(separator: ",").map(String.init) }
        filter.state = q("state")
        if let status = q("status") {
            guard status == "waiting" || status == "ended" else { throw APIError.badRequest("status must be waiting or ended, found '\(status)'") }
            filter.status = status
        }
        filter.role = q("role")
        filter.ticketID = q("ticket_id")
        if let due = q("due_before") {
            guard let t = CivilTime.parseDateTime(due) else { throw APIError.badRequest("due_before must be an RFC 3339 datetime, found '\(due)'") }
            filter.dueBefore = t
        }
        if let cursor = q("cursor") {
            guard let n = Int64(cursor), n >= 0 else { throw APIError.badRequest("cursor must be a next_cursor from an earlier page, found '\(cursor)'") }
            filter.after = n
        }
        if let breached = q("sla_breached") {
            guard breached == "true" || breached == "false" else { throw APIError.badRequest("sla_breached must be true or false, found '\(breached)'") }
            filter.slaBreached = breached == "true"
        }
        if let sort = q("sort") {
            guard sort == "created" || sort == "sla_due" else { throw APIError.badRequest("sort must be created or sla_due, found '\(sort)'") }
            filter.bySLADue = sort == "sla_due"
            if filter.bySLADue, filter.after != nil { throw APIError.badRequest("cursor pages runs in creation order; it does not go with sort=sla_due") }
        }
        let limit = try q("limit").map { text -> Int in
            guard let n = Int(text), (1...1000).contains(n) else { throw APIError.badRequest("limit must be from 1 to 1000, found '\(text)'") }
            return n
        } ?? 100
        filter.limit = limit
        let query = filter
        let page = try await host.read { try $0.runs(query, as: .caller(caller)) }
        return JSONResponse.make(.object([
            ("runs", .array(page.runs.map(\.json))),
            ("next_cursor", page.next.map { .string(String($0)) } ?? .null),
        ]))
    }

    /// `GET /v1/report`: `sop report` for supervisors (docs/report.md), as JSON or as the HTML page.
    func report(_ request: Request, _ caller: Caller) async throws -> Response {
        let q = { (name: String) in RequestReading.query(request, name) }
        let zone = q("tz") ?? "UTC"
        guard ReportOptions.isTimeZone(zone) else { throw APIError.badRequest("tz must be an IANA time zone, found '\(zone)'") }
        // As `sop report` takes them: an RFC 3339 time, or a date (midnight in tz).
        let (from, to) = try ReportOptions.period(from: q("from"), to: q("to"), timeZone: zone, now: Clock.now())
        let format = q("format") ?? "json"
        guard format == "json" || format == "html" else { throw APIError.badRequest("format must be json or html, found '\(format)'") }
        let options = ReportOptions(from: from, to: to, timeZone: zone, sops: q("sop").map { Set($0.split(separator: ",").map(String.init)) })
        let limit = configuration.reportTimeLimit
        let report: ServiceReport
        do {
            report = try await host.read(.long) { try $0.report(options, as: .caller(caller), timeLimit: limit) }
        } catch RunError.timeLimit(let limit) {
            // An operator sees reports being stopped (and may raise the limit).
            logger.notice("report stopped at its time limit", metadata: ["limit": "\(limit)", "actor": "\(caller.id)"])
            throw RunError.timeLimit(limit)
        }
        if format == "html" {
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: report.html())))
        }
        return JSONResponse.make(report.json())
    }

    func step(_ request: Request, run: String, _ caller: Caller) async throws -> Response {
        let body = try await RequestReading.object(request, limit: configuration.maxBodySize)
        try RequestReading.onlyKnown(body, ["inputs", "checks", "event"], what: "a step")
        let step = StepRequest(run: run, command: try StepCommand.submit(from: body), who: .caller(caller),
                               now: Clock.now(), requestID: request.headers[.idempotencyKey], expectedVersions: try RequestReading.ifMatch(request),
                               stamp: .clock)
        return try await take(step, caller)
    }

    func updateTicket(_ request: Request, run: String, _ caller: Caller) async throws -> Response {
        let patch = try await RequestReading.object(request, mergePatch: true, limit: configuration.maxBodySize)
        let step = StepRequest(run: run, command: .update(patch: .object(patch)), who: .caller(caller), now: Clock.now(),
                               requestID: request.headers[.idempotencyKey], expectedVersions: try RequestReading.ifMatch(request), stamp: .clock)
        return try await take(step, caller)
    }

    /// Takes a step through the service's group commit and answers with the run as it now is.
    func take(_ step: StepRequest, _ caller: Caller) async throws -> Response {
        let started = ContinuousClock.now
        let result = await host.step(step)
        metrics.stepDuration.record(ContinuousClock.now - started)
        switch result {
        case .success(let r):
            metrics.steps(r.duplicate ? "duplicate" : "ok").increment()
            // The step was recorded when it was taken (ServiceHost): the run is shown as of then.
            let status = RunStatus.json(r.run, r.engine, actor: nil, roles: caller.roles, now: max(step.now, r.run.updatedAt))
            return JSONResponse.make(status, headers: [.eTag: "\"\(r.run.version)\""])
        case .failure(let error):
            metrics.steps(error.kind).increment()
            metrics.refusals(error.kind).increment()
            throw error
        }
    }

    // MARK: Changes as they happen

    /// Server-sent events: each committed journal record as an `record` event whose id is its
    /// position in the journal; `Last-Event-ID` (or `?after=`) resumes after a position. Without
    /// either the stream starts with the records committed from now on.
    func events(_ request: Request, _ caller: Caller) async throws -> Response {
        let run = RequestReading.query(request, "run")
        // An unknown run is 404 and one of an SOP the caller holds no role in 403, before the stream starts.
        if let run { try await host.read { _ = try $0.run(run, as: .caller(caller)) } }
        let resume = request.headers[.lastEventID] ?? RequestReading.query(request, "after")
        let start: Int64
        if let resume {
            guard let n = Int64(resume), n >= 0 else {
                let name = request.headers[.lastEventID] == nil ? "after" : "Last-Event-ID"
                throw APIError.badRequest("\(name) must be an event id from this stream, found '\(resume)'")
            }
            start = n
        } else {
            start = try await host.read { try $0.journalPosition() }
        }
        let host = self.host, shutdown = self.shutdown
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                        body: ResponseBody { writer in
            var last = start
            var idle = 0
            try await writer.write(ByteBuffer(string: ": sopkit journal from \(last)\n\n"))
            while !shutdown.isSet && !Task.isCancelled {
                let after = last
                let feed = try await host.read { try $0.journalFeed(after: after, run: run, as: .caller(caller)) }
                let moved = feed.last != last
                last = feed.last
                let out = feed.records.map { "id: \($0.position)\nevent: record\ndata: \($0.record)\n\n" }.joined()
                if !out.isEmpty { try await writer.write(ByteBuffer(string: out)); idle = 0 }
                if !moved {
                    idle += 1
                    if idle % 60 == 0 { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            try await writer.finish(nil)
        })
    }

    // MARK: Helpdesk updates

    /// `POST /v1/hooks/tickets`: a helpdesk's ticket update, signed (docs/server.md).
    func helpdeskHook(_ request: Request) async throws -> Response {
        guard let secret = configuration.hookSecret else {
            throw APIError.notFound("the helpdesk hook is off: start the server with --hook-secret-file")
        }
        let bytes = try await RequestReading.body(request, limit: configuration.maxBodySize)
        let now = Clock.now()
        guard let delivery = request.headers[.sopDelivery], RunService.isRunID(delivery),
              let stamp = request.headers[.sopTimestamp], let seconds = Int64(stamp),
              let signature = request.headers[.sopSignature] else {
            throw APIError(status: .unauthorized, kind: "unauthorized", reason: "a delivery needs Sop-Delivery, Sop-Timestamp and Sop-Signature headers")
        }
        guard Signing.verify(signature, secret: secret.bytes, timestamp: stamp, body: bytes) else {
            throw APIError(status: .unauthorized, kind: "unauthorized", reason: "the signature does not match the body and timestamp")
        }
        guard abs(now / 1000 - seconds) <= configuration.replayWindow else {
            throw APIError(status: .unauthorized, kind: "unauthorized",
                           reason: "the timestamp is more than \(configuration.replayWindow) seconds from the server's clock: a replay, or a clock to fix")
        }
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            throw APIError(status: .unsupportedMediaType, kind: "unsupported_media_type", reason: "send the body as application/json")
        }
        let body: JSONValue
        do {
            body = try JSONParser.parse(bytes, maxDepth: RequestReading.maxDepth)
        } catch {
            throw APIError.badRequest(error.problem("request body"))
        }
        guard case .object(let members) = body else { throw APIError.badRequest("the body must be a JSON object") }
        try RequestReading.onlyKnown(members, ["ticket_id", "updated_at", "patch", "ticket"], what: "a ticket update")
        guard let ticketID = TicketID.text(members["ticket_id"]) else {
            throw APIError.badRequest("'ticket_id' must be the ticket's id (a string or an integer)")
        }
        guard let updated = members["updated_at"]?.stringValue.flatMap(CivilTime.parseDateTime) else {
            throw APIError.badRequest("'updated_at' must be when the helpdesk changed the ticket (RFC 3339)")
        }
        let patch = members["patch"], ticket = members["ticket"]
        guard (patch == nil) != (ticket == nil) else { throw APIError.badRequest("give exactly one of 'patch' (a merge patch) and 'ticket' (the whole ticket)") }
        for value in [patch, ticket].compactMap({ $0 }) {
            guard case .object = value else { throw APIError.badRequest("'patch' and 'ticket' must be JSON objects") }
        }
        let result = try await host.perform { service in
            try service.applyHelpdeskUpdate(delivery: delivery, ticketID: ticketID, updatedAt: updated, patch: patch, ticket: ticket, now: now, stamp: .clock)
        }
        var answer: JSONObject = [("delivery", .string(delivery)), ("ticket_id", .string(ticketID)), ("result", .string(result.result))]
        if case .carried(let runs, let unchanged, let refused) = result {
            answer["runs"] = .array(runs.map { .string($0) })
            answer["unchanged"] = .array(unchanged.map { .string($0) })
            answer["refused"] = .array(refused.map { .object([("run", .string($0.run)), ("reason", .string($0.reason))]) })
        }
        metrics.hookDeliveries(answer["result"]?.stringValue ?? "").increment()
        return JSONResponse.make(.object(answer))
    }
}


extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let lastEventID = Self("Last-Event-ID")!
    static let sopDelivery = Self("Sop-Delivery")!
    static let sopTimestamp = Self("Sop-Timestamp")!
    static let sopSignature = Self("Sop-Signature")!
}

/// Answers 405, with `Allow`, a request for a path the API serves with a method it does not
/// serve there (any method, QUERY included: not 404, since the path exists).
struct MethodGate<Context: RequestContext>: RouterMiddleware {
    /// Each path template's segments and the methods it takes.
    let templates: [(segments: [Substring], methods: [HTTPRequest.Method])]

    init(routes: [(HTTPRequest.Method, String)]) {
        var byPath: [String: [HTTPRequest.Method]] = [:]
        var order: [String] = []
        for (method, path) in routes {
            if byPath[path] == nil { order.append(path) }
            byPath[path, default: []].append(method)
        }
        templates = order.map { ($0.split(separator: "/"), byPath[$0]!) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let segments = request.uri.path.split(separator: "/")
        for template in templates where template.segments.count == segments.count {
            let matches = zip(template.segments, segments).allSatisfy { t, s in t.hasPrefix("{") || t == s }
            guard matches else { continue }
            if template.methods.contains(request.method) || (request.method == .head && template.methods.contains(.get)) { break }
            let allow = template.methods.map(\.rawValue).joined(separator: ", ")
            var response = APIError(status: .methodNotAllowed, kind: "method_not_allowed",
                                    reason: "\(request.uri.path) takes \(allow), not \(request.method.rawValue)").response
            response.headers[.allow] = allow
            return response
        }
        return try await next(request, context)
    }
}

/// Logs each request (method, path, status, duration; never a header's value) and counts it.
struct AccessLog<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            logger.info("request", metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(error)"])
            throw error
        }
        let elapsed = ContinuousClock.now - started
        metrics.requests(response.status.code).increment()
        logger.debug("request", metadata: ["method": "\(request.method)", "path": "\(request.uri.path)",
                                           "status": "\(response.status.code)", "ms": "\(elapsed.components.attoseconds / 1_000_000_000_000_000 + elapsed.components.seconds * 1000)"])
        return response
    }
}
