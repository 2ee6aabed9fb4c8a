import Foundation
import SOPJSON
import SOPLanguageServer
import Testing

struct FeatureTests {
    static let sop = """
        sop: refund
        version: 1
        title: Refund
        start: check
        states:
          check:
            title: Check the order
            checklist:
              - Order found
            inputs:
              amount: {type: number}
            transitions:
              - to: pay
                on: approve
                when: input.amount > 0
          pay:
            title: Pay
            transitions:
              - to: done
                on: paid
          done:
            title: Done
            end: resolved

        """
    static let test = """
        sop: refund
        cases:
          - name: approve
            steps:
              - input: {amount: 5}
              - event: approve
                expect: {state: pay}
              - event: paid
            expect: {state: done}

        """

    static func client() throws -> TestClient {
        let client = try TestClient(files: ["sops/refund.sop.yaml": sop, "sops/refund.test.yaml": test, "schemas/ticket.schema.json": #"{"type": "object"}"#])
        try client.open("sops/refund.sop.yaml")
        return client
    }

    static func locations(_ result: JSONValue) -> [String] {
        (result.array ?? []).map { l in
            let r = l["range"]!
            return "\(l["uri"]!.string!.split(separator: "/").last!):\(r["start"]!["line"]!.int!):\(r["start"]!["character"]!.int!)-\(r["end"]!["character"]!.int!)"
        }
    }

    @Test func definitionOfATransitionTargetIsTheState() throws {
        let client = try Self.client()
        // `  - to: pay` on line 12: the cursor on "pay".
        let result = try client.request("textDocument/definition", client.at("sops/refund.sop.yaml", 12, 15))
        #expect(Self.locations(result) == ["refund.sop.yaml:15:2-5"])
    }

    @Test func referencesOfAStateReachTheTestFile() throws {
        let client = try Self.client()
        let result = try client.request("textDocument/references", client.at("sops/refund.sop.yaml", 15, 3))
        #expect(Self.locations(result) == ["refund.sop.yaml:12:12-15", "refund.sop.yaml:15:2-5", "refund.test.yaml:6:24-27"])
    }

    @Test func referencesOfAnInputReachItsGuard() throws {
        let client = try Self.client()
        let result = try client.request("textDocument/references", client.at("sops/refund.sop.yaml", 10, 6))
        #expect(Self.locations(result) == ["refund.sop.yaml:10:6-12", "refund.sop.yaml:14:20-26", "refund.test.yaml:4:16-22"])
    }

    @Test func renamingAStateEditsTheSOPAndItsTests() throws {
        let client = try Self.client()
        let prepared = try client.request("textDocument/prepareRename", client.at("sops/refund.sop.yaml", 15, 3))
        #expect(prepared["placeholder"] == .string("pay"))
        #expect(prepared["range"] == TestClient.range(15, 2, 15, 5))
        var params = client.at("sops/refund.sop.yaml", 15, 3)
        if case .object(var o) = params { o["newName"] = .string("payout"); params = .object(o) }
        let edit = try client.request("textDocument/rename", params)
        let changes = try #require(edit["changes"])
        #expect(changes[client.uri("sops/refund.sop.yaml")]?.array?.count == 2)
        #expect(changes[client.uri("sops/refund.test.yaml")]?.array?.first?["range"] == TestClient.range(6, 24, 6, 27))
        #expect(changes[client.uri("sops/refund.test.yaml")]?.array?.first?["newText"] == .string("payout"))
    }

    @Test func renameRefusesABadOrTakenName() throws {
        let client = try Self.client()
        for (name, words) in [("Pay Out", "not a valid state id"), ("done", "already has a state 'done'")] {
            var params = client.at("sops/refund.sop.yaml", 15, 3)
            if case .object(var o) = params { o["newName"] = .string(name); params = .object(o) }
            let response = try client.rawRequest("textDocument/rename", params)
            #expect(response["error"]?["message"]?.string?.contains(words) == true, "\(name)")
        }
    }

    @Test func documentSymbolsOutlineTheStates() throws {
        let client = try Self.client()
        let result = try client.request("textDocument/documentSymbol", .object([("textDocument", .object([("uri", .string(client.uri("sops/refund.sop.yaml")))]))]))
        let root = try #require(result.array?.first)
        #expect(root["name"] == .string("refund"))
        let states = try #require(root["children"]?.array)
        #expect(states.map { $0["name"]?.string } == ["check", "pay", "done"])
        #expect(states[0]["children"]?.array?.map { $0["name"]?.string } == ["amount", "Order found", "→ pay"])
        #expect(states[0]["detail"]?.string?.hasPrefix("start") == true)
    }

    /// Applies a code action's edits to the open document through didChange, as a client does.
    static func apply(_ action: JSONValue, to path: String, in client: TestClient, version: Int) throws {
        let edits = try #require(action["edit"]?["changes"]?[client.uri(path)]?.array)
        // From the end, so earlier ranges stay valid.
        let sorted = edits.sorted { ($0["range"]!["start"]!["line"]!.int!, $0["range"]!["start"]!["character"]!.int!) > ($1["range"]!["start"]!["line"]!.int!, $1["range"]!["start"]!["character"]!.int!) }
        for e in sorted {
            let r = e["range"]!
            client.change(path, version: version, [((r["start"]!["line"]!.int!, r["start"]!["character"]!.int!, r["end"]!["line"]!.int!, r["end"]!["character"]!.int!), e["newText"]!.string!)])
        }
    }

    static func codeActions(_ client: TestClient, _ path: String, for diagnostic: JSONValue) throws -> [JSONValue] {
        let params: JSONValue = .object([("textDocument", .object([("uri", .string(client.uri(path)))])), ("range", diagnostic["range"]!),
                                         ("context", .object([("diagnostics", .array([diagnostic]))]))])
        return try #require(try client.request("textDocument/codeAction", params).array)
    }

    @Test func theDidYouMeanFixMakesTheFindingGoAway() throws {
        let client = try Self.client()
        client.change("sops/refund.sop.yaml", version: 2, [((12, 12, 12, 15), "pya")])
        let finding = try #require(client.published("sops/refund.sop.yaml")?.first { $0["code"] == .string("unknown-state") })
        let actions = try Self.codeActions(client, "sops/refund.sop.yaml", for: finding)
        let fix = try #require(actions.first { $0["isPreferred"] == .bool(true) })
        #expect(fix["title"] == .string("Change 'pya' to 'pay'"))
        try Self.apply(fix, to: "sops/refund.sop.yaml", in: client, version: 3)
        #expect(client.published("sops/refund.sop.yaml")?.isEmpty == true)
    }

    @Test func theSuppressionMakesTheFindingGoAway() throws {
        let client = try Self.client()
        client.change("sops/refund.sop.yaml", version: 2, [((6, 4, 6, 9), "titel")])
        let finding = try #require(client.published("sops/refund.sop.yaml")?.first { $0["code"] == .string("unknown-key") })
        let actions = try Self.codeActions(client, "sops/refund.sop.yaml", for: finding)
        let suppress = try #require(actions.first { $0["title"]?.string?.hasPrefix("Suppress") == true })
        try Self.apply(suppress, to: "sops/refund.sop.yaml", in: client, version: 3)
        // The key stays unknown but is suppressed; what is left is the missing title.
        let left = try #require(client.published("sops/refund.sop.yaml"))
        #expect(!left.contains { $0["code"] == .string("unknown-key") })
        #expect(!left.contains { $0["code"] == .string("unused-suppression") })
    }

    @Test func completionItemsReplaceTheWordTyped() throws {
        let client = try Self.client()
        // `  - to: pa` typed over `pay`: the candidates replace the word.
        client.change("sops/refund.sop.yaml", version: 2, [((12, 12, 12, 15), "pa")])
        let result = try client.request("textDocument/completion", client.at("sops/refund.sop.yaml", 12, 14))
        let items = try #require(result["items"]?.array)
        let pay = try #require(items.first { $0["label"] == .string("pay") }, "\(items.map { $0["label"]?.string ?? "" })")
        #expect(pay["kind"] == .int(20))
        #expect(pay["textEdit"]?["range"] == TestClient.range(12, 12, 12, 14))
        #expect(pay["textEdit"]?["newText"] == .string("pay"))
    }

    @Test func hoverIsMarkdown() throws {
        let client = try Self.client()
        // On `title` of the state `check`.
        let result = try client.request("textDocument/hover", client.at("sops/refund.sop.yaml", 6, 6))
        #expect(result["contents"]?["kind"] == .string("markdown"))
        #expect(result["contents"]?["value"]?.string?.isEmpty == false)
        #expect(result["range"]?["start"]?["line"] == .int(6))
    }
}
