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
        let service = try options.service()
        do {
            let results = try service.verify(runID, as: options.acting)
            var failed = 0, records = 0
            var text = ""
            for v in results {
                records += v.records
                if let failure = v.failure {
                    failed += 1
                    text += "\(v.run): FAILED at record \(failure.seq): \(failure.reason)\n"
                } else if verbose || runID != nil {
                    text += "\(v.run): ok (\(v.records) records)\n"
                }
            }
            if runID == nil { text += Self.summary(runs: results.count, failed: failed, records: records) + "\n" }
            Output.out(text)
            if failed > 0 { throw ExitCode(1) }
        } catch let code as ExitCode {
            throw code
        } catch {
            throw runExit(error)
        }
    }

    /// `2 runs ok (17 records)`, `1 of 3 runs FAILED (40 records)`, or `no runs`.
    static func summary(runs: Int, failed: Int, records: Int) -> String {
        guard runs > 0 else { return "no runs" }
        let counted = "(\(records) records)"
        let plural = runs == 1 ? "run" : "runs"
        return failed == 0 ? "\(runs) \(plural) ok \(counted)" : "\(failed) of \(runs) \(plural) FAILED \(counted)"
    }
}
