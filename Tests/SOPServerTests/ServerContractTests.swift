import Foundation
import HTTPTypes
import SOPDiagnostics
@testable import SOPServer
import SOPService
import SOPStoreLocation
import SOPYAML
import Testing
import TestSupport

/// The server and its contract, schemas/openapi.yaml, cannot drift: the document it serves is
/// that file, and it routes exactly the operations the file describes. (Schemathesis, in the
/// server's Python tests, checks every response against the file on the live server.)
@Suite struct ServerContractTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let specPath = root.appendingPathComponent("schemas/openapi.yaml").path

    /// Sources/SOPServer/OpenAPIDocument.swift as it must be for the spec's text.
    static func generated(_ spec: String) -> String {
        """
        // Generated from schemas/openapi.yaml; do not edit. ServerContractTests fails when the two
        // differ; `SOP_RECORD=1 swift test --filter ServerContractTests` writes this file again.
        enum OpenAPIDocument {
            static let text = #\"\"\"
        \(spec)
        \"\"\"#
        }

        """
    }

    @Test func theServedDocumentIsTheSpecFile() throws {
        let spec = try String(contentsOfFile: Self.specPath, encoding: .utf8)
        #expect(!spec.contains("\"\"\"#"))
        if ProcessInfo.processInfo.environment["SOP_RECORD"] == "1" {
            try Self.generated(spec).write(toFile: Self.root.appendingPathComponent("Sources/SOPServer/OpenAPIDocument.swift").path,
                                           atomically: true, encoding: .utf8)
        }
        #expect(OpenAPIDocument.text == spec, "run SOP_RECORD=1 swift test --filter ServerContractTests")
    }

    @Test func everyRouteIsInTheSpecAndEveryOperationIsRouted() throws {
        let spec = try String(contentsOfFile: Self.specPath, encoding: .utf8)
        let document = YAMLParser.parse(SourceFile(path: Self.specPath, text: spec))
        let paths = try #require(document.tree?.mapping?.first { $0.key.stringValue == "paths" }?.value.mapping)
        var described = Set<String>()
        for path in paths {
            for method in path.value.mapping ?? [] {
                described.insert("\(method.key.stringValue!.uppercased()) \(path.key.stringValue!)")
            }
        }
        let dir = try ScratchDirectory.make("server-routes")
        let path = dir.appendingPathComponent("runs.sqlite").path
        let store = try StoreLocation.open(path)
        let service = RunService(store: store, sopsFolder: dir.path, schema: nil)
        let server = APIServer(host: ServiceHost(service: service), tokens: service.tokenCheck(), metrics: ServerMetrics(),
                               configuration: ServerConfiguration(),
                               logger: .init(label: "test"))
        let routed = Set(server.routes().map { "\($0.method.rawValue) \($0.path)" })
        #expect(routed == described, "routed but not described: \(routed.subtracting(described).sorted()); described but not routed: \(described.subtracting(routed).sorted())")
    }

    @Test func signaturesMatchTheDocumentedScheme() {
        // HMAC-SHA256 of "1700000000.{}" keyed "secret-secret-secret" (computed with Python's hmac).
        let body = Array("{}".utf8)
        let signature = Signing.signature(secret: Array("secret-secret-secret".utf8), timestamp: "1700000000", body: body)
        #expect(signature == "v1=" + Self.pythonHMAC)
        #expect(Signing.verify(signature, secret: Array("secret-secret-secret".utf8), timestamp: "1700000000", body: body))
        #expect(Signing.verify("v1=00, " + signature, secret: Array("secret-secret-secret".utf8), timestamp: "1700000000", body: body))
        #expect(!Signing.verify(signature, secret: Array("secret-secret-secret".utf8), timestamp: "1700000001", body: body))
        #expect(!Signing.verify(signature, secret: Array("other-secret-secret".utf8), timestamp: "1700000000", body: body))
    }

    /// One rule for both secret files: the exact bytes but one final `\n` or `\r\n`.
    @Test(arguments: [
        ("key-with-trailing-spaces  \t", "key-with-trailing-spaces  \t"),
        ("key-with-trailing-spaces  \n", "key-with-trailing-spaces  "),
        ("key-with-a-windows-newline\r\n", "key-with-a-windows-newline"),
        ("key-ending-in-a-line-break\n\n", "key-ending-in-a-line-break\n"),
        ("key-ending-in-a-carriage-return\r", "key-ending-in-a-carriage-return\r"),
    ])
    func secretFilesAreTheirBytesButOneFinalLineBreak(file: String, key: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sop-secret-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(file.utf8), attributes: [.posixPermissions: 0o600]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Signing.readSecret(path) == Array(key.utf8))
    }

    static let pythonHMAC = "9abb7ec2de5533bf35e03b3947b220889dd81b1238d43182a426463aafcc6e8c"

    @Test func secretsAreNeverPrinted() {
        var configuration = ServerConfiguration()
        configuration.hookSecret = Secret(Array("do-not-print-me-please".utf8))
        #expect(!"\(configuration)".contains("do-not-print"))
        #expect(!String(reflecting: configuration).contains("do-not-print"))
        #expect(!"\(configuration.hookSecret!.bytes)".isEmpty)
    }
}
