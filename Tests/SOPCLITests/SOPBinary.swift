import Foundation
import TestSupport

/// Runs the built `sop` executable as a user would, capturing its output and exit status.
struct SOPBinary {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
        var terminatedBySignal: Bool
    }

    static let url: URL = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sop"),
            Bundle.main.bundleURL.appendingPathComponent("sop"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("sop"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                    stdin: Data? = nil, timeout: Double = 20) throws -> Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        let started = Date()
        try process.run()
        if let stdin { inPipe.fileHandleForWriting.write(stdin) }
        try? inPipe.fileHandleForWriting.close()
        // Read both pipes while the process runs so a large output cannot block it.
        let outData = DataBox(), errData = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData.data = outPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData.data = errPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        group.wait()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData.data, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self),
                      seconds: Date().timeIntervalSince(started),
                      terminatedBySignal: process.terminationReason == .uncaughtSignal)
    }

    /// A fresh temporary folder for one test, with a small `schemas/ticket.schema.json` unless told not to.
    static func temporaryDirectory(ticketSchema: Bool = true) throws -> URL {
        let dir = try ScratchDirectory.make("sop-cli")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("schemas"), withIntermediateDirectories: true)
        if ticketSchema {
            try """
                {"type": "object", "required": ["id"], "properties": {
                  "id": {"type": "string"},
                  "priority": {"enum": ["low", "normal", "high", null]},
                  "tags": {"type": "array", "items": {"type": "string"}}
                }}
                """.write(to: dir.appendingPathComponent("schemas/ticket.schema.json"), atomically: true, encoding: .utf8)
        }
        return dir
    }
}

extension SOPBinary {
    /// The repository's root folder.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A fresh folder with the shipped SOPs and schemas (and `extra` SOPs by name), for the run
    /// commands; runs go to its `.sop/runs.sqlite`.
    static func workspace(extra: [String: String] = [:]) throws -> URL {
        let dir = try temporaryDirectory(ticketSchema: false)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("schemas"))
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("schemas"), to: dir.appendingPathComponent("schemas"))
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("sops"), to: dir.appendingPathComponent("sops"))
        for (name, text) in extra {
            try text.write(to: dir.appendingPathComponent("sops/\(name).sop.yaml"), atomically: true, encoding: .utf8)
        }
        return dir
    }
}

/// Written by one reader thread, read after `DispatchGroup.wait()`: the group orders the accesses.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
