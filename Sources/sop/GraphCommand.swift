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
