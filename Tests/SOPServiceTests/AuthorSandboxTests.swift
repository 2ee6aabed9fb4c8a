import Foundation
import SOPCore
import SOPDiagnostics
import SOPJSON
import SOPService
import SOPStore
import SOPStoreSQLite
import StoreTestSupport
import Testing
import TestSupport

/// The authors' sandbox: text linted and drawn as it changes, runs in a store in memory on the
/// sandbox's clock, and the session exported as a case `sop test`'s runner passes.
@Suite struct AuthorSandboxTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sops = root.appendingPathComponent("sops")
    static let schema = try! TicketSchema.load(path: root.appendingPathComponent("schemas/ticket.schema.json").path)
    static let author = Acting.caller(Caller(id: "ada", roles: ["author"]))

    static func catalogue() -> SOPCatalogue { SOPCatalogue(folder: sops.path, schema: schema) }

    static func sandboxes(_ limits: SandboxLimits = SandboxLimits()) -> AuthorSandboxes {
        AuthorSandboxes(limits: limits) { try SQLiteRunStore.inMemory() }
    }

    @Test func onlyAnAuthorOrAnAdminHasASandbox() throws {
        let sandboxes = Self.sandboxes()
        #expect(throws: RunError.self) {
            try sandboxes.sandbox("s1", as: .caller(Caller(id: "ana", roles: ["agent", "supervisor"])), catalogue: Self.catalogue(), now: t0)
        }
        #expect(sandboxes.count == 0)
        _ = try sandboxes.sandbox("s1", as: Self.author, catalogue: Self.catalogue(), now: t0)
        _ = try sandboxes.sandbox("s2", as: .caller(Caller(id: "root", roles: ["admin"])), catalogue: Self.catalogue(), now: t0)
        #expect(sandboxes.count == 2)
        #expect(!AuthorSandboxes.mayUse(.caller(Caller(id: "ana", roles: ["agent"]))))
    }

    /// A whole session: load, edit a title (the diagram follows), make a mistake (a finding; the
    /// diagram stays the last good one), fix it, start a run, step it, be refused, move the clock
    /// past a timer, export — and the exported case passes against the edited SOP.
    @Test func aSessionExportsACaseThatReplays() throws {
        let sandbox = try Self.sandboxes().sandbox("s1", as: Self.author, catalogue: Self.catalogue(), now: t0 + 123)
        try sandbox.load(sop: "returns")
        #expect(sandbox.check.sop == "returns")
        #expect(sandbox.check.diagnostics.isEmpty)
        #expect(try #require(sandbox.check.diagram).contains("Verify the purchase"))

        let edited = sandbox.source.replacingOccurrences(of: "title: Verify the purchase", with: "title: Check the receipt")
        try sandbox.setText(edited)
        let diagram = try #require(sandbox.check.diagram)
        #expect(diagram.contains("Check the receipt") && !diagram.contains("Verify the purchase"))

        try sandbox.setText(edited.replacingOccurrences(of: "      - to: inspect\n", with: "      - to: inspekt\n"))
        let finding = try #require(sandbox.check.diagnostics.first { $0.severity == .error })
        #expect(finding.message.contains("inspekt"), "\(finding.message)")
        #expect(finding.help?.contains("inspect") == true, "\(finding.help ?? "")")
        #expect(!sandbox.check.diagramIsCurrent)
        #expect(sandbox.check.diagram == diagram)
        try sandbox.setText(edited)
        #expect(sandbox.check.diagramIsCurrent)

        let run = try sandbox.start(ticket: .object([("id", .string("T-5")), ("category", .string("returns")), ("order_id", .string("A-5"))]))
        #expect(run == "sandbox-1")
        try sandbox.step(run, inputs: [("order_found", "true"), ("purchased_on", "2026-10-20"), ("amount", "49.90")], event: nil, checks: .all)
        #expect(throws: RunError.self) { try sandbox.step(run, inputs: [], event: "item_received", checks: nil) }
        try sandbox.updateTicket(run, patch: .object([("priority", .string("high"))]))
        try sandbox.step(run, inputs: [], event: "label_sent", checks: .all)
        try sandbox.advance(by: 22 * 86_400_000)
        let state = try sandbox.read { service, _ in try service.run(run, as: .system).0 }
        #expect(state.outcome == "denied")

        let (sop, yaml) = try sandbox.export(run)
        #expect(sop == "returns")
        #expect(yaml.contains("expect: {error: "))
        #expect(yaml.contains("- advance: 3w1d\n"))
        #expect(yaml.contains("- ticket: {\"priority\": \"high\"}\n        expect: {state: send_label}\n"))
        #expect(yaml.contains("outcome: denied"))
        #expect(yaml.contains("now: 2026-11-02T09:00:00Z"), "the sandbox's clock starts at a whole second")

        let dir = try ScratchDirectory.make("sop-sandbox")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sops"), withIntermediateDirectories: true)
        try edited.write(to: dir.appendingPathComponent("sops/returns.sop.yaml"), atomically: true, encoding: .utf8)
        let file = dir.appendingPathComponent("sops/returns.test.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        var n = 0
        let runner = ScenarioRunner(catalogue: SOPCatalogue(folder: dir.appendingPathComponent("sops").path, schema: Self.schema)) {
            n += 1
            return try SQLiteRunStore(path: dir.appendingPathComponent("case-\(n).sqlite").path)
        }
        let (cases, _) = try runner.run(testFiles: [file.path], sops: nil)
        #expect(cases.count == 1)
        #expect(cases.allSatisfy { $0.passed }, "\(cases.flatMap(\.failures))\n\(yaml)")
    }

    /// The bounds: the text's size, the runs and steps of a sandbox, how many sandboxes, and a
    /// sandbox left unused for a session's lifetime is dropped.
    @Test func sandboxesAreBounded() throws {
        var limits = SandboxLimits()
        limits.textBytes = 1000
        limits.runs = 1
        limits.steps = 3
        limits.sandboxes = 2
        let sandboxes = Self.sandboxes(limits)
        let sandbox = try sandboxes.sandbox("a", as: Self.author, catalogue: Self.catalogue(), now: t0)
        #expect(throws: RunError.self) { try sandbox.setText(String(repeating: "x", count: 1001)) }
        #expect(throws: RunError.self, "the shipped escalation SOP is longer than 1000 bytes") { try sandbox.load(sop: "escalation") }
        try sandbox.setText("""
            sop: tiny
            version: 1
            title: Tiny
            start: a
            states:
              a:
                title: A
                transitions: [{to: b, on: go}]
              b: {title: B, end: done}
            """)
        #expect(sandbox.check.diagnostics.filter { $0.severity == .error }.isEmpty, "\(sandbox.check.diagnostics.map(\.message))")
        let run = try sandbox.start(ticket: .object([("id", .string("T-1"))]))
        #expect(throws: RunError.self) { try sandbox.start(ticket: .object([("id", .string("T-2"))])) }
        try sandbox.advance(by: 3_600_000)
        try sandbox.step(run, inputs: [], event: "go", checks: nil)
        #expect(throws: RunError.self) { try sandbox.advance(by: 3_600_000) }
        #expect(throws: RunError.self) { try sandbox.advance(by: -1) }

        _ = try sandboxes.sandbox("b", as: Self.author, catalogue: Self.catalogue(), now: t0 + 1)
        _ = try sandboxes.sandbox("c", as: Self.author, catalogue: Self.catalogue(), now: t0 + 2)
        #expect(sandboxes.count == 2)
        // "a" was used longest ago: a new one in its place.
        #expect(try sandboxes.sandbox("a", as: Self.author, catalogue: Self.catalogue(), now: t0 + 3).runIDs.isEmpty)
        _ = try sandboxes.sandbox("d", as: Self.author, catalogue: Self.catalogue(), now: t0 + limits.idle + 10)
        #expect(sandboxes.count == 1, "the others were idle for a session's lifetime")
        sandboxes.end("d")
        #expect(sandboxes.count == 0)
    }
}
