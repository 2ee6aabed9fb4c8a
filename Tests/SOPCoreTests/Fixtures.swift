import Foundation
import SOPCore
import SOPDiagnostics

/// Locates the fixtures next to this file and renders lint results as the golden files hold them.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func files(in folder: String, suffix: String = ".sop.yaml") -> [String] {
        let dir = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// Lints a fixture under its path relative to Fixtures/lint, so golden files hold no absolute paths.
    static func lint(_ relativePath: String) throws -> FileLintResult {
        let data = try Data(contentsOf: root.appendingPathComponent("lint").appendingPathComponent(relativePath))
        return linter.lint(SourceFile(path: relativePath, bytes: [UInt8](data)))
    }

    /// The linter the fixtures are checked with: with the fixtures' own ticket schema.
    static let linter: Linter = {
        let schema = try? TicketSchema.load(path: root.appendingPathComponent("lint/ticket.schema.json").path)
        return Linter(ticketSchema: schema)
    }()

    static func renderHuman(_ result: FileLintResult) -> String {
        let renderer = HumanRenderer(useColor: false)
        return result.diagnostics.map { renderer.render($0, source: result.source) }.joined()
    }

    /// `SOP_RECORD=1 swift test` rewrites the golden files instead of comparing.
    static var recording: Bool { ProcessInfo.processInfo.environment["SOP_RECORD"] == "1" }
}
