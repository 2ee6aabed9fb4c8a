import Foundation
import SOPCore
import SOPDiagnostics

/// Locates the fixtures next to this file and renders lint results as the golden files hold them.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let lintRoot = root.appendingPathComponent("lint")

    /// The fixtures of a folder: `*.sop.yaml` and `*.test.yaml` files, and sub-folders (a set of
    /// files linted together, for rules across files).
    static func cases(in folder: String) -> [String] {
        let dir = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &isDirectory)
            return exists && (isDirectory.boolValue || name.hasSuffix(".sop.yaml") || name.hasSuffix(".test.yaml")
                              || name.hasSuffix(".calendar.yaml"))
        }.sorted()
    }

    static func files(in folder: String, suffix: String = ".sop.yaml") -> [String] {
        cases(in: folder).filter { $0.hasSuffix(suffix) }
    }

    /// The fixture's name without its extension: the golden file is `NAME.out`.
    static func stem(_ name: String) -> String {
        for suffix in [".sop.yaml", ".test.yaml", ".calendar.yaml"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return name
    }

    /// Lints a fixture (a file, or every file of a folder as one set) under paths relative to
    /// Fixtures/lint, so golden files hold no absolute paths.
    static func lint(_ relativePath: String) throws -> LintReport {
        let url = lintRoot.appendingPathComponent(relativePath)
        var isDirectory: ObjCBool = false
        let isFolder = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
        let names = isFolder
            ? try FileManager.default.contentsOfDirectory(atPath: url.path).sorted().map { relativePath + "/" + $0 }
            : [relativePath]
        let sources = try names.map { name in
            SourceFile(path: name, bytes: [UInt8](try Data(contentsOf: lintRoot.appendingPathComponent(name))))
        }
        return linter.lint(sources: sources)
    }

    /// The linter the fixtures are checked with: with the fixtures' own ticket schema.
    static let linter: Linter = {
        let schema = try? TicketSchema.load(path: lintRoot.appendingPathComponent("ticket.schema.json").path)
        return Linter(ticketSchema: schema)
    }()

    static func renderHuman(_ report: LintReport) -> String {
        let renderer = HumanRenderer(useColor: false)
        return report.diagnostics.filter { $0.suppression == nil }.map { renderer.render($0) }.joined()
    }

    /// `SOP_RECORD=1 swift test` rewrites the golden files instead of comparing.
    static var recording: Bool { ProcessInfo.processInfo.environment["SOP_RECORD"] == "1" }

    /// Compares `actual` with the golden file, or records it.
    static func assertGolden(_ actual: String, _ golden: URL) throws -> String? {
        if recording {
            try actual.write(to: golden, atomically: true, encoding: .utf8)
            return "recorded \(golden.lastPathComponent); run again without SOP_RECORD to compare"
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        return actual == expected ? nil : "output differs from \(golden.lastPathComponent):\n\(actual)"
    }
}
