import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop export --format xes|ocel FILE`: the journals as an event log for process mining.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the journals as an XES or OCEL 2.0 event log (docs/report.md).")

    @Option(help: "xes (IEEE 1849) or ocel (OCEL 2.0 JSON).") var format: ExportFormat
    @Argument(help: "The file to write ('-' for standard output).") var file: String
    @Option(help: "Only runs of this SOP (repeatable).") var sop: [String] = []
    @OptionGroup var options: RunOptions

    enum ExportFormat: String, ExpressibleByArgument, CaseIterable { case xes, ocel }

    func run() throws {
        let service = try options.service(memoryMapped: false)
        let handle: FileHandle
        if file == "-" {
            handle = FileHandle.standardOutput
        } else {
            guard FileManager.default.createFile(atPath: file, contents: nil), let h = FileHandle(forWritingAtPath: file) else {
                Output.err("error: cannot write \(file)\n")
                throw ExitCode(2)
            }
            handle = h
        }
        do {
            let (runs, events) = try service.exportEvents(format: format == .xes ? .xes : .ocel, sops: sop.isEmpty ? nil : Set(sop), to: handle,
                                                          as: options.acting)
            if file != "-" { Output.err("wrote \(runs) runs, \(events) events to \(file)\n") }
        } catch {
            throw runExit(error)
        }
    }
}
