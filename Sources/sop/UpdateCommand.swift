import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop update RUN --ticket PATCH`
struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Apply a JSON merge patch to a run's ticket.")

    @Argument(help: ArgumentHelp("The run's id.", valueName: "run")) var runID: String
    @Option(help: "The merge patch: a JSON file, - for standard input, or inline JSON.") var ticket: String
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func run() throws {
        let service = try options.service(format: format)
        let patch = try readJSON(ticket, what: "ticket patch", maxBytes: options.maxTicketSize)
        do {
            let result = try service.step(runID, .update(patch: patch), as: options.acting, now: options.time, stamp: options.stamp)
            RunView.print(result.run, result.engine, format: format, actor: options.who, now: options.time)
        } catch {
            throw runExit(error, format: format)
        }
    }
}
