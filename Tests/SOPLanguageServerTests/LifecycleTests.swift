import SOPJSON
import SOPLanguageServer
import Testing

struct LifecycleTests {
    static let sop = """
        sop: hello
        version: 1
        title: Hello
        start: greet
        states:
          greet:
            title: Greet
            transitions:
              - on: done
                to: finished
          finished:
            title: Finished
            end: resolved

        """

    @Test func initializeAnswersTheCapabilities() throws {
        let client = try TestClient(files: [:], initialize: false)
        let result = try client.request("initialize", .object([("rootUri", .string(client.uri(""))), ("capabilities", .object(JSONObject()))]))
        let caps = try #require(result["capabilities"])
        #expect(caps["positionEncoding"] == .string("utf-16"))
        #expect(caps["textDocumentSync"]?["change"] == .int(2))
        #expect(caps["completionProvider"]?["triggerCharacters"] == .array([".", ":", " ", "{"].map { .string($0) }))
        #expect(caps["renameProvider"]?["prepareProvider"] == .bool(true))
        for key in ["hoverProvider", "definitionProvider", "referencesProvider", "documentSymbolProvider"] { #expect(caps[key] == .bool(true), "\(key)") }
        #expect(caps["codeActionProvider"] != nil)
        #expect(result["serverInfo"]?["name"] == .string("sop"))
    }

    @Test func utf8IsChosenWhenTheClientOffersIt() throws {
        let client = try TestClient(files: [:], initialize: false)
        let caps: JSONValue = .object([("general", .object([("positionEncodings", .array([.string("utf-8"), .string("utf-16")]))]))])
        let result = try client.request("initialize", .object([("rootUri", .string(client.uri(""))), ("capabilities", caps)]))
        #expect(result["capabilities"]?["positionEncoding"] == .string("utf-8"))
    }

    @Test func requestsBeforeInitializeAreRefused() throws {
        let client = try TestClient(files: [:], initialize: false)
        let response = try client.rawRequest("textDocument/hover", .object(JSONObject()))
        #expect(response["error"]?["code"] == .int(-32002))
    }

    @Test func badMessagesAreAnsweredWithTheirErrors() throws {
        let client = try TestClient(files: [:])
        client.clear()
        client.server.handle(Array("{not json".utf8))
        #expect(client.sent.last?["error"]?["code"] == .int(-32700))
        #expect(client.sent.last?["id"] == .null)
        client.server.handle(Array(#"[1,2]"#.utf8))
        #expect(client.sent.last?["error"]?["code"] == .int(-32600))
        client.server.handle(Array(#"{"jsonrpc":"1.0","id":7,"method":"shutdown"}"#.utf8))
        #expect(client.sent.last?["error"]?["code"] == .int(-32600))
        #expect(client.sent.last?["id"] == .int(7))
        #expect(try client.rawRequest("no/such", .object(JSONObject()))["error"]?["code"] == .int(-32601))
        #expect(try client.rawRequest("textDocument/documentSymbol", .object(JSONObject()))["error"]?["code"] == .int(-32602))
        #expect(try client.rawRequest("initialize", .object(JSONObject()))["error"]?["code"] == .int(-32600))
        // An unknown notification is ignored: no answer.
        let before = client.sent.count
        client.notify("$/setTrace", .object([("value", .string("off"))]))
        #expect(client.sent.count == before)
    }

    @Test func aCancelledRequestIsAnsweredCancelled() throws {
        let client = try TestClient(files: ["sops/hello.sop.yaml": Self.sop])
        let (id, request) = client.requestMessage("textDocument/documentSymbol", .object([("textDocument", .object([("uri", .string(client.uri("sops/hello.sop.yaml")))]))]))
        client.deliver([request, client.notification("$/cancelRequest", .object([("id", .int(id))]))])
        let answer = try #require(client.sent.last { $0["id"] == .int(id) })
        #expect(answer["error"]?["code"] == .int(-32800))
    }

    @Test func exitAfterShutdownIsZeroAndOtherwiseOne() throws {
        let client = try TestClient(files: [:])
        #expect(try client.request("shutdown", .null) == .null)
        #expect(try client.rawRequest("textDocument/hover", .object(JSONObject()))["error"]?["code"] == .int(-32600))
        client.notify("exit", .null)
        #expect(client.server.exitCode == 0)

        let other = try TestClient(files: [:])
        other.notify("exit", .null)
        #expect(other.server.exitCode == 1)
    }
}
