import ArgumentParser
import Foundation
import SOPCore
import SOPJSON
import SOPService

/// `sop migrate`
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Move runs in flight to another version of their SOP.",
        discussion: """
            Checks a plan first (rule ids as `sop lint` has them), then moves each run in one
            transaction with a journal record of its own. --dry-run prints the plan and every
            refusal without writing. Exit 0 when every run asked for is migrated (or would be),
            1 when the plan has a problem or a run is refused, 2 for bad input.
            """)

    @Option(help: "The SOP file to move the runs to (a version of their SOP).") var to: String
    @Option(name: .customLong("map"), help: ArgumentHelp("Runs waiting in state OLD go to state NEW (repeatable).", valueName: "OLD=NEW"))
    var maps: [String] = []
    @Option(name: .customLong("set"), help: ArgumentHelp("An input the target state needs, as an agent types it (repeatable).", valueName: "INPUT=VALUE"))
    var sets: [String] = []
    @Option(help: "Only runs waiting in this state.") var state: String?
    @Option(help: "Only runs waiting on this role.") var role: String?
    @Option(name: .customLong("ticket-id"), help: "Only runs of this ticket.") var ticketID: String?
    @Option(name: .customLong("run"), help: "Only this run (repeatable).") var runs: [String] = []
    @Flag(name: .customLong("dry-run"), help: "Print the plan and every refusal; write nothing.") var dryRun = false
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func validate() throws {
        for pair in maps + sets where Self.split(pair) == nil {
            throw ValidationError("--map and --set take NAME=VALUE, found '\(pair)'")
        }
    }

    static func split(_ text: String) -> (String, String)? {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { return nil }
        return (String(text[..<eq]), String(text[text.index(after: eq)...]))
    }

    func run() throws {
        let service = try options.service(format: format)
        let entry = service.catalogue.entry(to)
        guard let target = entry.compiled else {
            // As every run command says it: the JSON error object too with --format json.
            if let unreadable = entry.unreadable { throw runExit(RunError.badRequest("\(to): \(unreadable)"), format: format) }
            throw runExit(RunError.invalidSOP(entry.compileError), format: format)
        }
        // A migration is a supervisor's act: the default actor is $USER:supervisor.
        var actor = options.who
        if options.actor == nil { actor.role = "supervisor" }
        let request = MigrationRequest(target: target, map: maps.compactMap(Self.split).map { ($0.0, $0.1) },
                                       set: sets.compactMap(Self.split).map { ($0.0, $0.1) }, state: state, role: role,
                                       ticketID: ticketID, runs: runs.isEmpty ? nil : runs, dryRun: dryRun, who: .actor(actor),
                                       now: options.time)
        let result: MigrationResult
        do {
            result = try service.migrate(request)
        } catch {
            throw runExit(error, format: format)
        }
        switch format {
        case .json: Output.out(result.json().render() + "\n")
        case .text: Output.out(Self.text(result))
        }
        if !result.problems.isEmpty || !result.refused.isEmpty { throw ExitCode(1) }
    }

    /// The plan and what came of it, for people: each mapping with its runs (the first ten),
    /// every refusal, then the counts.
    static func text(_ r: MigrationResult) -> String {
        var out = ""
        if !r.problems.isEmpty {
            out += "the plan cannot be applied:\n"
            for p in r.problems { out += "  error: \(p.message) [\(p.rule)]\n" }
            return out
        }
        let verb = r.dryRun ? "would move" : "moved"
        out += "\(r.sop) to version \(r.targetVersion) (\(r.targetDigest)):\n"
        for move in r.moves {
            let shown = move.runs.prefix(10).joined(separator: ", ")
            let more = move.runs.count > 10 ? ", and \(move.runs.count - 10) more" : ""
            out += "  \(move.from) → \(move.to): \(verb) \(move.runs.count) run\(move.runs.count == 1 ? "" : "s") (\(shown)\(more))\n"
        }
        if !r.refused.isEmpty {
            // Grouped by state, rule and reason, most runs first, with the first ten runs of each
            // (--format json lists every one).
            out += "refused:\n"
            var groups: [(key: String, runs: [String])] = []
            var index: [String: Int] = [:]
            for x in r.refused {
                let key = "\(x.state.isEmpty ? "" : "in \(x.state): ")\(x.refusal.message) [\(x.refusal.rule)]"
                if let i = index[key] { groups[i].runs.append(x.run) } else { index[key] = groups.count; groups.append((key, [x.run])) }
            }
            for group in groups.enumerated().sorted(by: { ($0.element.runs.count, $1.offset) > ($1.element.runs.count, $0.offset) }).map(\.element) {
                let shown = group.runs.prefix(10).joined(separator: ", ")
                let more = group.runs.count > 10 ? ", and \(group.runs.count - 10) more" : ""
                out += "  \(group.runs.count) run\(group.runs.count == 1 ? "" : "s") \(group.key)\n    \(shown)\(more)\n"
            }
        }
        for warning in r.warnings { out += "warning: \(warning)\n" }
        let done = r.dryRun ? "would be migrated" : "migrated"
        out += "\(r.moved) run\(r.moved == 1 ? "" : "s") \(done), \(r.refused.count) refused, \(r.already) already on this version\n"
        return out
    }
}
