import ArgumentParser
import Foundation
import Testing

@testable import sop

/// `QuickCommandLine` may only ever be a faster way to what ArgumentParser builds: for every
/// command line it takes, the command must be the one ArgumentParser parses, and anything it is
/// not sure of goes to ArgumentParser.
@Suite struct QuickCommandLineTests {
    /// Command lines the quick parser must take (so the comparison below is not vacuous).
    static let plain: [[String]] = [
        ["step", "r-1"],
        ["step", "r-1", "--event", "answer", "--now", "2026-11-02T09:00:00Z"],
        ["step", "--event=answer", "r-1", "--input", "amount=12", "--input", "reason=broken", "--check", "1,2"],
        ["step", "r-1", "--request-id", "req-7", "--format", "json", "--actor", "ana:lead", "--sops", "procs",
         "--store", "/tmp/x.sqlite", "--ticket-schema", "t.json", "--check=all"],
        ["step", "r-1", "--input", "note="],
        ["step", "help"],  // a run id to ArgumentParser too; `sop help step` is the help
        ["tick"],
        ["tick", "--now", "2026-11-02T11:00:00Z", "--format", "json", "--store=runs.sqlite"],
        ["start", "refund", "--ticket", "ticket.json"],
        ["start", "refund", "--ticket", "{\"id\": \"T-1\"}", "--id", "r-9", "--now", "2026-11-02T09:00:00+01:00"],
        ["start", "refund", "--tickets", "t.jsonl", "--format", "json"],
        ["status", "r-1"],
        ["status", "r-1", "--format", "json", "--actor", "bo:agent"],
    ]

    /// Command lines it must leave to ArgumentParser: help, unknown or repeated options, values
    /// that look like options, wrong counts, values or combinations ArgumentParser refuses, and
    /// every other command.
    static let leftToArgumentParser: [[String]] = [
        [], ["--help"], ["step", "--help"], ["step", "-h"], ["step", "r-1", "--", "x"],
        ["step"], ["step", "r-1", "r-2"], ["step", "r-1", "--event"], ["step", "r-1", "--event", "a", "--event", "b"],
        ["step", "r-1", "--evnt", "a"], ["step", "r-1", "--event", "-x"], ["step", "r-1", "--input", "novalue"],
        ["step", "r-1", "--input", "a=1", "--input", "a=2"], ["step", "r-1", "--check", "one"],
        ["step", "r-1", "--format", "yaml"], ["step", "r-1", "--now", "yesterday"], ["step", "r-1", "--actor", "ana"],
        ["tick", "r-1"], ["start", "refund"], ["start", "refund", "--ticket", "t.json", "--tickets", "t.jsonl"],
        ["start", "refund", "--tickets", "t.jsonl", "--id", "r-1"], ["start", "refund", "--ticket", "-"],
        ["status"], ["lint", "sops"], ["verify"], ["log", "r-1"], ["runs"], ["version"], ["--version"],
    ]

    @Test(arguments: plain)
    func takesPlainCommandLinesAndBuildsWhatArgumentParserBuilds(_ arguments: [String]) throws {
        let quick = try #require(QuickCommandLine.command(arguments), "left to ArgumentParser: \(arguments)")
        let parsed = try SOPCommand.parseAsRoot(arguments)
        #expect(Self.described(quick) == Self.described(parsed))
        #expect(type(of: quick) == type(of: parsed))
    }

    @Test(arguments: leftToArgumentParser)
    func leavesEverythingElseToArgumentParser(_ arguments: [String]) {
        #expect(QuickCommandLine.command(arguments) == nil, "taken: \(arguments)")
    }

    /// An option added to one of these commands must be added here too, or the quick parser would
    /// turn it away (correct, but slow) — or worse, a renamed option would be taken by its old name.
    @Test(arguments: [("step", StepCommandLine.self), ("tick", TickCommand.self), ("start", StartCommand.self),
                      ("status", StatusCommand.self)] as [(String, ParsableCommand.Type)])
    func knowsExactlyTheOptionsArgumentParserKnows(_ name: String, _ command: ParsableCommand.Type) throws {
        let help = command.helpMessage(columns: 1000)
        let regex = try Regex("--[a-z][a-z-]*")
        let declared = Set(help.matches(of: regex).map { String(help[$0.range]) }).subtracting(["--help"])
        let spec = try #require(QuickCommandLine.specs[name])
        let known = Set(spec.options.union(spec.repeatable).union(QuickCommandLine.runOptionNames).map { "--" + $0 })
        #expect(declared == known)
    }

    /// Two commands are the same when every property holds the same value (dumped, so optionals,
    /// arrays and the option group are compared all the way down).
    static func described(_ command: ParsableCommand) -> String {
        var out = ""
        dump(command, to: &out)
        return out
    }
}
