import ArgumentParser
import Foundation
import SOPJSON
import SOPService
import SOPStore
import SOPStoreLocation

/// `sop store`: what concerns a whole store.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Work on a whole run store (SQLite file or PostgreSQL).", subcommands: [Copy.self])

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every run, journal, token and message from one store into an empty one.",
            discussion: """
                The copy is one transaction of the target: all of it lands, or nothing. Records keep their \
                bytes and their order, so every hash chain is unchanged; `sop verify --store TARGET` \
                checks it. The target must hold no runs and no tokens.
                """)

        @Option(help: "The store to copy from: a SQLite file or a postgres:// URL.") var from: String
        @Option(help: "The store to copy into (created or migrated if needed).") var to: String
        @Option(help: "Output format: text or json.") var format: OutputFormat = .text

        func run() throws {
            guard StoreLocation.mayExist(from) else {
                Output.err("error: \(from): no such store\n")
                throw ExitCode(2)
            }
            do {
                let source = try StoreLocation.open(from)
                let target = try StoreLocation.open(to)
                guard source.path != target.path else {
                    Output.err("error: --from and --to are the same store\n")
                    throw ExitCode(2)
                }
                let counts = try StoreCopy.copy(from: source, to: target)
                switch format {
                case .json:
                    Output.out(JSONValue.object([
                        ("from", .string(source.path)), ("to", .string(target.path)),
                        ("tables", .object(JSONObject(counts.map { ($0.0.name, JSONValue.int($0.1)) }))),
                    ]).render() + "\n")
                case .text:
                    let runs = counts.first { $0.0 == .runs }?.1 ?? 0
                    let records = counts.first { $0.0 == .journal }?.1 ?? 0
                    Output.out("copied \(runs) runs and \(records) journal records from \(source.path) to \(target.path)\n")
                    for (table, count) in counts where table != .runs && table != .journal && count > 0 {
                        Output.out("  \(table.name): \(count)\n")
                    }
                }
            } catch let code as ExitCode {
                throw code
            } catch {
                Output.err("error: \(error)\n")
                throw ExitCode(2)
            }
        }
    }
}
