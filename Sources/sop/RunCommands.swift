import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop start SOP --ticket FILE|- [--id RUN_ID]` or `--tickets FILE.jsonl`.
struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a run of an SOP on a ticket.")

    @Argument(help: "The SOP's id.") var sop: String
    @Option(help: "The ticket: a JSON file, - for standard input, or inline JSON.") var ticket: String?
    @Option(help: "Start one run per line of a JSON Lines file.") var tickets: String?
    @Option(help: "The run's id (default: generated).") var id: String?
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func validate() throws {
        guard (ticket == nil) != (tickets == nil) else { throw ValidationError("give exactly one of --ticket and --tickets") }
        if tickets != nil && id != nil { throw ValidationError("--id goes with --ticket, not --tickets") }
    }

    func run() throws {
        let service = try options.service()
        if let tickets {
            try bulk(service, tickets)
            return
        }
        let json = try readJSON(ticket!, what: "ticket", maxBytes: options.maxTicketSize)
        do {
            let (run, existed) = try service.start(sop: sop, ticket: json, runID: id, as: options.acting, now: options.time)
            let (_, engine) = try service.run(run.id, as: options.acting)
            if format == .text {
                if !existed {
                    Output.out("started \(run.id)\n")
                } else if run.isEnded {
                    Output.out("run \(run.id) already exists, for this SOP and ticket, and has ended with outcome '\(run.outcome ?? "")'\n")
                } else {
                    Output.out("run \(run.id) already exists, for this SOP and ticket\n")
                }
            }
            RunView.print(run, engine, format: format, actor: options.who, now: options.time)
        } catch {
            throw runExit(error, format: format)
        }
    }

    private func bulk(_ service: RunService, _ path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            Output.err("error: \(path): cannot be read\n")
            throw ExitCode(2)
        }
        // JSON Lines: one ticket per line, blank lines skipped; parsed on all cores.
        let lines = Array([UInt8](data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated())
        let limit = options.maxTicketSize
        let results = parallelMap(lines, chunk: 256) { (i, line) -> (Int, Result<JSONValue, BulkLineError>)? in
            let isBlank = line.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
            if isBlank { return nil }
            if let problem = TicketSize.problem(bytes: line.count, limit: limit) { return (i + 1, .failure(BulkLineError(reason: problem))) }
            do throws(JSONSyntaxError) {
                return (i + 1, .success(try JSONParser.parse(Array(line))))
            } catch {
                return (i + 1, .failure(BulkLineError(reason: error.kind == .syntax ? "not valid JSON: \(error.message)" : error.message)))
            }
        }
        var parsed: [(Int, JSONValue)] = []
        var bad: [(Int, String)] = []
        for case let (line, result)? in results {
            switch result {
            case .success(let ticket): parsed.append((line, ticket))
            case .failure(let error): bad.append((line, error.reason))
            }
        }
        do {
            let result = try service.startBulk(sop: sop, tickets: parsed, as: options.acting, now: options.time)
            bad += result.failed
            for (line, reason) in bad.sorted(by: { $0.0 < $1.0 }) { Output.err("\(path):\(line): \(reason)\n") }
            switch format {
            case .json:
                Output.out(JSONValue.object([
                    ("started", .array(result.started.map { .string($0) })),
                    ("failed", .array(bad.sorted { $0.0 < $1.0 }.map { .object([("line", .int($0.0)), ("reason", .string($0.1))]) })),
                ]).render() + "\n")
            case .text:
                Output.out("started \(result.started.count) runs, \(bad.count) lines failed\n")
            }
            if !bad.isEmpty { throw ExitCode(1) }
        } catch let code as ExitCode {
            throw code
        } catch {
            throw runExit(error, format: format)
        }
    }
}

/// `sop status RUN`
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show where a run is and what can be done.")

    @Argument(help: ArgumentHelp("The run's id.", valueName: "run")) var runID: String
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func run() throws {
        let service = try options.service()
        do {
            let (state, engine, due) = try service.projected(runID, as: options.acting, now: options.time)
            RunView.print(state, engine, format: format, actor: options.actor == nil ? nil : options.who, now: options.time, dueRecords: due)
        } catch {
            throw runExit(error, format: format)
        }
    }
}

/// `sop step RUN [--event E] [--input K=V ...] [--check all|N,...] [--request-id R]`
struct StepCommandLine: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "step", abstract: "Submit inputs, confirm checklist items and/or send an event.")

    @Argument(help: ArgumentHelp("The run's id.", valueName: "run")) var runID: String
    @Option(help: "The event to send.") var event: String?
    @Option(name: .customLong("input"), help: "An input as NAME=VALUE (repeatable).") var inputs: [String] = []
    @Option(help: "Checklist items confirmed: all, or item numbers such as 1,2.") var check: String?
    @Option(name: .customLong("request-id"), help: "Apply this request at most once.") var requestID: String?
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func validate() throws {
        var seen = Set<String>()
        for input in inputs {
            guard let i = input.firstIndex(of: "=") else { throw ValidationError("--input must be NAME=VALUE, found '\(input)'") }
            let name = String(input[..<i])
            guard seen.insert(name).inserted else {
                throw ValidationError("--input \(name) is given more than once; give each input once")
            }
        }
        _ = try checks()
    }

    func checks() throws -> ChecklistSelection? {
        guard let check else { return nil }
        if check == "all" { return .all }
        let numbers = check.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--check must be 'all' or item numbers such as 1,2, found '\(check)'")
        }
        return .items(numbers.map { $0! })
    }

    func run() throws {
        let service = try options.service()
        let pairs = inputs.map { input -> (String, String) in
            let i = input.firstIndex(of: "=")!
            return (String(input[..<i]), String(input[input.index(after: i)...]))
        }
        do {
            let result = try service.step(runID, .submit(inputs: pairs, event: event, checks: try checks()), as: options.acting,
                                          now: options.time, requestID: requestID)
            if result.duplicate && format == .text { Output.out("request \(requestID ?? "") was already applied\n") }
            RunView.print(result.run, result.engine, format: format, actor: options.who, now: options.time)
        } catch {
            throw runExit(error, format: format)
        }
    }
}

/// Why a line of `--tickets` was not read.
struct BulkLineError: Error {
    var reason: String
}

/// `sop update RUN --ticket PATCH`
struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Apply a JSON merge patch to a run's ticket.")

    @Argument(help: ArgumentHelp("The run's id.", valueName: "run")) var runID: String
    @Option(help: "The merge patch: a JSON file, - for standard input, or inline JSON.") var ticket: String
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func run() throws {
        let service = try options.service()
        let patch = try readJSON(ticket, what: "ticket patch", maxBytes: options.maxTicketSize)
        do {
            let result = try service.step(runID, .update(patch: patch), as: options.acting, now: options.time)
            RunView.print(result.run, result.engine, format: format, actor: options.who, now: options.time)
        } catch {
            throw runExit(error, format: format)
        }
    }
}

/// `sop tick`
struct TickCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tick", abstract: "Fire the due timers of every waiting run.")

    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func run() throws {
        let service = try options.service()
        do {
            let (runs, transitions) = try service.tick(now: options.time)
            switch format {
            case .json: Output.out(JSONValue.object([("runs", .int(runs)), ("transitions", .int(transitions))]).render() + "\n")
            case .text: Output.out("\(runs) runs due, \(transitions) transitions taken\n")
            }
        } catch {
            throw runExit(error, format: format)
        }
    }
}

/// `sop log RUN [--format text|json]`
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "Print a run's journal.")

    @Argument(help: ArgumentHelp("The run's id.", valueName: "run")) var runID: String
    @Option(help: "Output format: text or json (JSON Lines).") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func run() throws {
        let service = try options.service()
        do {
            let records = try service.journal(runID, as: options.acting)
            switch format {
            case .json:
                Output.out(records.map { $0.json().render() + "\n" }.joined())
            case .text:
                Output.out(records.map(Self.text).joined())
            }
        } catch {
            throw runExit(error, format: format)
        }
    }

    /// One record as a line for people: who moved the run where and why, then what it brought
    /// and changed, and the messages it sent.
    static func text(_ r: JournalRecord) -> String {
        var trigger = r.trigger.kind.rawValue
        if let event = r.trigger.event { trigger += " " + event }
        if let after = r.trigger.after { trigger += " after " + after }
        if let outcome = r.trigger.outcome { trigger += " " + outcome }
        if case .string(let target)? = r.trigger.sla?["target"], case .string(let event)? = r.trigger.sla?["event"] {
            trigger += " \(target) \(event)"
            if case .string(let due)? = r.trigger.sla?["due"] { trigger += ", due \(due)" }
        }
        var out = "\(r.seq) \(CivilTime.formatDateTime(r.at)) \(r.actor) "
        out += r.trigger.moved ? "\(r.from ?? "∅") → \(r.to) [\(trigger)]" : "\(r.to) [\(trigger), no move]"
        if !r.inputs.isEmpty {
            out += " inputs: " + r.inputs.map { "\($0.key)=\($0.value.render())" }.joined(separator: " ")
        }
        if !r.changes.isEmpty {
            out += " changes: " + r.changes.map { "\($0.path)=\($0.new.render())" }.joined(separator: " ")
        }
        out += "\n"
        for effect in r.effects {
            if case .object(let notify)? = effect["notify"], case .string(let to)? = notify["to"], case .string(let text)? = notify["text"] {
                out += "    notify \(to): \(text)\n"
            }
        }
        return out
    }
}

/// `sop verify [RUN]`: one named run prints its line; every run prints the failures and a
/// summary (every run's line too with `--verbose`), so a store of 100,000 runs is not 100,000 lines.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check journals' hash chains and replay them against the pinned SOPs.")

    @Argument(help: ArgumentHelp("The run's id (default: every run).", valueName: "run")) var runID: String?
    @Flag(help: "Print every run's line, not only the failures (with no run named).") var verbose = false
    @OptionGroup var options: RunOptions

    func run() throws {
        let service = try options.service()
        do {
            let results = try service.verify(runID, as: options.acting)
            var failed = 0, records = 0
            var text = ""
            for v in results {
                records += v.records
                if let failure = v.failure {
                    failed += 1
                    text += "\(v.run): FAILED at record \(failure.seq): \(failure.reason)\n"
                } else if verbose || runID != nil {
                    text += "\(v.run): ok (\(v.records) records)\n"
                }
            }
            if runID == nil { text += Self.summary(runs: results.count, failed: failed, records: records) + "\n" }
            Output.out(text)
            if failed > 0 { throw ExitCode(1) }
        } catch let code as ExitCode {
            throw code
        } catch {
            throw runExit(error)
        }
    }

    /// `2 runs ok (17 records)`, `1 of 3 runs FAILED (40 records)`, or `no runs`.
    static func summary(runs: Int, failed: Int, records: Int) -> String {
        guard runs > 0 else { return "no runs" }
        let counted = "(\(records) records)"
        let plural = runs == 1 ? "run" : "runs"
        return failed == 0 ? "\(runs) \(plural) ok \(counted)" : "\(failed) of \(runs) \(plural) FAILED \(counted)"
    }
}

/// `sop runs [--state S] [--sop ID] [--waiting] [--status S] [--role R] [--ticket-id T] [--due-before T]`
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List runs.")

    @Option(help: "Only runs in this state.") var state: String?
    @Option(help: "Only runs of this SOP (repeatable).") var sop: [String] = []
    @Flag(help: "Only runs that have not ended.") var waiting = false
    @Option(help: "Only runs with this status: waiting or ended.") var status: RunStatusFilter?
    @Option(help: "Only runs waiting on this role.") var role: String?
    @Option(name: .customLong("ticket-id"), help: "Only runs of the ticket with this id.") var ticketID: String?
    @Option(name: .customLong("due-before"), help: "Only runs with a timer due at or before this time (RFC 3339).") var dueBefore: String?
    @Flag(help: "Only runs with an SLA target breached.") var breached = false
    @Option(help: "The order: created (oldest first, the default), or sla-due (running SLA clocks only, the nearest due time first).")
    var sort: RunOrder = .created
    @Option(help: "At most this many runs (then `next` names the cursor of the rest).") var limit: Int?
    @Option(help: "Only runs after this cursor (from a previous page's `next`).") var after: Int64?
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    enum RunStatusFilter: String, ExpressibleByArgument, CaseIterable { case waiting, ended }
    enum RunOrder: String, ExpressibleByArgument, CaseIterable { case created, slaDue = "sla-due" }

    func validate() throws {
        if let dueBefore, CivilTime.parseDateTime(dueBefore) == nil {
            throw ValidationError("--due-before must be an RFC 3339 datetime such as 2026-11-02T09:00:00Z, found '\(dueBefore)'")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if waiting && status == .ended { throw ValidationError("--waiting and --status ended exclude each other") }
        if sort == .slaDue && after != nil { throw ValidationError("--after pages runs in creation order; it does not go with --sort sla-due") }
    }

    func run() throws {
        let service = try options.service()
        do {
            let filter = RunFilter(sops: sop.isEmpty ? nil : sop, state: state, status: waiting ? "waiting" : status?.rawValue, role: role,
                                   ticketID: ticketID, dueBefore: dueBefore.flatMap(CivilTime.parseDateTime), after: after, limit: limit,
                                   slaBreached: breached, bySLADue: sort == .slaDue)
            let page = try service.runs(filter, as: options.acting)
            switch format {
            case .json:
                // The array, as before; with --limit, a page object with the cursor of the rest.
                let runs = JSONValue.array(page.runs.map(\.json))
                if limit == nil {
                    Output.out(runs.render() + "\n")
                } else {
                    Output.out(JSONValue.object([("runs", runs), ("next", page.next.map { .string(String($0)) } ?? .null)]).render() + "\n")
                }
            case .text:
                Output.out(try page.runs.map { r in
                    var line = "\(r.run)  \(r.sop)  \(r.state)  \(r.status)\(r.outcome.map { " (\($0))" } ?? "")  \(CivilTime.formatDateTime(r.updatedAt))"
                    if let due = r.slaDue { line += "  SLA due " + (try RunsCommand.slaDueText(r.run, due, service, as: options.acting)) }
                    if r.slaBreached { line += "  SLA breached" }
                    return line + "\n"
                }.joined())
                if let next = page.next { Output.out("more: --after \(next)\n") }
            }
        } catch {
            throw runExit(error, format: format)
        }
    }

    /// A run's nearest SLA due time as `sop status` prints it: in its calendar's zone. The
    /// stored summary has only the instant, so the run says which target's calendar it is; UTC
    /// if the run no longer has a clock due then (it moved on since the listing was read).
    static func slaDueText(_ run: String, _ due: Int64, _ service: RunService, as who: Acting) throws -> String {
        let (state, engine) = try service.run(run, as: who)
        guard let nearest = engine.nearestSLADue(state), nearest.due == due else { return CivilTime.formatDateTime(due) }
        return nearest.calendar.format(due)
    }

}
