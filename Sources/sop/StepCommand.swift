import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop step RUN [--event E] [--input K=V ...] [--check all|N,...] [--request-id R]`
struct StepCommandLine: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "step", abstract: "Submit inputs, confirm checklist items and/or send an event.")

    @Argument(help: ArgumentHelp("The run's id.", valueName: "run")) var runID: String
    @Option(help: "The event to send.") var event: String?
    @Option(name: .customLong("input"), help: "An input as NAME=VALUE (repeatable).") var inputs: [String] = []
    @Option(help: "Checklist items confirmed: all, or item numbers such as 1,2.") var check: String?
    @Option(name: .customLong("request-id"), help: "Apply this request at most once.") var requestID: String?
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    func validate() throws {
        var seen = Set<String>()
        for input in inputs {
            guard let i = input.firstIndex(of: "=") else { throw ValidationError("--input must be NAME=VALUE, found '\(input)'") }
            let name = String(input[..<i])
            guard seen.insert(name).inserted else {
                throw ValidationError("--input \(name) is given more than once; give each input once")
            }
        }
        _ = try checks()
    }

    func checks() throws -> ChecklistSelection? {
        guard let check else { return nil }
        if check == "all" { return .all }
        let numbers = check.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--check must be 'all' or item numbers such as 1,2, found '\(check)'")
        }
        return .items(numbers.map { $0! })
    }

    func run() throws {
        let service = try options.service(format: format)
        let pairs = inputs.map { input -> (String, String) in
            let i = input.firstIndex(of: "=")!
            return (String(input[..<i]), String(input[input.index(after: i)...]))
        }
        do {
            let result = try service.step(runID, .submit(inputs: pairs, event: event, checks: try checks()), as: options.acting,
                                          now: options.time, requestID: requestID, stamp: options.stamp)
            if result.duplicate && format == .text { Output.out("request \(requestID ?? "") was already applied\n") }
            RunView.print(result.run, result.engine, format: format, actor: options.who, now: options.time)
        } catch {
            throw runExit(error, format: format)
        }
    }
}
