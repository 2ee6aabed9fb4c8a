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
        let service = try options.service(format: format)
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

/// Why a line of `--tickets` was not read.
struct BulkLineError: Error {
    var reason: String
}
