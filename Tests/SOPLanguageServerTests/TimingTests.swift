import Foundation
import SOPCore
import SOPDiagnostics
import SOPJSON
import SOPLanguageServer
import Testing

/// didChange → publishDiagnostics on a 1,000-line SOP among 200, against linting that file alone
/// in process (the floor). Measured only with SOP_LSP_TIMING=1 (it prints the figures); the
/// end-to-end benchmark of docs/benchmarks.md measures through a real client.
struct TimingTests {
    static func sop(_ id: String, states: Int) -> String {
        var text = "sop: \(id)\nversion: 1\ntitle: Generated \(id)\nstart: s0\nstates:\n"
        for n in 0..<states {
            text += """
                  s\(n):
                    title: State \(n)
                    inputs:
                      amount\(n): {type: number}
                    transitions:
                      - to: \(n + 1 < states ? "s\(n + 1)" : "done")
                        on: next
                        when: input.amount\(n) > \(n)

                """
        }
        return text + "  done:\n    title: Done\n    end: resolved\n"
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["SOP_LSP_TIMING"] == "1"))
    func didChangeToPublishAgainstLintingTheFile() throws {
        let big = Self.sop("big", states: 125)
        var files = ["sops/big.sop.yaml": big, "schemas/ticket.schema.json": "{}"]
        for n in 0..<199 { files["sops/other\(n).sop.yaml"] = Self.sop("other\(n)", states: 10) }
        let client = try TestClient(files: files)
        try client.open("sops/big.sop.yaml")
        let lines = big.split(separator: "\n").count
        var server: [Double] = [], floor: [Double] = []
        var text = big
        let linter = Linter(ticketSchema: try TicketSchema.parse(bytes: Array("{}".utf8), path: "schemas/ticket.schema.json"))
        for edit in 0..<200 {
            // Retitle state 0 (line 6): "State 0" → "State 0x", "State 0xx", ...
            let old = "State 0" + String(repeating: "x", count: edit)
            let start = Date()
            client.change("sops/big.sop.yaml", version: edit + 2, [((6, 11, 6, 11 + old.count), old + "x")])
            server.append(Date().timeIntervalSince(start))
            text = text.replacingOccurrences(of: "title: \(old)\n", with: "title: \(old)x\n")
            let source = SourceFile(path: "sops/big.sop.yaml", text: text)
            let t0 = Date()
            _ = linter.lint(source)
            floor.append(Date().timeIntervalSince(t0))
        }
        #expect(client.published("sops/big.sop.yaml")?.isEmpty == true)
        func p(_ xs: [Double], _ q: Double) -> Double { xs.sorted()[min(xs.count - 1, Int(Double(xs.count) * q))] * 1000 }
        print(String(format: "lsp timing: %d-line SOP, 200 SOPs: didChange→publish p50 %.2f ms p99 %.2f ms; lint of the file p50 %.2f ms p99 %.2f ms; ratio p50 %.2f",
                     lines, p(server, 0.5), p(server, 0.99), p(floor, 0.5), p(floor, 0.99), p(server, 0.5) / p(floor, 0.5)))
    }
}
