import ArgumentParser
import Foundation
import SOPCore
import SOPDiagnostics
import SOPJSON

/// `sop calendar due|between`: business-time arithmetic on the calendars of the SOP folder
/// (docs/calendars.md), to check and script it on its own.
struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar", abstract: "Business-hours arithmetic on the SOP folder's calendars.",
        subcommands: [Due.self, Between.self])

    struct Options: ParsableArguments {
        @Option(help: "Where SOP files (and *.calendar.yaml files, also in its calendars/ folder) are found.") var sops = "sops"
        @Option(help: "Output format: text or json.") var format: OutputFormat = .text

        /// The calendar with this id, from the folder's calendars as runs get them
        /// (`CalendarSet.load`); exits 2 (with the reason) when there is none or it has errors.
        func calendar(_ id: String) throws -> BusinessCalendar {
            let calendars = CalendarSet.load(paths: [sops])
            if let entry = calendars[id] { return entry.calendar }
            // A file named after the calendar that does not build: say why.
            for path in CalendarLoader.files(inSOPFolder: sops) where (path as NSString).lastPathComponent.hasPrefix(id + ".calendar.") {
                guard let source = try? SourceFile(path: path, bytes: Array(Data(contentsOf: URL(fileURLWithPath: path)))) else { continue }
                let loaded = CalendarLoader.load(source)
                guard loaded.calendar == nil else { continue }
                Output.err("error: \(path) has errors (sop lint \(path)):\n")
                let renderer = HumanRenderer()
                for d in Linter.withSourceLines(loaded.diagnostics, source) where d.severity == .error { Output.err(renderer.render(d)) }
                throw ExitCode(2)
            }
            Output.err("error: no calendar '\(id)' in \(sops)" + (calendars.ids.isEmpty ? " (it has no *.calendar.yaml files)\n"
                : "; its calendars are \(calendars.ids.joined(separator: ", "))\n"))
            throw ExitCode(2)
        }
    }

    struct Due: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the instant a business duration after a time falls due (RFC 3339, in the calendar's zone).")

        @Argument(help: "The calendar's id.") var calendar: String
        @Option(help: "The start: RFC 3339, or a local date and time in the calendar's zone (2025-01-10T17:55).") var from: String
        @Option(help: "The business duration: 4h, 1h30m, 5d (business days), 2d 4h.") var add: String
        @OptionGroup var options: Options

        func validate() throws {
            guard BusinessDuration.parse(add) != nil else {
                throw ValidationError("--add must be a duration such as 4h, 1h30m, 5d or 2d 4h, found '\(add)'")
            }
        }

        func run() throws {
            let calendar = try options.calendar(self.calendar)
            guard let start = calendar.parseInstant(from) else {
                Output.err("error: --from must be an RFC 3339 time or a local time such as 2025-01-10T17:55, found '\(from)'\n")
                throw ExitCode(2)
            }
            let duration = BusinessDuration.parse(add)!
            guard let due = calendar.add(duration, to: start) else {
                Output.err("error: calendar '\(calendar.id)' has no open hours for \(duration) within three years of \(calendar.format(start))\n")
                throw ExitCode(2)
            }
            switch options.format {
            case .text: Output.out(calendar.format(due) + "\n")
            case .json:
                Output.out(JSONValue.object([("calendar", .string(calendar.id)), ("from", .string(calendar.format(start))),
                                             ("add", .string(duration.description)), ("due", .string(calendar.format(due)))]).render() + "\n")
            }
        }
    }

    struct Between: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the business time between two instants.")

        @Argument(help: "The calendar's id.") var calendar: String
        @Option(help: "The start: RFC 3339, or a local date and time in the calendar's zone.") var from: String
        @Option(help: "The end: RFC 3339, or a local date and time in the calendar's zone.") var to: String
        @OptionGroup var options: Options

        func run() throws {
            let calendar = try options.calendar(self.calendar)
            guard let start = calendar.parseInstant(from), let end = calendar.parseInstant(to) else {
                Output.err("error: --from and --to must be RFC 3339 times or local times such as 2025-01-10T17:55\n")
                throw ExitCode(2)
            }
            let ms = calendar.between(start, end)
            switch options.format {
            case .text: Output.out(BusinessDuration.format(ms) + "\n")
            case .json:
                Output.out(JSONValue.object([("calendar", .string(calendar.id)), ("from", .string(calendar.format(start))),
                                             ("to", .string(calendar.format(end))), ("business_ms", .int(Int(ms))),
                                             ("business", .string(BusinessDuration.format(ms)))]).render() + "\n")
            }
        }
    }
}
