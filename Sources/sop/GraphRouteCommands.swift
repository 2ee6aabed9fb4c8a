import ArgumentParser
import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop graph FILE|SOP [--format mermaid|dot]`
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "graph", abstract: "Draw an SOP's state machine.")

    enum GraphFormat: String, ExpressibleByArgument, CaseIterable { case mermaid, dot, svg }

    @Argument(help: "The SOP: a file, or an SOP's id in the SOP folder.") var sop: String
    @Option(help: "Output format: mermaid, dot or svg.") var format: GraphFormat = .mermaid
    @Option(help: "Where SOP files are found (for an id).") var sops: String = RunOptions.defaultSOPFolder
    @Option(name: .customLong("ticket-schema"), help: "The ticket schema (default: schemas/ticket.schema.json when it exists).")
    var ticketSchema: String?

    func run() throws {
        let schema: TicketSchema?
        do {
            schema = try TicketSchemaOption.load(ticketSchema, forLint: true)
        } catch {
            Output.err("error: \(error)\n")
            throw ExitCode(2)
        }
        // A path names a file; anything else is an SOP's id in the SOP folder.
        let catalogue: SOPCatalogue
        let path: String
        if FileManager.default.fileExists(atPath: sop) {
            path = sop
            catalogue = SOPCatalogue(paths: [sop], schema: schema)
        } else {
            catalogue = SOPCatalogue(folder: sops, schema: schema)
            guard let found = catalogue.entries().first(where: { $0.id == sop }) else {
                let known = catalogue.entries().compactMap(\.id)
                Output.err("error: \(sop): no such file, and no SOP with this id in \(sops)"
                           + (Suggestions.didYouMean(sop, in: known).map { "; \($0)" } ?? "") + "\n")
                throw ExitCode(2)
            }
            path = found.path
        }
        let entry = catalogue.entry(path)
        if let reason = entry.unreadable {
            Output.err("error: \(path): \(reason)\n")
            throw ExitCode(2)
        }
        // An SOP with lint errors is not drawn: the drawing would show a machine that cannot run.
        guard let compiled = entry.compiled else {
            let renderer = HumanRenderer()
            let source = SourceFile(path: path, bytes: [UInt8](FileManager.default.contents(atPath: path) ?? Data()))
            Output.err(entry.diagnostics.filter { $0.severity == .error }.map { renderer.render($0, source: source) }.joined())
            Output.err("error: \(path) has lint errors; it is not drawn\n")
            throw ExitCode(1)
        }
        switch format {
        case .mermaid: Output.out(GraphExport.mermaid(compiled.definition))
        case .dot: Output.out(GraphExport.dot(compiled.definition))
        case .svg: Output.out(GraphSVG.svg(compiled.definition))
        }
    }
}

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
