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
        discussion: """
            A folder means every *.sop.yaml and *.test.yaml below it; references between SOPs resolve \
            within the files given. Exit 0 when there are no errors (and, with --strict, no warnings), \
            1 when there are, 2 when files cannot be read or the command line is wrong.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case human, json, sarif, github
    }

    @Argument(help: "Files and folders to lint (default: the --sops folder).")
    var paths: [String] = []

    @Option(help: "Where SOP files are found.")
    var sops: String = "sops"

    @Option(name: .customLong("ticket-schema"), help: "The ticket schema (default: schemas/ticket.schema.json when it exists).")
    var ticketSchema: String?

    @Option(help: "Output format: human, json, sarif or github.")
    var format: Format = .human

    @Flag(help: "Fail (exit 1) on warnings too.")
    var strict = false

    @Flag(help: "Report errors only (and, in the human format, no summary).")
    var quiet = false

    @Option(name: .customLong("max-file-size"), help: "Largest file to read, in bytes.")
    var maxFileSize: Int = YAMLLimits.defaultMaxFileSize

    func validate() throws {
        guard maxFileSize > 0 else { throw ValidationError("--max-file-size must be a positive number of bytes") }
    }

    func run() throws {
        // A schema with a mistake in it is a finding like the others (ticket-schema-syntax, …).
        let (schema, schemaError, files) = try TicketSchemaOption.loadForLint(ticketSchema, paths: paths.isEmpty ? [sops] : paths)
        let linter = Linter(limits: YAMLLimits(maxFileSize: maxFileSize), ticketSchema: schema, ticketSchemaError: schemaError)
        // SOPs linted by name still see the calendars of their folder and of --sops.
        let report = linter.lint(paths: files, contextCalendars: Linter.folderCalendars(of: paths, sopFolder: sops))
        for error in report.inputErrors { Output.err("error: \(error)\n") }

        // Suppressed diagnostics count for nothing; only SARIF shows them, marked as suppressed.
        let all = report.diagnostics.filter { $0.suppression == nil }
        let shown = quiet ? all.filter { $0.severity == .error } : all
        switch format {
        case .human:
            let renderer = HumanRenderer(useColor: Terminal.wantsColor())
            var text = shown.map { renderer.render($0) }.joined()
            if !quiet {
                text += renderer.summary(errors: all.errorCount, warnings: all.warningCount, files: report.fileCount) + "\n"
            }
            Output.out(text)
        case .json:
            Output.out(JSONDiagnosticRenderer.render(shown) + "\n")
        case .sarif:
            let suppressed = report.diagnostics.filter { $0.suppression != nil && (!quiet || $0.severity == .error) }
            Output.out(SARIFRenderer.render((shown + suppressed).sorted(by: Diagnostic.ordered), rules: LintRules.all,
                                            toolVersion: SOPCommand.configuration.version,
                                            baseDirectory: FileManager.default.currentDirectoryPath) + "\n")
        case .github:
            Output.out(shown.map(GitHubRenderer.render).joined())
        }
        if !report.inputErrors.isEmpty { throw ExitCode(2) }
        if all.errorCount > 0 || (strict && all.warningCount > 0) { throw ExitCode(1) }
    }
}

/// `--ticket-schema FILE`, or `schemas/ticket.schema.json` when it exists (CLI.md).
enum TicketSchemaOption {
    static let defaultPath = TicketSchema.defaultPath

    static func load(_ path: String?, forLint: Bool = false) throws -> TicketSchema? {
        try TicketSchema.resolve(path, forLint: forLint)
    }

    /// For lint: the schema, or the diagnostic of its mistake, and the files of `paths`; what
    /// cannot be read exits 2.
    static func loadForLint(_ path: String?, paths: [String]) throws -> (TicketSchema?, Diagnostic?, [String]) {
        do {
            do {
                return (try load(path, forLint: true), nil, try Linter.files(in: paths))
            } catch let error as TicketSchema.LoadError where error.diagnostic != nil {
                return (nil, error.diagnostic, try Linter.files(in: paths))
            }
        } catch {
            Output.err("error: \(error)\n")
            throw ExitCode(2)
        }
    }

    /// The schema and the SOP and test files of `paths`; what cannot be read exits 2.
    static func loadWithFiles(_ path: String?, paths: [String], forLint: Bool = false) throws -> (TicketSchema?, [String]) {
        do {
            return (try load(path, forLint: forLint), try Linter.files(in: paths))
        } catch {
            Output.err("error: \(error)\n")
            throw ExitCode(2)
        }
    }
}
