import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop report`: the service KPIs of a period, from the journals (docs/report.md).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Service KPIs of a period, computed from the journals (docs/report.md).")

    @Option(help: "The period's start (RFC 3339, or a date YYYY-MM-DD at midnight in --tz; default: 30 days before --to).") var from: String?
    @Option(help: "The period's end, not included (RFC 3339 or a date; default: now).") var to: String?
    @Option(help: "The IANA time zone of day boundaries (dates, trends).") var tz = "UTC"
    @Option(help: "Only runs of this SOP (repeatable).") var sop: [String] = []
    @Option(help: "Outcomes that resolve the problem, comma-separated (first-contact resolution).") var resolving = "resolved,refunded,replaced"
    @Option(name: .customLong("reopen-days"), help: "A reopen within this many days spoils first-contact resolution.") var reopenDays = 7
    @Flag(help: "Trends per week instead of per day.") var weekly = false
    @Option(help: "Output format: text, json or csv.") var format: ReportFormat = .text
    @Option(help: "Also write the report as one self-contained HTML file with charts.") var html: String?
    @OptionGroup var options: RunOptions

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case text, json, csv }

    func validate() throws {
        guard ReportOptions.isTimeZone(tz) else {
            throw ValidationError("--tz must be an IANA time zone such as Europe/Berlin, found '\(tz)'")
        }
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, instant(value) == nil {
                throw ValidationError("\(name) must be an RFC 3339 time or a date such as 2026-11-01, found '\(value)'")
            }
        }
        if reopenDays < 0 { throw ValidationError("--reopen-days must not be negative") }
    }

    /// RFC 3339, or a date read as midnight in --tz.
    func instant(_ text: String) -> Int64? { ReportOptions.instant(text, timeZone: tz) }

    func run() throws {
        let service = try options.service(memoryMapped: false)
        let (start, end): (Int64, Int64)
        do {
            (start, end) = try ReportOptions.period(from: from, to: to, timeZone: tz, now: options.time, names: ("--from", "--to"))
        } catch {
            throw runExit(error)
        }
        let reportOptions = ReportOptions(from: start, to: end, timeZone: tz,
                                          resolving: Set(resolving.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }),
                                          reopenDays: reopenDays, weekly: weekly, sops: sop.isEmpty ? nil : Set(sop))
        let report: ServiceReport
        let bar = ProgressBar.onTerminal(label: "report", unit: "records")
        do {
            defer { bar?.clear() }
            report = try service.report(reportOptions, as: options.acting, progress: bar?.update)
        } catch {
            throw runExit(error)
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
        case .csv: Output.out(report.csv())
        }
    }
}
