import Foundation
import SOPDiagnostics

extension TicketSchema {
    /// Whether a ticket always has a field: required at every level and never null.
    public enum FieldPresence: Sendable, Equatable {
        case always
        /// Not required somewhere along the path, or allowed to be null.
        case maybeMissing
        /// The schema does not define the path.
        case unknown
    }

    /// Whether every valid ticket has a value (not null) at `path` (`["customer", "email"]`).
    public func presence(of path: [String]) -> FieldPresence {
        // The rules that apply at a place: its own, and those its `$ref`s name.
        func applying(_ rules: SchemaRules) -> [SchemaRules] {
            var all = [rules]
            var next = rules.ref
            while let r = next, r < references.count, all.count < 64 {
                all.append(references[r])
                next = references[r].ref
            }
            return all
        }
        var here = applying(root)
        var always = true
        for name in path {
            if !here.contains(where: { $0.required.contains(name) }) { always = false }
            var found: SchemaRules?
            for rules in here {
                if let node = rules.property[name] ?? rules.additionalSchema, case .node(let r) = node { found = r; break }
            }
            guard let found else { return .unknown }
            here = applying(found)
        }
        let types = here.map(\.types).filter { !$0.isEmpty }
        let nullable = types.isEmpty || types.contains { $0.contains("null") }
            || here.contains { $0.enumValues?.contains(.null) == true }
        return always && !nullable ? .always : .maybeMissing
    }

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
