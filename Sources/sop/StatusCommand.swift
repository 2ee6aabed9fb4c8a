import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop status RUN`
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show where a run is and what can be done.")

    @Argument(help: ArgumentHelp("The run's id.", valueName: "run")) var runID: String
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func run() throws {
        let service = try options.service(format: format)
        do {
            let (state, engine, due) = try service.projected(runID, as: options.acting, now: options.time)
            RunView.print(state, engine, format: format, actor: options.who, now: options.time, dueRecords: due)
        } catch {
            throw runExit(error, format: format)
        }
    }
}
