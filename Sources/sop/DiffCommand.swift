import ArgumentParser
import Foundation
import SOPCore
import SOPDiagnostics
import SOPService

/// `sop diff OLD NEW` / `sop diff SOP --git REV`: what changed between two versions of an SOP,
/// by meaning (docs/cli.md, `sop diff`). The comparison is `SOPDiff.compare`; this loads the two
/// versions, counts waiting runs with `--store`, and renders.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two versions of an SOP, by meaning.",
        discussion: """
            OLD and NEW are SOP files (or SOP ids in the --sops folder). With --git REV, give one SOP: \
            its file as it was at the git revision REV is OLD, the working tree's file is NEW. \
            With --store, the runs waiting on an earlier version are counted by state, and the changes \
            that strand or break them are marked as needing a migration. \
            Exit 0 when compared (with --exit-code: 1 when there are changes), 2 when a file cannot be \
            read, has lint errors, or the command line is wrong.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, markdown, svg, mermaid }

    @Argument(help: ArgumentHelp("OLD NEW: two SOP files or ids; with --git, one.", valueName: "old-new"))
    var versions: [String] = []

    @Option(help: ArgumentHelp("Compare the SOP as it was at this git revision with the working tree's file.", valueName: "rev"))
    var git: String?

    @Option(help: "Output format: text, json, markdown, svg or mermaid.")
    var format: Format = .text

    @Option(help: ArgumentHelp("A run store (a SQLite file or a postgres:// URL): count the runs waiting in each changed state; no store is read without it.", valueName: "store"))
    var store: String?

    @Flag(name: .customLong("exit-code"), help: "Exit 1 when there are changes (as git diff --exit-code).")
    var exitCode = false

    @Option(help: "Where SOP files are found (for an id).")
    var sops: String = RunOptions.defaultSOPFolder

    @Option(name: .customLong("ticket-schema"), help: "The ticket schema (default: schemas/ticket.schema.json when it exists).")
    var ticketSchema: String?

    func validate() throws {
        if git != nil {
            guard versions.count == 1 else { throw ValidationError("with --git, give one SOP (a file or an id), not \(versions.count)") }
        } else {
            guard versions.count == 2 else { throw ValidationError("give two versions to compare, OLD and NEW (or one SOP with --git REV)") }
        }
    }

    func run() throws {
        let schema: TicketSchema?
        do {
            schema = try TicketSchemaOption.load(ticketSchema, forLint: true)
        } catch {
            Output.err("error: \(error)\n")
            throw ExitCode(2)
        }
        let old: CompiledSOP, new: CompiledSOP, oldName: String, newName: String
        if let git {
            let path = try resolve(versions[0])
            let shown = try GitRevision.show(git, path: path)
            oldName = shown.name
            old = try compile(SourceFile(path: shown.name, bytes: shown.bytes), calendarsBeside: path, schema: schema)
            newName = path
            new = try compile(try read(path), calendarsBeside: path, schema: schema)
        } else {
            oldName = try resolve(versions[0])
            newName = try resolve(versions[1])
            old = try compile(try read(oldName), calendarsBeside: oldName, schema: schema)
            new = try compile(try read(newName), calendarsBeside: newName, schema: schema)
        }
        if old.id != new.id {
            Output.err("warning: \(oldName) is SOP '\(old.id)' and \(newName) is SOP '\(new.id)'; they are compared all the same\n")
        }
        let changes = SOPDiff.compare(old.definition, new.definition)
        var waiting: [String: Int]?
        if let store {
            var options = try RunOptions.parse([])
            options.store = store
            options.sops = sops
            options.ticketSchema = ticketSchema
            guard options.storeMayExist else {
                Output.err("error: no store at \(store)\n")
                throw ExitCode(2)
            }
            do {
                // Runs of OLD's id are the ones in flight; those already on NEW need nothing. The
                // count reads the index pages of every run of the SOP once: unmapped, they do not
                // stay in the command's resident memory (decisions.md, "Comparing versions").
                waiting = try options.service(memoryMapped: false).waitingCounts(sop: old.id, excludingDigest: new.digest)
            } catch let error as ExitCode {
                throw error
            } catch {
                Output.err("error: \(error)\n")
                throw ExitCode(2)
            }
        }
        let diagram = DiffDiagram(old: old.definition, new: new.definition, changes: changes)
        let report = DiffReport(old: .init(file: oldName, sop: old.id, version: old.version),
                                new: .init(file: newName, sop: new.id, version: new.version),
                                changes: changes, waiting: waiting, mermaid: diagram.mermaid())
        switch format {
        case .text: Output.out(report.text())
        case .json: Output.out(report.json())
        case .markdown: Output.out(report.markdown())
        case .mermaid: Output.out(report.mermaid)
        case .svg: Output.out(diagram.svg())
        }
        if exitCode && !changes.isEmpty { throw ExitCode(1) }
    }

    /// A path names a file; anything else is an SOP's id in the SOP folder.
    func resolve(_ given: String) throws -> String {
        if FileManager.default.fileExists(atPath: given) { return given }
        let catalogue = SOPCatalogue(folder: sops, schema: nil)
        if let found = catalogue.entries().first(where: { $0.id == given }) { return found.path }
        let known = catalogue.entries().compactMap(\.id)
        Output.err("error: \(given): no such file, and no SOP with this id in \(sops)"
                   + (Suggestions.didYouMean(given, in: known).map { "; \($0)" } ?? "") + "\n")
        throw ExitCode(2)
    }

    func read(_ path: String) throws -> SourceFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            Output.err("error: \(path): the file cannot be read\n")
            throw ExitCode(2)
        }
        return SourceFile(path: path, bytes: [UInt8](data))
    }

    /// The SOP compiled, with the calendars of `folder`'s SOP folder; lint errors are printed as
    /// `sop lint` prints them, and exit 2: a version that cannot run is not compared.
    func compile(_ source: SourceFile, calendarsBeside path: String, schema: TicketSchema?) throws -> CompiledSOP {
        let linted = Linter(ticketSchema: schema).lint(source)
        do {
            return try CompiledSOP.compile(linted: linted, source: source, calendars: CalendarSet.load(paths: [path]))
        } catch {
            let renderer = HumanRenderer()
            Output.err(error.diagnostics.map { renderer.render($0, source: source) }.joined())
            Output.err("error: \(source.path) has lint errors; it is not compared\n")
            throw ExitCode(2)
        }
    }
}

/// Reads a file as it was at a git revision (`sop diff --git`), with the reasons it cannot.
enum GitRevision {
    /// The file's bytes at `revision`, and the name messages give it (`REV:path` from the top of
    /// the repository). Exits 2 with the reason when git is missing, the folder is not in a
    /// repository, the revision is unknown, or the file did not exist at it.
    static func show(_ revision: String, path: String) throws -> (name: String, bytes: [UInt8]) {
        let file = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
        let folder = file.deletingLastPathComponent().path
        func fail(_ message: String) -> ExitCode {
            Output.err("error: \(message)\n")
            return ExitCode(2)
        }
        guard let top = try git(["rev-parse", "--show-toplevel"], in: folder) else {
            throw fail("\(path) is not in a git repository; --git needs one")
        }
        let root = URL(fileURLWithPath: String(decoding: top, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            .resolvingSymlinksInPath().path
        let relative = file.path.hasPrefix(root + "/") ? String(file.path.dropFirst(root.count + 1)) : file.lastPathComponent
        guard !revision.hasPrefix("-"), try git(["rev-parse", "--verify", "--quiet", revision + "^{commit}"], in: root) != nil else {
            throw fail("'\(revision)' is not a git revision of \(root)")
        }
        guard let bytes = try git(["show", "\(revision):\(relative)"], in: root) else {
            throw fail("\(relative) did not exist at \(revision); there is no earlier version to compare with")
        }
        return ("\(revision):\(relative)", bytes)
    }

    /// Runs git; its standard output when it succeeds, nil when it fails. Throws (exit 2) when
    /// there is no git to run.
    static func git(_ arguments: [String], in folder: String) throws -> [UInt8]? {
        let paths = (environment("PATH") ?? "/usr/bin:/bin").split(separator: ":").map { String($0) + "/git" }
        guard let executable = paths.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Output.err("error: --git needs git, and there is none on PATH\n")
            throw ExitCode(2)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-C", folder] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            Output.err("error: git cannot be run: \(error.localizedDescription)\n")
            throw ExitCode(2)
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? [UInt8](data) : nil
    }
}
