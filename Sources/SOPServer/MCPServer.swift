import Foundation
import Logging
import MCP
import SOPCore
import struct SOPExpression.Template
import SOPJSON
import SOPService
import SOPStore

/// `sop mcp`: the Model Context Protocol over standard input and output, for AI agents. The
/// tools call the same operations as the HTTP API, as the actor and with the roles of one token:
/// an agent can do only what the SOP allows those roles, and a refusal is a tool error that says
/// why and what is possible instead.
public struct MCPService: Sendable {
    let host: ServiceHost
    let caller: Caller

    public init(host: ServiceHost, caller: Caller) {
        self.host = host
        self.caller = caller
    }

    static let tools: [Tool] = [
        Tool(name: "list_sops", description: "List the SOPs (procedures) you may run: id, version, title, category, lint status.",
             inputSchema: schema([:], required: [])),
        Tool(name: "route", description: "Which SOPs apply to a ticket (their applies_when holds).",
             inputSchema: schema(["ticket": .object(["type": "object", "description": "The ticket as JSON."])], required: ["ticket"])),
        Tool(name: "start_run", description: "Start a run of an SOP on a ticket. With `run`, starting the same SOP and ticket again returns the existing run.",
             inputSchema: schema(["sop": .object(["type": "string", "description": "The SOP's id."]),
                                  "ticket": .object(["type": "object", "description": "The ticket as JSON."]),
                                  "run": .object(["type": "string", "description": "The run's id (optional)."])], required: ["sop", "ticket"])),
        Tool(name: "get_run", description: "Where a run is: the current step's rendered instructions and checklist, the JSON Schema of its inputs (input_schema), the events you may send, timers.",
             inputSchema: schema(["run": .object(["type": "string"])], required: ["run"])),
        Tool(name: "step", description: "Act on a run: submit inputs, confirm checklist items (\"all\" or item numbers from 1) and/or send an event. A refusal says why and what is possible. A step that ends a child run answers with the child and, in parent_run, the parent it handed its outcome to: go on there.",
             inputSchema: schema(["run": .object(["type": "string"]),
                                  "inputs": .object(["type": "object", "description": "NAME: value, as get_run's input_schema describes."]),
                                  "checks": .object(["description": "\"all\" or a list of checklist item numbers (from 1)."]),
                                  "event": .object(["type": "string", "description": "An event from get_run's events."])], required: ["run"])),
        Tool(name: "update_ticket", description: "Apply a JSON merge patch to a run's ticket (validated against the ticket schema).",
             inputSchema: schema(["run": .object(["type": "string"]), "patch": .object(["type": "object"])], required: ["run", "patch"])),
        Tool(name: "get_journal", description: "A run's journal: every transition with who, when, why and what changed.",
             inputSchema: schema(["run": .object(["type": "string"])], required: ["run"])),
    ]

    static func schema(_ properties: [String: Value], required: [String]) -> Value {
        .object(["type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) }),
                 "additionalProperties": false])
    }

    /// Serves until the client closes standard input.
    public func run() async throws {
        let server = Server(name: "sopkit", version: "0.1.0",
                            instructions: "Follow support procedures (SOPs) step by step: get_run says what to do now; step does it.",
                            capabilities: .init(prompts: .init(listChanged: false), resources: .init(subscribe: false, listChanged: false),
                                                tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: Self.tools) }
        // Each SOP the caller may see, as a procedure in words (ProcedureText): a resource to
        // read, and a prompt that also says where a run is and how to act through the tools.
        await server.withMethodHandler(ListResources.self) { _ in
            try await self.translatingErrors { .init(resources: try await self.resources()) }
        }
        await server.withMethodHandler(ReadResource.self) { params in
            try await self.translatingErrors { try await self.readResource(params.uri) }
        }
        await server.withMethodHandler(ListPrompts.self) { _ in
            try await self.translatingErrors { .init(prompts: try await self.prompts()) }
        }
        await server.withMethodHandler(GetPrompt.self) { params in
            try await self.translatingErrors { try await self.prompt(params.name, run: params.arguments?["run"]) }
        }
        await server.withMethodHandler(CallTool.self) { params in
            do {
                let result = try await self.call(params.name, params.arguments ?? [:])
                return .init(content: [.text(text: result.render(), annotations: nil, _meta: nil)], isError: false)
            } catch let error where error is RunError || StoreFault.of(error) != nil {
                // The error object without the command line's exit code (docs/server.md); a
                // store's fault (unreachable, full, damaged) by its kind, as HTTP tells it.
                let error = RunError.fromStore(error)
                let object = ErrorObject.members(kind: error.kind, reason: error.reason, instead: error.instead, fields: error.fields)
                return .init(content: [.text(text: JSONValue.object(object).render(), annotations: nil, _meta: nil)], isError: true)
            }
        }
        try await server.start(transport: DrainingTransport(BlockingStdioTransport()))
        await server.waitUntilCompleted()
    }

    func call(_ name: String, _ arguments: [String: Value]) async throws -> JSONValue {
        let caller = self.caller, who = Acting.caller(caller)
        let now = Clock.now()
        func text(_ key: String) throws -> String {
            guard case .string(let s)? = arguments[key], !s.isEmpty else { throw RunError.badRequest("'\(key)' must be a non-empty string") }
            return s
        }
        func object(_ key: String) throws -> JSONValue {
            guard let value = arguments[key], case .object = value else { throw RunError.badRequest("'\(key)' must be a JSON object") }
            return Self.json(value)
        }
        switch name {
        case "list_sops":
            return try await host.read { service in .array(service.sopList(as: who)) }
        case "route":
            let ticket = try object("ticket")
            return try await host.read { service in
                .array(try service.route(ticket: ticket, as: who, now: now).map { .object([("sop", .string($0.sop)), ("title", .string($0.title))]) })
            }
        case "start_run":
            let sop = try text("sop"), ticket = try object("ticket")
            let run = arguments["run"] == nil ? nil : try text("run")
            return try await host.perform { service in
                let (started, _) = try service.start(sop: sop, ticket: ticket, runID: run, as: who, now: now)
                return try Self.view(service, started.id, caller, now)
            }
        case "get_run":
            let run = try text("run")
            return try await host.read { service in try Self.view(service, run, caller, now) }
        case "step":
            let run = try text("run")
            // The arguments as JSON (an MCP client's object comes without its members' order:
            // inputs are taken in the order of their names).
            guard case .object(let body) = Self.json(.object(arguments)) else { throw RunError.badRequest("the arguments must be an object") }
            let request = StepRequest(run: run, command: try StepCommand.submit(from: body), who: who, now: now)
            let result = await host.step(request)
            let stepped = try result.get()
            // Shown as of when the step was taken (ServiceHost records it then).
            let after = max(now, stepped.run.updatedAt)
            return try await host.read { service in try Self.afterStep(service, stepped.run, caller, after) }
        case "update_ticket":
            let run = try text("run"), patch = try object("patch")
            let updated = try await host.step(StepRequest(run: run, command: .update(patch: patch), who: who, now: now)).get()
            let after = max(now, updated.run.updatedAt)
            return try await host.read { service in try Self.view(service, run, caller, after) }
        case "get_journal":
            let run = try text("run")
            return try await host.read { service in .array(try service.journal(run, as: who).map { $0.json() }) }
        default:
            throw RunError.badRequest("no tool is named '\(name)'; the tools are " + Self.tools.map(\.name).joined(separator: ", "))
        }
    }

    // MARK: Procedures in words: resources and prompts

    /// The URI scheme of an SOP's procedure text: `sop://ID`.
    static let resourceScheme = "sop://"

    /// A request's failure as an MCP error: what the caller asked for is wrong (an unknown SOP or
    /// run, one it may not see) is invalid params, with the reason; anything else is internal.
    func translatingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error where error is RunError || StoreFault.of(error) != nil {
            let error = RunError.fromStore(error)
            switch error {
            case .store, .unavailable, .full, .damaged, .timeLimit: throw MCPError.internalError(error.description)
            default: throw MCPError.invalidParams(error.description)
            }
        }
    }

    /// The SOPs the caller may see (as `list_sops` shows them), one resource each.
    func resources() async throws -> [Resource] {
        let who = Acting.caller(caller)
        return try await host.read { service in
            service.visibleSOPDefinitions(who).map { sop in
                Resource(name: sop.id, uri: Self.resourceScheme + sop.id, title: Template.withoutExpressions(sop.definition.title),
                         description: "The procedure \(sop.id), version \(sop.version), in words: its steps, inputs and rules.",
                         mimeType: "text/markdown")
            }
        }
    }

    func readResource(_ uri: String) async throws -> ReadResource.Result {
        guard uri.hasPrefix(Self.resourceScheme), uri.count > Self.resourceScheme.count else {
            throw MCPError.invalidParams("no resource has the URI '\(uri)': an SOP's is sop://ID (resources/list lists them)")
        }
        let id = String(uri.dropFirst(Self.resourceScheme.count)), who = Acting.caller(caller)
        let text = try await host.read { service in try service.procedureText(id, as: who).text }
        return .init(contents: [.text(text, uri: uri, mimeType: "text/markdown")])
    }

    static let runArgument = Prompt.Argument(name: "run", description: "A run of this SOP: the prompt then says where it is now, as get_run does.",
                                             required: false)

    /// The SOPs the caller may see, one prompt each, named by the SOP's id.
    func prompts() async throws -> [Prompt] {
        let who = Acting.caller(caller)
        return try await host.read { service in
            service.visibleSOPDefinitions(who).map { sop in
                let title = Template.withoutExpressions(sop.definition.title)
                return Prompt(name: sop.id, title: title, description: title, arguments: [Self.runArgument])
            }
        }
    }

    /// The procedure in words and how to act through the tools; with `run`, the procedure that
    /// run follows (the version it was started with) and where it is now, as `get_run` shows it.
    func prompt(_ name: String, run: String?) async throws -> GetPrompt.Result {
        let caller = self.caller, who = Acting.caller(caller), now = Clock.now()
        return try await host.read { service in
            var text: String, sop: CompiledSOP
            if let run, !run.isEmpty {
                // The prompt asked for first: an SOP the caller may not see is forbidden, whatever run.
                _ = try service.procedureText(name, as: who)
                (sop, text) = try service.procedureText(run: run, as: who, now: now)
                guard sop.id == name else {
                    throw RunError.badRequest("the run '\(run)' follows the SOP '\(sop.id)', not '\(name)': get the prompt '\(sop.id)'")
                }
                text += "\n## Where the run `\(run)` is now\n\nAs `get_run` shows it:\n\n```json\n"
                    + (try Self.view(service, run, caller, now)).render() + "\n```\n"
            } else {
                (sop, text) = try service.procedureText(name, as: who)
            }
            text += "\n" + ProcedureText.actingThroughTools
            return .init(description: Template.withoutExpressions(sop.definition.title), messages: [.user(.text(text: text))])
        }
    }

    /// A run as `get_run` shows it: the status object with the JSON Schema of the current
    /// state's inputs.
    static func view(_ service: RunService, _ run: String, _ caller: Caller, _ now: Int64) throws -> JSONValue {
        let (status, _) = try service.status(run, as: .caller(caller), now: now)
        guard case .object(var members) = status else { return status }
        members["input_schema"] = try service.inputSchema(run, as: .caller(caller), now: now)
        return .object(members)
    }

    /// What `step` answers: the run as `get_run` shows it. When the step ended a child run, its
    /// parent took the outcome in the same transaction and has moved on, and the agent's work
    /// goes on there: the answer then carries the parent as `get_run` shows it, in
    /// `parent_run`, so the agent need not know to fetch it (it is left out for a caller who
    /// may not see the parent's SOP; `parent` still names it).
    static func afterStep(_ service: RunService, _ run: RunState, _ caller: Caller, _ now: Int64) throws -> JSONValue {
        let answer = try view(service, run.id, caller, now)
        guard run.isEnded, let parent = run.parent, case .object(var members) = answer else { return answer }
        do {
            members["parent_run"] = try view(service, parent, caller, now)
        } catch RunError.forbidden {
            return answer
        }
        return .object(members)
    }

    /// An MCP value as JSON (numbers that are whole stay integers).
    static func json(_ value: Value) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let n): return .int(n)
        case .double(let d): return d.rounded() == d && abs(d) < 1e15 ? .int(Int(d)) : .number(Decimal(string: "\(d)") ?? Decimal(d))
        case .string(let s): return .string(s)
        case .data(_, let data): return .string(data.base64EncodedString())
        case .array(let items): return .array(items.map(json))
        case .object(let members): return .object(JSONObject(members.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) }))
        }
    }
}
