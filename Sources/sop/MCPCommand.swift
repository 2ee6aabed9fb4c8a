import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop mcp …`: runs `sopd mcp` (see ServeCommand.swift).
struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp", abstract: "Serve the Model Context Protocol on standard input and output (runs `sopd mcp`).")

    @Argument(parsing: .captureForPassthrough, help: "The options of `sopd mcp` (`sop mcp --help` lists them).")
    var arguments: [String] = []

    func run() throws { try Sopd.exec(["mcp"] + arguments) }
}
