import ArgumentParser
import Foundation
import SOPCore
import SOPJSON
import SOPService

/// `sop simulate CANDIDATE`: replays the recorded runs of the candidate's SOP id through the
/// candidate file and says where they would part (docs/cli.md). Reads the store, never writes it.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Replay recorded runs through a candidate SOP file and report where they diverge.")

    @Argument(help: ArgumentHelp("The candidate SOP file.", valueName: "candidate")) var candidate: String
    @Option(help: "Only runs started at or after this time (RFC 3339, or a date YYYY-MM-DD at midnight UTC).") var from: String?
    @Option(help: "Only runs started before this time (RFC 3339 or a date).") var to: String?
    @Option(help: "Only runs whose recorded state is this.") var state: String?
    @Flag(help: "Only runs that have not ended.") var waiting = false
    @Option(help: "Only runs with this status: waiting or ended.") var status: RunsCommand.RunStatusFilter?
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @Option(help: "Also write the simulation as one self-contained HTML file with charts.") var html: String?
    @Option(name: .customLong("max-diverged"), help: "Exit 1 when more than this percentage of the replayed runs diverge.")
    var maxDiverged: Double?
    @OptionGroup var options: RunOptions

    func validate() throws {
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, ReportOptions.instant(value, timeZone: "UTC") == nil {
                throw ValidationError("\(name) must be an RFC 3339 time or a date such as 2026-11-01, found '\(value)'")
            }
        }
        if let maxDiverged, !(0...100).contains(maxDiverged) {
            throw ValidationError("--max-diverged must be a percentage from 0 to 100, found \(maxDiverged)")
        }
        if waiting && status == .ended { throw ValidationError("--waiting and --status ended exclude each other") }
    }

    func run() throws {
        // Opening a missing SQLite path would create an empty store: simulate never writes.
        let service = try options.service(memoryMapped: false, mustExist: true)
        let filter = SimulationFilter(from: from.flatMap { ReportOptions.instant($0, timeZone: "UTC") },
                                      to: to.flatMap { ReportOptions.instant($0, timeZone: "UTC") },
                                      state: state, status: waiting ? "waiting" : status?.rawValue)
        let report: SimulationReport
        do {
            let loaded = try SimulationCandidate.load(candidate, catalogue: service.catalogue)
            let bar = ProgressBar.onTerminal(label: "simulate", unit: "runs")
            defer { bar?.clear() }
            report = try service.simulate(loaded, filter: filter, as: options.acting, progress: bar?.update)
        } catch {
            throw runExit(error, format: format)
        }
        if let html {
            do {
                try Data(report.html().utf8).write(to: URL(fileURLWithPath: html))
            } catch {
                Output.err("error: cannot write \(html): \(error.localizedDescription)\n")
                throw ExitCode(2)
            }
        }
        switch format {
        case .text: Output.out(report.text())
        case .json: Output.out(report.json().render() + "\n")
        }
        if let maxDiverged, report.divergedPercent > maxDiverged {
            Output.err("error: \(report.diverged.count) of \(report.replayed) runs diverged (\(String(format: "%.1f", report.divergedPercent))%), more than --max-diverged \(maxDiverged == maxDiverged.rounded() ? String(Int(maxDiverged)) : String(maxDiverged))%\n")
            throw ExitCode(1)
        }
    }
}
