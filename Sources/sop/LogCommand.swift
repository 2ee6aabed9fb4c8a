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
