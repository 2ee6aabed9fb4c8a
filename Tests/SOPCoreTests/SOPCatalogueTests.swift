import Dispatch
import Foundation
import SOPCore
import SOPDiagnostics
import Testing

/// The catalogue loads each file once, resolves ids the way runs need them, and says why an id
/// does not resolve.
struct SOPCatalogueTests {
    static func sop(_ id: String, title: String = "T", extra: String = "") -> String {
        """
        sop: \(id)
        version: 1
        title: \(title)
        start: a
        states:
          a:
            title: A\(extra)
            transitions:
              - {to: b, on: go}
          b: {title: B, end: done}

        """
    }

    /// A folder with `returns`, `complaint` (in a file not named after it), `broken` (a lint
    /// error) and `notes.txt` (not an SOP).
    static func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("catalogue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try sop("returns").write(to: dir.appendingPathComponent("returns.sop.yaml"), atomically: true, encoding: .utf8)
        try sop("complaint").write(to: dir.appendingPathComponent("old-name.sop.yaml"), atomically: true, encoding: .utf8)
        try sop("broken", extra: "\n    role: nobody").write(to: dir.appendingPathComponent("broken.sop.yaml"), atomically: true, encoding: .utf8)
        try "not an SOP".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test func anIDNamedAfterItsFileLoadsThatFileOnly() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let catalogue = SOPCatalogue(folder: dir.path, schema: nil)
        #expect(try catalogue.sop("returns").id == "returns")
        #expect(catalogue.filesLoaded == 1)
        #expect(try catalogue.sop("returns").id == "returns")
        #expect(catalogue.filesLoaded == 1, "a second lookup parses nothing")
    }

    @Test func everyFileIsParsedOnceWhateverAsksForIt() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let catalogue = SOPCatalogue(folder: dir.path, schema: nil)
        // An id in a file named otherwise: found after the other files are looked at.
        #expect(try catalogue.sop("complaint").id == "complaint")
        // From many threads at once, then all of them again: still one parse per file.
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            if i % 2 == 0 { _ = catalogue.entries() } else { _ = try? catalogue.sop("returns") }
        }
        let entries = catalogue.entries()
        #expect(entries.map { ($0.path as NSString).lastPathComponent } == ["broken.sop.yaml", "old-name.sop.yaml", "returns.sop.yaml"])
        #expect(catalogue.filesLoaded == 3)
        #expect(entries.map(\.id) == ["broken", "complaint", "returns"])
    }

    @Test func lookupsSayWhyAnIDDoesNotResolve() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let catalogue = SOPCatalogue(folder: dir.path, schema: nil)
        do {
            _ = try catalogue.sop("escalation")
            Issue.record("an unknown id resolved")
        } catch {
            guard case .unknown(let id, let known, _) = error else { Issue.record("\(error)"); return }
            #expect(id == "escalation")
            #expect(known.sorted() == ["broken", "complaint", "returns"])
        }
        do {
            _ = try catalogue.sop("broken")
            Issue.record("an SOP with lint errors resolved")
        } catch {
            guard case .invalid(let problem) = error else { Issue.record("\(error)"); return }
            #expect(problem.diagnostics.map(\.rule) == [UnknownRoleRule.id])
        }
        let broken = try #require(catalogue.entries().first { $0.id == "broken" })
        #expect(broken.compiled == nil)
        #expect(broken.diagnostics.contains { $0.rule == UnknownRoleRule.id && $0.span.start.line == 8 })
    }

    @Test func aMissingFolderHoldsNoSOPs() {
        let catalogue = SOPCatalogue(folder: "/nonexistent/sops", schema: nil)
        #expect(catalogue.entries().isEmpty)
        #expect(throws: SOPCatalogue.LookupError.self) { try catalogue.sop("returns") }
    }
}
