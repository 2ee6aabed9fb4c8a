import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop log RUN [--format text|json]`
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "Print a run's journal.")

    @Argument(help: ArgumentHelp("The run's id.", valueName: "run")) var runID: String
    @Option(help: "Output format: text or json (JSON Lines).") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func run() throws {
        let service = try options.service(format: format)
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

    /// One record as a line for people (`RecordForPeople`, as the console shows it): who moved
    /// the run where and why, then what it brought and changed, and the messages it sent.
    static func text(_ r: JournalRecord) -> String {
        let record = RecordForPeople(r)
        var out = "\(record.seq) \(CivilTime.formatDateTime(record.at)) \(record.actor) "
        switch record.happening {
        case .moved(let from, let to): out += "\(from ?? "∅") → \(to) [\(record.trigger)]"
        case .sla(_, let state), .ticketUpdated(let state), .stayed(let state): out += "\(state) [\(record.trigger), no move]"
        }
        if !record.inputs.isEmpty { out += " inputs: " + record.inputs.map { "\($0.name)=\($0.value)" }.joined(separator: " ") }
        if !record.checks.isEmpty { out += " checked: " + record.checks.map(String.init).joined(separator: ",") }
        if !record.changes.isEmpty { out += " changes: " + record.changes.map { "\($0.path)=\($0.value)" }.joined(separator: " ") }
        out += "\n"
        for message in record.messages { out += "    notify \(message.to): \(message.text)\n" }
        return out
    }
}
