import ArgumentParser
import Foundation
import SOPCore
import SOPDiagnostics
import SOPYAML

/// `sop lint [PATH...]`: lints SOP files and scenario test files.
struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Lint SOP files and scenario tests.",
        discussion: "A folder means every *.sop.yaml and *.test.yaml below it. Exit 0 when there are no errors, 1 when there are, 2 when the files cannot be read."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case human, json
    }

    @Argument(help: "Files and folders to lint (default: the --sops folder).")
    var paths: [String] = []

    @Option(help: "Where SOP files are found.")
    var sops: String = "sops"

    @Option(name: .customLong("ticket-schema"), help: "The ticket schema (default: schemas/ticket.schema.json when it exists).")
    var ticketSchema: String?

    @Option(help: "Output format: human or json.")
    var format: Format = .human

    @Flag(help: "Fail (exit 1) on warnings too.")
    var strict = false

    @Flag(help: "Print only errors, and no summary.")
    var quiet = false

    @Option(name: .customLong("max-file-size"), help: "Largest file to read, in bytes.")
    var maxFileSize: Int = YAMLLimits.defaultMaxFileSize

    func validate() throws {
        guard maxFileSize > 0 else { throw ValidationError("--max-file-size must be a positive number of bytes") }
    }

    func run() throws {
        let schema: TicketSchema?
        do {
            schema = try TicketSchemaOption.load(ticketSchema)
        } catch {
            Output.err("error: \(error)\n")
            throw ExitCode(2)
        }
        let linter = Linter(limits: YAMLLimits(maxFileSize: maxFileSize), ticketSchema: schema)
        let files: [String]
        do {
            files = try Linter.files(in: paths.isEmpty ? [sops] : paths)
        } catch let error as LintInputError {
            Output.err("error: \(error)\n")
            throw ExitCode(2)
        }

        var all: [Diagnostic] = []
        var unreadable = false
        let human = HumanRenderer(useColor: format == .human && Terminal.wantsColor())
        var results: [() throws -> FileLintResult] = linter.runDiagnostics(firstFile: files.first).map { r in { r } }
        results += files.map { file in { try linter.lintFile(atPath: file) } }
        for next in results {
            let result: FileLintResult
            do {
                result = try next()
            } catch {
                Output.err("error: \(error)\n")
                unreadable = true
                continue
            }
            let shown = quiet ? result.diagnostics.filter { $0.severity == .error } : result.diagnostics
            if format == .human {
                var text = ""
                for d in shown { text += human.render(d, source: result.source) }
                Output.out(text)
            }
            all += shown
            if quiet { all += result.diagnostics.filter { $0.severity == .warning } }
        }

        switch format {
        case .json:
            let shown = quiet ? all.filter { $0.severity == .error } : all
            Output.out(JSONDiagnosticRenderer.render(shown) + "\n")
        case .human:
            if !quiet {
                Output.out(human.summary(errors: all.errorCount, warnings: all.warningCount, files: files.count) + "\n")
            }
        }
        if unreadable { throw ExitCode(2) }
        if all.errorCount > 0 || (strict && all.warningCount > 0) { throw ExitCode(1) }
    }
}

/// `--ticket-schema FILE`, or `schemas/ticket.schema.json` when it exists (CLI.md).
enum TicketSchemaOption {
    static let defaultPath = "schemas/ticket.schema.json"

    static func load(_ path: String?) throws -> TicketSchema? {
        if let path {
            guard FileManager.default.fileExists(atPath: path) else {
                throw TicketSchema.LoadError(description: "\(path): no such ticket schema")
            }
            return try TicketSchema.load(path: path)
        }
        guard FileManager.default.fileExists(atPath: defaultPath) else { return nil }
        return try TicketSchema.load(path: defaultPath)
    }
}
