import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore
import SOPStoreLocation

/// The options every run command shares (CLI.md, "Common options").
struct RunOptions: ParsableArguments {
    static let defaultSOPFolder = "sops"

    @Option(help: "Where SOP files are found.")
    var sops: String = RunOptions.defaultSOPFolder

    @Option(name: .customLong("ticket-schema"), help: "The ticket schema (default: schemas/ticket.schema.json when it exists).")
    var ticketSchema: String?

    @Option(help: RunOptions.storeHelp)
    var store: String?

    /// `--store`'s help, for the commands that take the store alone too (`StoreOptions`).
    static let storeHelp = ArgumentHelp(StoreLocation.help)

    @Option(help: "The current time for this command (RFC 3339).")
    var now: String?

    @Option(help: "Who acts, as ID:ROLE (default $USER:agent).")
    var actor: String?

    @Option(name: .customLong("max-ticket-size"), help: "The largest ticket (or patch, or line of a JSON Lines file) read, in bytes.")
    var maxTicketSize: Int = TicketSize.defaultLimit

    func validate() throws {
        if let now, CivilTime.parseDateTime(now) == nil {
            throw ValidationError("--now must be an RFC 3339 datetime such as 2026-11-02T09:00:00Z, found '\(now)'")
        }
        guard maxTicketSize > 0 else { throw ValidationError("--max-ticket-size must be a positive number of bytes") }
        if let actor, actor.split(separator: ":").count != 2 {
            throw ValidationError("--actor must be ID:ROLE, such as ana:agent, found '\(actor)'")
        }
    }

    var time: Int64 {
        now.flatMap(CivilTime.parseDateTime) ?? Clock.now()
    }

    /// A `--now` is a time the user gave (a command before the run's last change is refused);
    /// without it the time is this machine's clock's, raised to the run's last change.
    var stamp: TimeStamp { now == nil ? .clock : .given }

    var who: Actor {
        if let actor {
            let parts = actor.split(separator: ":").map(String.init)
            return Actor(id: parts[0], role: parts[1])
        }
        return Actor(id: environment("USER") ?? environment("LOGNAME") ?? Self.accountName() ?? "unknown", role: "agent")
    }

    /// Who the command acts as, for the service.
    var acting: Acting { .actor(who) }

    /// The name of the account the command runs as, for a journal's actor when $USER is not set
    /// (a container, a CI job): never a made-up name that reads like a person's.
    static func accountName() -> String? {
        guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else { return nil }
        let text = String(cString: name)
        return text.isEmpty ? nil : text
    }

    var storePath: String { StoreLocation.resolve(store) }
    /// Whether the store may be there to read (a command that only reads must not create one).
    var storeMayExist: Bool { StoreLocation.mayExist(storePath) }

    /// Opens the store and the service; failures exit 2 with the reason. A command that reads
    /// the whole store once (`report`, `export`) turns the memory map off: mapped pages read
    /// would count in its resident memory, up to the map's 256 MiB.
    /// `mustExist`: a command that only reads (`simulate`) refuses a store that is not there
    /// rather than create an empty one.
    func service(memoryMapped: Bool = true, mustExist: Bool = false, format: OutputFormat = .text) throws -> RunService {
        if mustExist && !StoreLocation.mayExist(storePath) {
            Output.err("error: no store at \(StoreLocation.display(storePath))\n")
            throw ExitCode(2)
        }
        let schema: TicketSchema?
        do {
            schema = try TicketSchemaOption.load(ticketSchema)
        } catch {
            Output.err("error: \(error)\n")
            throw ExitCode(2)
        }
        do {
            return RunService(store: try StoreLocation.open(storePath, memoryMapped: memoryMapped), sopsFolder: sops, schema: schema)
        } catch {
            // Told by its fault when the store classified it ("the run store is full …"), as one
            // JSON object on standard output too with `--format json`.
            throw runExit(error, format: format)
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Turns a run error into its message and exit code (CLI.md: 1 for a refused step or a bad
/// ticket, 2 when the command could not do its work). With `--format json` the error is also one
/// JSON object on standard output (`RunError.json`: kind, reason, what is possible, exit code).
func runExit(_ error: Error, format: OutputFormat = .text) -> ExitCode {
    if let code = error as? ExitCode { return code }
    // A store's error met outside a step (a read, opening the store) is told by its fault: the
    // store cannot be reached, is full, is damaged.
    let error: Error = StoreFault.of(error) != nil ? RunError.fromStore(error) : error
    guard let error = error as? RunError else {
        Output.err("error: \(error)\n")
        if format == .json {
            Output.out(JSONValue.object([("error", .string("store")), ("reason", .string("\(error)")), ("instead", .array([])),
                                         ("exit", .int(2))]).render() + "\n")
        }
        return ExitCode(2)
    }
    Output.err("error: \(error)\n")
    if format == .json { Output.out(error.json.render() + "\n") }
    return ExitCode(error.exitCode)
}

/// Reads a JSON document from a file, `-` (standard input) or inline text starting with `{`;
/// one larger than `maxBytes` is refused before it is parsed (exit 2).
func readJSON(_ argument: String, what: String, maxBytes: Int) throws -> JSONValue {
    let bytes: [UInt8]
    if argument.hasPrefix("{") {
        bytes = Array(argument.utf8)
    } else if argument == "-" {
        bytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    } else {
        guard let data = FileManager.default.contents(atPath: argument) else {
            Output.err("error: \(argument): cannot be read\n")
            throw ExitCode(2)
        }
        bytes = [UInt8](data)
    }
    // Where the JSON came from, as messages name it (inline JSON is named by its text, or by
    // `--ticket` when too large to repeat).
    let place = argument == "-" ? "standard input" : argument
    let isInline = argument.first == "{"
    if let problem = TicketSize.problem(bytes: bytes.count, limit: maxBytes, what: what) {
        Output.err("error: \(isInline ? "--ticket" : place): \(problem)\n")
        throw ExitCode(2)
    }
    do {
        return try JSONParser.parse(bytes)
    } catch {
        Output.err("error: \(place):\(error.position): \(error.problem(what))\n")
        throw ExitCode(2)
    }
}

/// The `status` view of a run: CLI.md's JSON object (`RunStatus`), or text for people.
enum RunView {
    static func text(_ run: RunState, _ engine: Engine, actor: Actor?, now: Int64, dueRecords: Int) -> String {
        let state = engine.sop.definition.state(run.state)
        let render = { (text: String) in engine.renderTemplate(text, run: run, now: now) ?? text }
        var out = "run \(run.id) · \(render(engine.sop.definition.title)) (\(run.sop) v\(run.sopVersion)) · step \(run.version)\n"
        if dueRecords > 0 {
            out += "as of \(CivilTime.formatDateTime(now)), with the due timers taken (\(dueRecords) record\(dueRecords == 1 ? "" : "s")"
            out += " the next command or `sop tick` writes)\n"
        }
        let slas = engine.slaStatus(run, now: now)
        if run.isEnded {
            out += "ended: \(run.outcome ?? "") (in state \(run.state))\n"
            if !slas.isEmpty { out += "\nSLA (business time):\n" + slas.map { "  \($0.text)\n" }.joined() }
            return out
        }
        out += "state: \(run.state) — \(state.map { render($0.title) } ?? "")\n"
        if let instructions = state?.instructions {
            out += "\n" + render(instructions).split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        if let items = state?.checklist, !items.isEmpty {
            out += "\nchecklist:\n"
            for (i, item) in items.enumerated() { out += "  [\(run.confirmed.contains(i) ? "x" : " ")] \(i + 1). \(render(item.value))\n" }
        }
        if let inputs = state?.inputs, !inputs.isEmpty {
            out += "\ninputs:\n"
            for spec in inputs {
                var line = "  \(spec.id.value) (\(spec.type == .enum ? spec.values.map { v in spec.labels[v.value].map { "\(v.value) \"\($0)\"" } ?? v.value }.joined(separator: "|") : spec.type.rawValue)"
                // Its bounds, as README.md promises: the agent sees what will be accepted.
                let bounds: [String?] = [spec.min.map { "min \(Decimal($0))" }, spec.max.map { "max \(Decimal($0))" },
                                         spec.minLength.map { "at least \($0) characters" }, spec.maxLength.map { "at most \($0) characters" },
                                         spec.pattern.map { "matching \($0)" }]
                for bound in bounds.compactMap({ $0 }) { line += ", " + bound }
                line += spec.required ? ", required" : ", optional"
                // A visit input must be given again each time the state is entered.
                if spec.scope == .visit { line += ", this visit only" }
                if run.submitted.contains(spec.id.value) { line += ", given" }
                line += ")"
                if let prompt = spec.prompt { line += " — " + render(prompt) }
                out += line + "\n"
            }
        }
        let needed = engine.inputsNeeded(run)
        if !needed.isEmpty { out += "\ninputs needed: \(needed.joined(separator: ", "))\n" }
        let holding = engine.checklistHolding(run)
        if !holding.isEmpty {
            out += "\nto go on, confirm the checklist: \(holding.count == 1 ? "item" : "items") \(holding.map(String.init).joined(separator: ", ")) (--check)\n"
        }
        let events = engine.enabledEvents(run, actor: actor)
        if !events.isEmpty {
            out += "\nevents:\n"
            for e in events { out += "  \(e.event) — \(render(e.label))\n" }
        }
        if let actor {
            if let role = engine.roleToAct(run), role != actor.role {
                out += "\nwaiting for the role '\(role)' (you act as '\(actor.role)')\n"
            }
            let others = engine.otherEvents(run, roles: [actor.role])
            if !others.isEmpty {
                out += "\nevents for other roles:\n"
                for e in others { out += "  \(e.event) — \(render(e.label)) (\(e.roles.joined(separator: ", ")))\n" }
            }
        }
        let timers = engine.pendingTimers(run)
        if !timers.isEmpty {
            out += "\ntimers:\n"
            for t in timers { out += "  → \(t.to) at \(CivilTime.formatDateTime(t.due))\n" }
        }
        if !slas.isEmpty { out += "\nSLA (business time):\n" + slas.map { "  \($0.text)\n" }.joined() }
        if let child = run.child { out += "\nwaiting for child run \(child)\n" }
        if run.ownerRole != nil || run.ownerQueue != nil {
            out += "\nowner: " + [run.ownerRole.map { "role \($0)" }, run.ownerQueue.map { "queue \($0)" }].compactMap { $0 }.joined(separator: ", ") + "\n"
        }
        return out
    }

    static func print(_ run: RunState, _ engine: Engine, format: OutputFormat, actor: Actor?, now: Int64, dueRecords: Int = 0) {
        switch format {
        case .json: Output.out(RunStatus.json(run, engine, actor: actor, now: now, dueRecords: dueRecords).render() + "\n")
        case .text: Output.out(text(run, engine, actor: actor, now: now, dueRecords: dueRecords))
        }
    }
}
