import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop serve …` and `sop mcp …` run `sopd`, the server executable built beside `sop`: `sop`
/// itself links neither Hummingbird nor the MCP SDK (only SwiftNIO, for the PostgreSQL store), so
/// it builds and starts without them (docs/benchmarks.md, "What the server costs everyone else").
struct ServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the HTTP API (runs `sopd serve`; see `sop serve --help`).")

    @Argument(parsing: .captureForPassthrough, help: "The options of `sopd serve` (`sop serve --help` lists them).")
    var arguments: [String] = []

    func run() throws { try Sopd.exec(["serve"] + arguments) }
}
