import Foundation
import Testing

/// Issue 33's "one home per concept" on the command line, whole outputs of the built binary.
@Suite struct OneHomeTests {
    /// The words of a command's help from `--store` to the end of its description.
    static func storeHelp(_ arguments: [String]) throws -> String {
        let r = try SOPBinary.run(arguments + ["--help"])
        #expect(r.status == 0, "\(r.stderr)")
        let words = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let options = try #require(words.range(of: "OPTIONS:"), "\(arguments): \(r.stdout)")
        let start = try #require(words.range(of: "--store <store>", range: options.upperBound..<words.endIndex), "\(arguments): \(r.stdout)")
        let end = try #require(words.range(of: "$SOP_STORE)", range: start.upperBound..<words.endIndex), "\(arguments): \(r.stdout)")
        return String(words[start.lowerBound..<end.upperBound])
    }

    /// The store's default had a home in each executable, and `sop token`/`sop outbox` said a
    /// store is "a SQLite file" although they open a postgres:// URL as every command does.
    @Test func everyStoreOptionSaysTheSame() throws {
        let expected = "--store <store> Where runs live: a SQLite file or a postgres:// URL (default .sop/runs.sqlite, or $SOP_STORE)"
        for command in [["status"], ["token", "list"], ["token", "create"], ["outbox", "list"], ["outbox", "retry"], ["serve"], ["mcp"]] {
            #expect(try Self.storeHelp(command) == expected, "\(command)")
        }
    }

    /// `SOP_STORE=` counts as unset for the token commands too: the default store is used.
    @Test func anEmptySOPStoreMeansTheDefault() throws {
        let dir = try SOPBinary.temporaryDirectory()
        let create = try SOPBinary.run(["token", "create", "--actor", "ci", "--roles", "agent"], in: dir, environment: ["SOP_STORE": ""])
        #expect(create.status == 0, "\(create.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".sop/runs.sqlite").path))
    }
}
