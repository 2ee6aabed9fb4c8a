import Foundation
import SOPCore
import SOPDiagnostics
import SOPLanguageServer

/// `sop-bench completion [TICKET_SCHEMA]`: completion and hover of `sop lsp` at four places of a
/// generated 1,000-line SOP (docs/lsp.md, "Completion and hover"): a ticket field after `ticket.`,
/// a key, a state after `to:`, and the hover of a guard. Each is one whole call: the cursor's
/// context, loading the text, and the candidates.
enum CompletionBenchmarks {
    static func run(schemaPath: String?) {
        let (text, marks) = generatedSOP(lines: 1000)
        let source = SourceFile(path: "sops/long.sop.yaml", text: text)
        let schema = schemaPath.flatMap { try? TicketSchema.load(path: $0) }
        var sops: [SOPIndexEntry] = []
        if let definition = SOPLoader.load(source).definition { sops.append(SOPIndexEntry(definition, file: source.path)) }
        let context = AuthoringContext(sops: sops, ticketSchema: schema, calendars: ["support-eu"])
        print("a \(source.lineCount)-line SOP, \(source.bytes.count) bytes; ticket schema: \(schemaPath ?? "none")")
        for (name, position) in marks {
            let count = Completion.candidates(in: source, at: position, context: context).count
            Harness.report(Harness.measure("completion: \(name) (\(count) candidates)", repetitions: 5, minimumSeconds: 0.1) { n in
                for _ in 0..<n { _ = Completion.candidates(in: source, at: position, context: context) }
            })
        }
        // On `==` of the last generated state's guard.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let guardLine = lines.lastIndex(where: { $0.contains("when: ticket.priority == 'high'") }) {
            let position = SourcePosition(line: guardLine + 1, column: 32)
            let shown = Hover.info(in: source, at: position, context: context)?.markdown ?? "nothing"
            print("hover shows: \(shown)")
            Harness.report(Harness.measure("hover: a guard's type", repetitions: 5, minimumSeconds: 0.1) { n in
                for _ in 0..<n { _ = Hover.info(in: source, at: position, context: context) }
            })
        }
    }

    /// An SOP of about `lines` lines, and the cursor positions measured, in its last state.
    static func generatedSOP(lines: Int) -> (String, [(String, SourcePosition)]) {
        var text = "sop: long\nversion: 1\ntitle: A long SOP\nroles: [agent, lead]\nstart: s0\nstates:\n"
        let perState = 20
        let states = max(2, (lines - 12) / perState)
        for i in 0..<states {
            let next = i + 1 < states ? "s\(i + 1)" : "done"
            text += """
              s\(i):
                title: Step \(i) for ${{ ticket.id }}
                instructions: |
                  Read the ticket and check the customer's tier.
                  Then write down what you found.
                checklist:
                  - The customer is who they say
                inputs:
                  note\(i): {type: string, required: false}
                  amount\(i): {type: number, min: 0}
                transitions:
                  - to: \(next)
                    when: ticket.priority == 'high' and input.amount\(i) > 10
                  - to: \(next)
                    on: skip\(i)
                    label: Skip this step
                  - to: done
                    after: 48h
                    do:
                      - set: {var.x: 1}

            """
        }
        text += "  done: {title: Done, end: done}\n"
        var lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
        // The places measured, added after the last generated state's title.
        let base = lineCount
        text += "  last:\n    title: Last\n    transitions:\n      - to: \n        when: ticket.\n    \n"
        lineCount += 6
        return (text, [("ticket field", SourcePosition(line: base + 4, column: 22)),
                       ("key", SourcePosition(line: base + 5, column: 5)),
                       ("state after to:", SourcePosition(line: base + 3, column: 13))])
    }
}
