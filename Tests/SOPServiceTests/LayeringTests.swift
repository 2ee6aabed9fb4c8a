import Foundation
import Testing

/// The layers of docs/decisions.md ("One service layer"), checked in the sources: the servers and
/// the command line reach the store only through SOPService, and SOPService knows no store but
/// through its protocol. A grep, so that a shortcut taken in a hurry fails here and not in review.
@Suite struct LayeringTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every Swift file under `folder`, with its path from the package root.
    static func sources(_ folder: String) throws -> [(path: String, text: String)] {
        let base = root.appendingPathComponent(folder)
        let files = try #require(FileManager.default.enumerator(atPath: base.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        return try files.sorted().map { ("\(folder)/\($0)", try String(contentsOf: base.appendingPathComponent($0), encoding: .utf8)) }
    }

    /// The places each pattern stands in, as `path:line: text`.
    static func hits(_ patterns: [String], in files: [(path: String, text: String)], except allowed: Set<String> = []) -> [String] {
        var found: [String] = []
        for file in files where !allowed.contains(file.path) {
            for (n, line) in file.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }
                for pattern in patterns where line.contains(pattern) { found.append("\(file.path):\(n + 1): \(code)") }
            }
        }
        return found
    }

    /// What only a store, or code holding one, does.
    static let storeAccess = ["StoreTransaction", "any RunStore", ".transaction {", ".transaction(", "store.read", ".read { tx", "tx.",
                              "SQLiteRunStore", "PostgresRunStore", "import SOPStoreSQLite", "import SOPStorePostgres", "import GRDB",
                              "import PostgresNIO", "service.store"]

    @Test func theServersAndTheCommandLineReachTheStoreOnlyThroughTheService() throws {
        let files = try Self.sources("Sources/SOPServer") + Self.sources("Sources/sop") + Self.sources("Sources/sopd")
        #expect(files.count > 20, "the sources were not found under \(Self.root.path)")
        let found = Self.hits(Self.storeAccess, in: files)
        #expect(found.isEmpty, "store access outside SOPService:\n\(found.joined(separator: "\n"))")
    }

    /// Opening a store (`StoreLocation`) is the composition root's: the command line's options,
    /// `sop test`'s throwaway stores, `sop store copy` (which moves whole stores, not runs) and
    /// `sopd`'s start; each hands the store to SOPService (or to the copy).
    @Test func onlyTheCompositionRootsOpenAStore() throws {
        let files = try Self.sources("Sources/SOPServer") + Self.sources("Sources/sop") + Self.sources("Sources/sopd")
        let roots: Set<String> = ["Sources/sop/RunOptions.swift", "Sources/sop/TestCommand.swift", "Sources/sop/StoreCommand.swift",
                                  "Sources/sopd/main.swift"]
        let found = Self.hits(["StoreLocation.open", "import SOPStoreLocation", "StoreCopy"], in: files, except: roots)
        #expect(found.isEmpty, "a store opened outside the composition roots:\n\(found.joined(separator: "\n"))")
        #expect(Self.hits(["StoreCopy"], in: files, except: ["Sources/sop/StoreCommand.swift"]).isEmpty)
    }

    /// SOPService depends on the store protocol only: no store of its own, no database driver.
    @Test func theServiceKnowsNoStoreButItsProtocol() throws {
        let files = try Self.sources("Sources/SOPService")
        #expect(files.count > 10)
        let found = Self.hits(["SQLiteRunStore", "PostgresRunStore", "StoreLocation", "import SOPStoreSQLite", "import SOPStorePostgres",
                               "import SOPStoreLocation", "import GRDB", "import PostgresNIO", "import Hummingbird", "import MCP"], in: files)
        #expect(found.isEmpty, "SOPService reaches past the store protocol:\n\(found.joined(separator: "\n"))")
    }

    /// The check itself finds what it looks for: a file with a store access is reported.
    @Test func theCheckFindsAStoreAccess() {
        let planted = [(path: "Sources/SOPServer/Planted.swift", text: "let n = try service.store.read { tx in try tx.journalPosition() }")]
        #expect(Self.hits(Self.storeAccess, in: planted).count == 4)
        #expect(Self.hits(Self.storeAccess, in: [(path: "x", text: "// service.store.read { tx in }")]).isEmpty)
    }
}
