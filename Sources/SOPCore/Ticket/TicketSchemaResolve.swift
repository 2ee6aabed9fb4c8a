import Foundation
import SOPDiagnostics

extension TicketSchema {
    /// Where run commands look for the ticket schema when none is named.
    public static let defaultPath = "schemas/ticket.schema.json"

    /// The schema at `path`, else at `defaultPath` when it exists, else nil. Unless `forLint`,
    /// a schema with problems lint reports (a keyword sopkit would not enforce) is refused with
    /// those diagnostics: a run must never be checked against half of its schema.
    public static func resolve(_ path: String?, forLint: Bool = false) throws -> TicketSchema? {
        let schema: TicketSchema
        if let path {
            guard FileManager.default.fileExists(atPath: path) else {
                throw TicketSchema.LoadError(description: "\(path): no such ticket schema")
            }
            schema = try TicketSchema.load(path: path)
        } else {
            guard FileManager.default.fileExists(atPath: defaultPath) else { return nil }
            schema = try TicketSchema.load(path: defaultPath)
        }
        if !forLint && !schema.diagnostics.isEmpty {
            let renderer = HumanRenderer()
            let shown = Linter.withSourceLines(schema.diagnostics, schema.source).map { renderer.render($0) }.joined()
            throw TicketSchema.LoadError(description: "the ticket schema \(schema.path) cannot be used: sopkit would not enforce all of it\n"
                                         + shown.trimmingCharacters(in: .newlines))
        }
        return schema
    }
}
