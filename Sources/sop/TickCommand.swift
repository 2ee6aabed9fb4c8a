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
