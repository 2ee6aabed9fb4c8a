import Foundation

/// Writes a corpus of realistic SOP files (about 200 lines each) for the lint benchmark. The
/// content is deterministic: the same count gives the same bytes.
enum CorpusGenerator {
    static func generate(into folder: String, count: Int) throws -> (files: Int, bytes: Int) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var total = 0
        for i in 0..<count {
            let text = sop(number: i)
            total += text.utf8.count
            try text.write(toFile: "\(folder)/bench-\(i).sop.yaml", atomically: false, encoding: .utf8)
        }
        return (count, total)
    }

    static func sop(number n: Int) -> String {
        let states = 9
        var out = """
            # yaml-language-server: $schema=../schemas/sop.schema.json
            sop: bench-\(n)
            version: \(n % 7 + 1)
            title: Benchmark procedure \(n) for ${{ ticket.customer.name }}
            description: |
              A generated procedure with the shape of a real one: inputs, checklists, guards,
              timers, actions and templates in every state.
            category: \(["intake", "escalation", "returns", "complaint", "follow-up"][n % 5])
            applies_when: ticket.category == 'returns' and ticket.priority != 'low'
            roles: [agent, supervisor]
            vars:
              attempts: {type: integer, initial: 0}
              limit: {type: number, initial: 250}
            start: s0
            states:

            """
        for s in 0..<states {
            let next = "s\(s + 1)"
            if s == states - 1 {
                out += """
                  s\(s):
                    title: Closed (\(s))
                    end: done

                """
                continue
            }
            out += """
              s\(s):
                title: Step \(s) of the procedure
                instructions: |
                  Check the order `${{ ticket.order_id }}` and confirm the details with the customer.
                  Write down anything unusual before moving on.
                checklist:
                  - Customer identity confirmed
                  - Order details match the ticket
                inputs:
                  amount_\(s): {type: number, min: 0, prompt: Amount in question}
                  reason_\(s): {type: enum, values: [damaged, wrong_item, late], prompt: Reason}
                transitions:
                  - to: \(next)
                    when: input.amount_\(s) <= var.limit and input.reason_\(s) in ['damaged', 'late']
                    do:
                      - set: {ticket.refund_status: pending, var.attempts: "${{ var.attempts + 1 }}"}
                      - notify: {to: customer, template: "We are on it: ${{ ticket.id }} (${{ input.reason_\(s) }})."}
                  - to: \(next)
                    on: approve
                    label: Approve and continue
                    role: supervisor
                  - to: s\(states - 1)
                    after: 48h
                    role: system

            """
        }
        return out
    }
}
