import ArgumentParser
import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON

/// `sop graph FILE [--format mermaid|dot]`
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "graph", abstract: "Draw an SOP's state machine.")

    enum GraphFormat: String, ExpressibleByArgument, CaseIterable { case mermaid, dot }

    @Argument(help: "The SOP file.") var file: String
    @Option(help: "Output format: mermaid or dot.") var format: GraphFormat = .mermaid

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            Output.err("error: \(file): cannot be read\n")
            throw ExitCode(2)
        }
        let loaded = SOPLoader.load(SourceFile(path: file, bytes: [UInt8](data)))
        guard let sop = loaded.definition else {
            let renderer = HumanRenderer()
            Output.err(loaded.diagnostics.map { renderer.render($0, source: loaded.source) }.joined())
            throw ExitCode(1)
        }
        Output.out(format == .mermaid ? GraphExport.mermaid(sop) : GraphExport.dot(sop))
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
        let json = try readJSON(ticket, what: "ticket")
        if let schema {
            let violations = schema.validate(json)
            if !violations.isEmpty {
                Output.err("error: the ticket does not fit the ticket schema\n" + violations.map { "  - \($0)\n" }.joined())
                throw ExitCode(1)
            }
        }
        let context = EvaluationContext(ticket: schema?.value(of: json) ?? TicketSchema.untypedValue(json), now: options.time)
        var matches: [(id: String, title: String)] = []
        // Each SOP as it would run: linted, its condition compiled as its guards are. One with
        // lint errors cannot be started, so it is not offered (and standard error says why).
        for entry in SOPCatalogue(folder: options.sops, schema: schema).entries() {
            guard let sop = entry.compiled else {
                Output.err(entry.unreadable.map { "warning: \(entry.path) cannot be read (\($0)), so it is not considered\n" }
                           ?? "warning: \(entry.path) has lint errors, so it is not considered; run `sop lint`\n")
                continue
            }
            if sop.applies(in: context) { matches.append((sop.id, sop.definition.title)) }
        }
        switch format {
        case .json:
            Output.out(JSONValue.array(matches.map { .object([("sop", .string($0.id)), ("title", .string($0.title))]) }).render() + "\n")
        case .text:
            Output.out(matches.isEmpty ? "no SOP applies to this ticket\n" : matches.map { "\($0.id)  \($0.title)\n" }.joined())
        }
    }
}
