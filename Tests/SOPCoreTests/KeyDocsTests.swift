import Foundation
import SOPCore
import Testing

/// The keys' descriptions have one home, `KeyDocs`: every key the decoder allows has one, and
/// the key tables of docs/format.md and docs/sla.md are exactly its rows (`SOP_RECORD=1 swift
/// test --filter KeyDocsTests` rewrites the tables from it).
struct KeyDocsTests {
    @Test(arguments: SOPMappingKind.allCases)
    func everyAllowedKeyHasOneDescriptionAndNoOther(kind: SOPMappingKind) {
        let described = KeyDocs.rows(kind).flatMap(\.keys)
        #expect(described.sorted() == kind.allowedKeys.sorted(), "\(kind): the descriptions and the decoder's keys differ")
        #expect(Set(described).count == described.count, "\(kind): a key is described twice")
        for key in kind.allowedKeys {
            #expect(KeyDocs.markdown(for: key, in: kind)?.contains("`\(key)`") == true)
        }
    }

    @Test(arguments: KeyDocs.docTables.indices)
    func theDocsTableIsTheTableOfDescriptions(index: Int) throws {
        let table = KeyDocs.docTables[index]
        let url = RuleRegistryTests.repository.appendingPathComponent(table.file)
        let doc = try String(contentsOf: url, encoding: .utf8)
        let lines = doc.components(separatedBy: "\n")
        let header = "| " + table.columns.joined(separator: " | ") + " |"
        // The table under its heading (before the next heading) with this header.
        var heading: String?
        var found: Range<Int>?
        for (i, line) in lines.enumerated() where found == nil {
            if line.hasPrefix("#") { heading = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces) }
            guard heading == table.heading, line == header, i + 1 < lines.count, lines[i + 1].hasPrefix("|---") else { continue }
            var end = i + 2
            while end < lines.count, lines[end].hasPrefix("|") { end += 1 }
            found = (i + 2)..<end
        }
        let rows = try #require(found, "\(table.file) has no table \(header) under '\(table.heading)'")
        let current = Array(lines[rows])
        if Fixtures.recording {
            let rewritten = Array(lines[..<rows.lowerBound]) + table.renderedRows + Array(lines[rows.upperBound...])
            try rewritten.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        } else {
            #expect(current == table.renderedRows,
                    "\(table.file), '\(table.heading)' differs from KeyDocs; run `SOP_RECORD=1 swift test --filter KeyDocsTests`")
        }
    }

    @Test func aHoverTextSaysTheTypeTheDefaultAndTheMeaning() throws {
        let text = try #require(KeyDocs.markdown(for: "max", in: .input))
        #expect(text == "**`max`** — key of an input\n\nnumbers\n\nfor `integer` and `number`: inclusive bounds")
        let to = try #require(KeyDocs.markdown(for: "to", in: .transition))
        #expect(to == "**`to`** — key of a transition\n\nstate id · required\n\nwhere the transition leads")
        let states = try #require(KeyDocs.markdown(for: "states", in: .top))
        #expect(states.contains("map of id → state · required, not empty"))
    }
}
