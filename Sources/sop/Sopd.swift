import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

enum Sopd {
    /// Replaces this process with `sopd` from the folder `sop` is in (else from `PATH`).
    static func exec(_ arguments: [String]) throws -> Never {
        let me = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0]).resolvingSymlinksInPath()
        let beside = me.deletingLastPathComponent().appendingPathComponent("sopd").path
        let path = FileManager.default.isExecutableFile(atPath: beside) ? beside : "sopd"
        // argv[0] is `sop`, so that `sopd` names itself as the user called it (`sop serve --help`).
        let argv = (["sop"] + arguments).map { strdup($0) } + [nil]
        _ = path.contains("/") ? execv(path, argv) : execvp(path, argv)
        Output.err("error: `sop \(arguments.first ?? "")` runs `sopd`, which was not found beside \(me.path) or on PATH: "
                   + "build it with `swift build --product sopd` (scripts/sop does)\n")
        throw ExitCode(2)
    }
}
