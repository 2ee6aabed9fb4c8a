import ArgumentParser
import Foundation

/// The `sop` command: lint, test and run customer-service SOPs.
@main
struct SOPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sop",
        abstract: "Lint, test and run customer-service procedures written as YAML state machines.",
        version: "0.1.0",
        subcommands: [InitCommand.self, LintCommand.self, StartCommand.self, StatusCommand.self, StepCommandLine.self, UpdateCommand.self,
                      TickCommand.self, LogCommand.self, VerifyCommand.self, RunsCommand.self, TestCommand.self,
                      GraphCommand.self, RouteCommand.self, GuideCommand.self, TokenCommand.self, OutboxCommand.self,
                      ServerCommand.self, MCPCommand.self, StoreCommand.self, CalendarCommand.self, ReportCommand.self,
                      ExportCommand.self, DiffCommand.self, MigrateCommand.self, SimulateCommand.self, LSPCommand.self]
    )

    /// CLI.md wants exit code 2 for bad usage; ArgumentParser's default is 64 (EX_USAGE).
    static func main() {
        do {
            // The per-event run commands skip ArgumentParser's reflection when their command
            // line is plain (QuickCommandLine); everything else is parsed by ArgumentParser.
            var command = try QuickCommandLine.command(Array(CommandLine.arguments.dropFirst())) ?? parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// An environment variable's value; nil when it is unset or empty (`USER=` counts as unset, as
/// `SOP_STORE=` does in `StoreLocation.resolve`). Read with `getenv`, not through
/// `ProcessInfo.environment`, which builds a dictionary of every variable (docs/benchmarks.md,
/// "One rendering per record").
func environment(_ name: String) -> String? {
    guard let value = getenv(name), value.pointee != 0 else { return nil }
    return String(cString: value)
}

/// Terminal facts the renderers need.
enum Terminal {
    static func wantsColor(_ handle: FileHandle = .standardOutput) -> Bool {
        if let noColor = environment("NO_COLOR"), !noColor.isEmpty { return false }
        if environment("TERM") == "dumb" { return false }
        return isatty(handle.fileDescriptor) == 1
    }
}

/// Writes to standard output and standard error without Swift's print buffering surprises.
enum Output {
    /// A reader that went away (`sop runs | head`) ends the command as it would end `cat`: by
    /// SIGPIPE, quietly. (SwiftNIO, which the PostgreSQL store brings in, ignores SIGPIPE, so a
    /// write to a closed pipe fails with EPIPE instead.)
    static func out(_ text: String) {
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
        } catch {
            signal(SIGPIPE, SIG_DFL)
            raise(SIGPIPE)
            Foundation.exit(141)
        }
    }

    static func err(_ text: String) {
        // Nothing can be said about a standard error that is gone.
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }
}
