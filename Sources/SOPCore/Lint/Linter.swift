import Foundation
import SOPDiagnostics
import SOPYAML

/// What went wrong that stops the linter from doing its work at all (exit code 2).
public enum LintInputError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case unreadable(String, String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path): no such file or folder"
        case .unreadable(let path, let reason): return "\(path): cannot be read: \(reason)"
        }
    }
}

/// The kinds of file `sop lint` reads.
public enum SOPFileKind: Sendable {
    case sop
    case scenarioTest

    public init(path: String) {
        self = path.hasSuffix(".test.yaml") || path.hasSuffix(".test.yml") ? .scenarioTest : .sop
    }
}

/// One linted file: its source (for rendering) and its diagnostics in output order.
public struct FileLintResult: Sendable {
    public var source: SourceFile?
    public var diagnostics: [Diagnostic]
}

/// Lints SOP and scenario files: loads each, runs every rule, and orders the findings.
public struct Linter: Sendable {
    public var limits: YAMLLimits
    /// The ticket model; without one, `ticket.*` paths are unchecked.
    public var ticketSchema: TicketSchema?

    public init(limits: YAMLLimits = YAMLLimits(), ticketSchema: TicketSchema? = nil) {
        self.limits = limits
        self.ticketSchema = ticketSchema
    }

    /// Findings about the whole run rather than one SOP: unsupported keywords in the ticket
    /// schema, or, once, that there is no ticket schema (reported on `firstFile`).
    public func runDiagnostics(firstFile: String?) -> [FileLintResult] {
        if let ticketSchema {
            return ticketSchema.diagnostics.isEmpty ? [] : [FileLintResult(source: ticketSchema.source, diagnostics: ticketSchema.diagnostics)]
        }
        guard let firstFile else { return [] }
        return [FileLintResult(source: nil, diagnostics: [Diagnostic(
            file: firstFile, span: .fileStart, rule: .noTicketSchema,
            message: "no ticket schema was found, so ticket fields are not checked",
            help: "create schemas/ticket.schema.json, or pass --ticket-schema FILE")])]
    }

    /// The files a list of paths names: files as given, folders searched for `*.sop.yaml` and
    /// `*.test.yaml`, sorted so output does not depend on the file system's order.
    public static func files(in paths: [String]) throws -> [String] {
        let fm = FileManager.default
        var result: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { throw LintInputError.notFound(path) }
            guard isDirectory.boolValue else { result.append(path); continue }
            guard let walker = fm.enumerator(atPath: path) else {
                throw LintInputError.unreadable(path, "the folder cannot be listed")
            }
            var found: [String] = []
            while let relative = walker.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                guard name.hasSuffix(".sop.yaml") || name.hasSuffix(".sop.yml") || name.hasSuffix(".test.yaml")
                        || name.hasSuffix(".test.yml") else { continue }
                found.append(path.hasSuffix("/") ? path + relative : path + "/" + relative)
            }
            result += found.sorted()
        }
        var seen = Set<String>()
        return result.filter { seen.insert($0).inserted }
    }

    /// Lints one file from disk. Throws only when the file cannot be read at all.
    public func lintFile(atPath path: String) throws -> FileLintResult {
        let fm = FileManager.default
        if let size = (try? fm.attributesOfItem(atPath: path))?[.size] as? Int,
           let tooBig = limits.sizeDiagnostic(file: path, size: size) {
            return FileLintResult(source: nil, diagnostics: [tooBig])
        }
        guard let data = fm.contents(atPath: path) else {
            throw LintInputError.unreadable(path, fm.isReadableFile(atPath: path) ? "read failed" : "permission denied")
        }
        return lint(SourceFile(path: path, bytes: [UInt8](data)))
    }

    /// Lints one file's contents.
    public func lint(_ source: SourceFile) -> FileLintResult {
        var diagnostics: [Diagnostic]
        switch SOPFileKind(path: source.path) {
        case .scenarioTest:
            diagnostics = YAMLParser.parse(source, limits: limits).diagnostics
        case .sop:
            let loaded = SOPLoader.load(source, limits: limits)
            diagnostics = loaded.diagnostics
            if let definition = loaded.definition {
                var sink = DiagnosticSink(file: source.path)
                for rule in SOPRules.all { rule.check(definition, into: &sink) }
                diagnostics += sink.diagnostics
                var expressions = ExpressionPass(sop: definition, source: source, ticketType: ticketSchema?.type)
                diagnostics += expressions.run().diagnostics
            }
        }
        diagnostics.sort(by: Diagnostic.ordered)
        return FileLintResult(source: source, diagnostics: diagnostics)
    }
}
