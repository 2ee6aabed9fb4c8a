import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop verify [RUN]`: one named run prints its line; every run prints the failures and a
/// summary (every run's line too with `--verbose`), so a store of 100,000 runs is not 100,000 lines.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check journals' hash chains and replay them against the pinned SOPs.")

    @Argument(help: ArgumentHelp("The run's id (default: every run).", valueName: "run")) var runID: String?
    @Flag(help: "Print every run's line, not only the failures (with no run named).") var verbose = false
    @OptionGroup var options: RunOptions

    func run() throws {
        // No memory map: mapped pages a scan of every run reads count in its resident memory
        // (up to the map's 256 MiB), which would grow with the store; the page cache is bounded.
        let service = try options.service(memoryMapped: false)
        do {
            if let runID {
                let results = try service.verify(runID, as: options.acting)
                Output.out(results.map(Self.line).joined())
                if results.contains(where: { $0.failure != nil }) { throw ExitCode(1) }
                return
            }
            // Every run, one at a time: a failure is shown as it is found (the `--verbose` lines
            // go out in blocks), and no result is kept, so memory does not grow with the store.
            let bar = ProgressBar.onTerminal(label: "verify", unit: "runs")
            var pending = ""
            func flush() {
                bar?.clear()
                Output.out(pending)
                pending = ""
            }
            let tally = try service.verifyEach(as: options.acting, progress: bar?.update) { v in
                guard v.failure != nil || verbose else { return }
                pending += Self.line(v)
                if v.failure != nil || pending.utf8.count >= 1 << 16 { flush() }
            }
            bar?.clear()
            pending += Self.summary(runs: tally.runs, failed: tally.failed, records: tally.records) + "\n"
            flush()
            if tally.failed > 0 { throw ExitCode(1) }
        } catch let code as ExitCode {
            throw code
        } catch {
            throw runExit(error)
        }
    }

    /// `RUN: ok (N records)` or `RUN: FAILED at record N: reason`, with its newline.
    static func line(_ v: Verification) -> String {
        guard let failure = v.failure else { return "\(v.run): ok (\(v.records) records)\n" }
        return "\(v.run): FAILED at record \(failure.seq): \(failure.reason)\n"
    }

    /// `2 runs ok (17 records)`, `1 of 3 runs FAILED (40 records)`, or `no runs`.
    static func summary(runs: Int, failed: Int, records: Int) -> String {
        guard runs > 0 else { return "no runs" }
        let counted = "(\(records) records)"
        let plural = runs == 1 ? "run" : "runs"
        return failed == 0 ? "\(runs) \(plural) ok \(counted)" : "\(failed) of \(runs) \(plural) FAILED \(counted)"
    }
}
