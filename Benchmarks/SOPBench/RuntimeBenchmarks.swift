import Foundation
import SOPCore
import SOPDiagnostics
import SOPJSON

/// In-process interpreter throughput on a returns-like SOP: every step takes one guarded
/// transition (three comparisons over the ticket, an input and a variable), runs a `set`, and
/// writes its journal record.
enum RuntimeBenchmarks {
    static let sop = """
        sop: loop
        version: 1
        title: A returns-like loop
        vars:
          limit: {type: number, initial: 200}
          n: {type: integer, initial: 0}
        start: verify
        states:
          verify:
            title: Verify
            inputs:
              amount: {type: number, required: false}
            transitions:
              - to: inspect
                on: next
                when: ticket.priority == 'high' and ticket.total <= var.limit and var.n >= 0
              - to: inspect
                on: next
          inspect:
            title: Inspect
            transitions:
              - to: refund
                on: next
                when: ticket.priority != 'low' and ticket.total > 10 and var.n >= 0
                do:
                  - set: {var.n: "${{ var.n + 1 }}"}
          refund:
            title: Refund
            transitions:
              - to: verify
                on: next
                when: ticket.channel == 'email' and ticket.total < 1000 and var.n >= 0
              - to: done
                on: stop
          done:
            title: Done
            end: done
        """

    static func run(only: String? = nil) {
        let compiled = try! CompiledSOP.compile(SourceFile(path: "loop.sop.yaml", text: sop), schema: nil)
        let engine = Engine(sop: compiled, schema: nil)
        let ticket = try! JSONParser.parse(#"{"id":"T-1","priority":"high","total":120.5,"channel":"email"}"#)
        let actor = Actor(id: "ana", role: "agent")
        var run = try! engine.start(id: "bench", ticket: ticket, actor: actor, now: 0).run
        let command = StepCommand.submit(inputs: [], event: "next", checks: nil)
        print("interpreter (returns-like SOP, one guarded transition per step)")
        if only == nil || only == "decide" {
            let m = Harness.measure("step: guard, set, journal record") { n in
                // A local, so each step hands the run over instead of copying it out of the
                // closure's capture box (which a caller holding its own run does not pay).
                var local = run
                for i in 0..<n {
                    var decision = try! engine.apply(command, to: consume local, actor: actor, now: Int64(i))
                    local = decision.takeRun()
                }
                run = local
            }
            Harness.report(m)
        }
        if only == nil || only == "chain" {
            // What a step pays to check its run's journal (StoredChain, docs/decisions.md): the
            // stored texts of a journal of 100 records, checked whole, per record.
            var texts: [String] = []
            var last: String?
            var local = run
            for i in 0..<100 {
                var d = try! engine.apply(command, to: consume local, actor: actor, now: Int64(i))
                var r = d.records[0]
                r.seq = i
                r.run = "bench"
                texts.append(r.sealForStore(after: last))
                last = r.hash
                local = d.takeRun()
            }
            run = local
            let bytes = texts.reduce(0) { $0 + $1.utf8.count }
            let checked = Harness.measure("check a stored record's chain link (of 100)") { n in
                for _ in 0..<max(1, n / 100) { blackHole(StoredChain.check(texts, run: "bench", lastHash: last)) }
            }
            Harness.report(checked)
            print("  (\(bytes / texts.count) bytes a record; the check found \(StoredChain.check(texts, run: "bench", lastHash: last).map { "\($0)" } ?? "the chain whole"))")
        }
        guard only == nil || only == "seal" else { return }
        let sealed = Harness.measure("step and seal its record (SHA-256 chain)") { n in
            var last: String?
            var local = run
            for i in 0..<n {
                let d = try! engine.apply(command, to: consume local, actor: actor, now: Int64(i))
                var r = d.records[0]
                r.seal(after: last)
                last = r.hash
                local = d.run
            }
            run = local
        }
        Harness.report(sealed)
    }
}
