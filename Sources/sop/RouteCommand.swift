import ArgumentParser
import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop route --ticket FILE`: the SOPs whose `applies_when` holds for a ticket.
struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "route", abstract: "List the SOPs whose applies_when holds for a ticket.")

    @Option(help: "The ticket: a JSON file, - for standard input, or inline JSON.") var ticket: String
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func run() throws {
        let schema: TicketSchema?
        do {
            schema = try TicketSchemaOption.load(options.ticketSchema)
            _ = try Linter.files(in: [options.sops])  // a missing folder is an error, not "no SOP applies"
        } catch {
            Output.err("error: \(error)\n")
            throw ExitCode(2)
        }
        let json = try readJSON(ticket, what: "ticket", maxBytes: options.maxTicketSize)
        // The SOPs that apply, as the server's route finds them (one operation for every
        // interface); an SOP with lint errors cannot be started, so it is not offered, and
        // standard error says why.
        let catalogue = SOPCatalogue(folder: options.sops, schema: schema)
        for entry in catalogue.entries() where entry.compiled == nil {
            Output.err(entry.unreadable.map { "warning: \(entry.path) cannot be read (\($0)), so it is not considered\n" }
                       ?? "warning: \(entry.path) has lint errors, so it is not considered; run `sop lint`\n")
        }
        let matches: [(sop: String, title: String)]
        do {
            matches = try catalogue.route(ticket: json, only: nil, now: options.time)
        } catch let error as RunError {
            Output.err("error: \(error.reason)\n" + error.instead.map { "  - \($0)\n" }.joined())
            throw ExitCode(error.exitCode)
        }
        switch format {
        case .json:
            Output.out(JSONValue.array(matches.map { .object([("sop", .string($0.sop)), ("title", .string($0.title))]) }).render() + "\n")
        case .text:
            Output.out(matches.isEmpty ? "no SOP applies to this ticket\n" : matches.map { "\($0.sop)  \($0.title)\n" }.joined())
        }
    }
}
