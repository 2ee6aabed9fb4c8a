import ArgumentParser
import Foundation
import SOPLanguageServer

/// `sop lsp`: the language server on standard input and output (docs/lsp.md).
struct LSPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp",
        abstract: "Serve the Language Server Protocol on standard input and output.",
        discussion: """
            For editors: diagnostics as you type (the findings of `sop lint` at the workspace's root), \
            completion, hover, go to definition, references, rename, code actions and an outline. \
            Messages are JSON-RPC with Content-Length headers; logs go to standard error. Exit 0 after \
            'shutdown' and 'exit', 1 otherwise. See docs/lsp.md.
            """
    )

    @Option(name: .customLong("docs-url"),
            help: "The docs folder each diagnostic's rule links into (default: the docs/ of the checkout sop was built in, when there is one).")
    var docsURL: String?

    @Flag(help: "Accepted for clients that pass it: standard input and output are the only transport.")
    var stdio = false

    func run() throws {
        let docs = docsURL ?? Self.checkoutDocs().map { FileURI.uri(of: $0) + "/" }
        let transport = StdioTransport(log: { line in FileHandle.standardError.write(Data((line + "\n").utf8)) })
        let code = transport.run(options: LanguageServer.Options(docsBase: docs.map { $0.hasSuffix("/") ? $0 : $0 + "/" },
                                                                 version: SOPCommand.configuration.version))
        throw ExitCode(code)
    }

    /// The docs folder of the checkout the running binary was built in (`.build/…/sop` below a
    /// folder holding Package.swift and docs/lint-rules.md), nil for an installed binary.
    static func checkoutDocs() -> String? {
        guard let executable = Bundle.main.executableURL?.resolvingSymlinksInPath().path else { return nil }
        var folder = (executable as NSString).deletingLastPathComponent
        while folder != "/" && !folder.isEmpty {
            let docs = (folder as NSString).appendingPathComponent("docs")
            if FileManager.default.fileExists(atPath: (docs as NSString).appendingPathComponent("lint-rules.md")),
               FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("Package.swift")) {
                return docs
            }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return nil
    }
}
