import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop tick`
struct TickCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tick", abstract: "Fire the due timers of every waiting run.")

    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func run() throws {
        let service = try options.service(format: format)
        var kept = (runs: 0, transitions: 0)
        do {
            let (runs, transitions) = try service.tick(now: options.time) { kept = ($0, $1) }
            switch format {
            case .json: Output.out(JSONValue.object([("runs", .int(runs)), ("transitions", .int(transitions))]).render() + "\n")
            case .text: Output.out("\(runs) runs due, \(transitions) transitions taken\n")
            }
        } catch {
            let exit = runExit(error, format: format)
            // The transactions that committed before the failure are kept: say so, or the
            // message ("nothing was written") would read as if the whole tick was undone.
            if kept.runs > 0 {
                Output.err("note: \(kept.runs) runs stepped (\(kept.transitions) transitions) in the transactions before the failure "
                           + "are kept; `sop tick` again takes the rest\n")
            }
            throw exit
        }
    }
}
