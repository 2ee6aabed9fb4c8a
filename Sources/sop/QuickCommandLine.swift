import ArgumentParser
import SOPCore

/// The run commands a helpdesk or a scheduler calls once per ticket event — `step`, `tick`,
/// `start`, `status` — parsed without ArgumentParser's reflection.
///
/// ArgumentParser reads a command's options by reflecting on its properties, and on Linux each
/// first look-up of a generic type or a conformance scans every conformance in the binary: about
/// 1.5 ms of a 6 ms `sop step` (docs/benchmarks.md). This parser builds the same command values
/// from the same option names, for the plain spellings only: `--name value`, `--name=value` and
/// positional arguments, each option at most once (`--input` repeats). Anything else — help,
/// `--`, a short flag, an unknown or repeated option, a value that starts with `-`, a missing
/// argument, a value ArgumentParser would refuse, a command whose `validate()` fails — returns nil,
/// and ArgumentParser parses the command line as always, with its messages and exit codes. So this
/// is only ever a faster way to the value ArgumentParser would build; `QuickCommandLineTests`
/// checks that it is, and that every option of these commands is known here.
enum QuickCommandLine {
    /// The command `arguments` (without the program name) ask for, or nil to leave them to
    /// ArgumentParser.
    static func command(_ arguments: [String]) -> ParsableCommand? {
        guard let name = arguments.first, let spec = specs[name],
              let parsed = Parsed(Array(arguments.dropFirst()), spec) else { return nil }
        guard var command = spec.build(parsed) else { return nil }
        do {
            try command.validate()
        } catch {
            return nil
        }
        return command
    }

    /// What one command accepts: how many positional arguments, which options take one value and
    /// which may repeat, and how to build the command from them.
    struct Spec: Sendable {
        var positionals: Int
        var options: Set<String>
        var repeatable: Set<String> = []
        var build: @Sendable (Parsed) -> ParsableCommand?
    }

    static let specs: [String: Spec] = [
        "step": Spec(positionals: 1, options: ["event", "check", "request-id", "format"], repeatable: ["input"]) { p in
            guard let format = p.format, let options = p.runOptions else { return nil }
            var c = StepCommandLine()
            c.runID = p.positionals[0]
            c.event = p.values["event"]
            c.inputs = p.lists["input"] ?? []
            c.check = p.values["check"]
            c.requestID = p.values["request-id"]
            c.format = format
            c.options = options
            return c
        },
        "tick": Spec(positionals: 0, options: ["format"]) { p in
            guard let format = p.format, let options = p.runOptions else { return nil }
            var c = TickCommand()
            c.format = format
            c.options = options
            return c
        },
        "start": Spec(positionals: 1, options: ["ticket", "tickets", "id", "format"]) { p in
            guard let format = p.format, let options = p.runOptions else { return nil }
            var c = StartCommand()
            c.sop = p.positionals[0]
            c.ticket = p.values["ticket"]
            c.tickets = p.values["tickets"]
            c.id = p.values["id"]
            c.format = format
            c.options = options
            return c
        },
        "status": Spec(positionals: 1, options: ["format"]) { p in
            guard let format = p.format, let options = p.runOptions else { return nil }
            var c = StatusCommand()
            c.runID = p.positionals[0]
            c.format = format
            c.options = options
            return c
        },
    ]

    /// The options every run command shares (`RunOptions`).
    static let runOptionNames: Set<String> = ["sops", "ticket-schema", "store", "now", "actor", "max-ticket-size"]

    /// A command line split by a spec.
    struct Parsed {
        var positionals: [String] = []
        var values: [String: String] = [:]
        var lists: [String: [String]] = [:]

        init?(_ arguments: [String], _ spec: Spec) {
            var i = 0
            while i < arguments.count {
                let argument = arguments[i]
                i += 1
                guard argument.hasPrefix("-") else {
                    positionals.append(argument)
                    continue
                }
                guard argument.hasPrefix("--"), argument.count > 2 else { return nil }
                var name = String(argument.dropFirst(2))
                let value: String
                if let equals = name.firstIndex(of: "=") {
                    value = String(name[name.index(after: equals)...])
                    name = String(name[..<equals])
                } else {
                    guard i < arguments.count else { return nil }
                    value = arguments[i]
                    i += 1
                }
                guard !value.hasPrefix("-") else { return nil }
                if spec.repeatable.contains(name) {
                    lists[name, default: []].append(value)
                } else if spec.options.contains(name) || QuickCommandLine.runOptionNames.contains(name) {
                    guard values.updateValue(value, forKey: name) == nil else { return nil }
                } else {
                    return nil
                }
            }
            guard positionals.count == spec.positionals else { return nil }
        }

        /// `--format`, or its default; nil for a value ArgumentParser would refuse.
        var format: OutputFormat? {
            guard let text = values["format"] else { return .text }
            return OutputFormat(rawValue: text)
        }

        var runOptions: RunOptions? {
            var o = RunOptions()
            o.sops = values["sops"] ?? RunOptions.defaultSOPFolder
            o.ticketSchema = values["ticket-schema"]
            o.store = values["store"]
            o.now = values["now"]
            o.actor = values["actor"]
            if let size = values["max-ticket-size"] {
                guard let bytes = Int(size) else { return nil }
                o.maxTicketSize = bytes
            } else {
                o.maxTicketSize = TicketSize.defaultLimit
            }
            do {
                try o.validate()
            } catch {
                return nil
            }
            return o
        }
    }
}
