import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

@testable import sop

/// The progress bar of `sop verify` and `sop report`: its line as a pure function, its redraws,
/// and the binary drawing it on a terminal's standard error and never into a pipe.
@Suite struct ProgressBarTests {
    func line(_ done: Int, _ total: Int, seconds: Int64 = 12, width: Int = 80, label: String = "verify", unit: String = "runs") -> String {
        ProgressBar.line(label: label, unit: unit, done: done, total: total, elapsed: .seconds(seconds), width: width)
    }

    @Test func theLine() {
        // 80 columns: the line takes 79 (a full line would wrap), the bar what is left.
        #expect(line(412_000, 1_000_000) == "verify  412,000 / 1,000,000 runs  41%  [#############...................]  12 s")
        #expect(line(412_000, 1_000_000).count == 79)
        // A wide terminal: the bar stops at 40 cells.
        #expect(line(412_000, 1_000_000, width: 200) == "verify  412,000 / 1,000,000 runs  41%  [################........................]  12 s")
        #expect(line(0, 5, seconds: 0, width: 60) == "verify  0 / 5 runs  0%  [............................]  0 s")
        #expect(line(5, 5, seconds: 185, width: 60, label: "report", unit: "records") == "report  5 / 5 records  100%  [################]  3 min 05 s")
        // The total is an estimate (PostgreSQL's journal positions): past it, the count is the total.
        #expect(line(1_200, 1_000, seconds: 3_725, width: 70) == "verify  1,200 / 1,200 runs  100%  [#####################]  1 h 02 min")
        // Nothing to do is done.
        #expect(line(0, 0, seconds: 0, width: 50) == "verify  0 / 0 runs  100%  [################]  0 s")
        // Too narrow for a bar: the words; narrower still, as many of them as fit.
        #expect(line(412_000, 1_000_000, width: 50) == "verify  412,000 / 1,000,000 runs  41%  12 s")
        #expect(line(412_000, 1_000_000, width: 20) == "verify  412,000 / 1")
    }

    @Test func thousandsAndTimes() {
        #expect(ProgressBar.grouped(0) == "0" && ProgressBar.grouped(999) == "999" && ProgressBar.grouped(1_000) == "1,000")
        #expect(ProgressBar.grouped(1_234_567) == "1,234,567")
        #expect(ProgressBar.elapsed(.seconds(59)) == "59 s" && ProgressBar.elapsed(.seconds(60)) == "1 min 00 s")
        #expect(ProgressBar.elapsed(.milliseconds(999)) == "0 s" && ProgressBar.elapsed(.seconds(7_200)) == "2 h 00 min")
    }

    /// Drawn at once, then not again within a tenth of a second; cleared with spaces; drawn
    /// again after a clear.
    @Test func redrawsAreThrottledAndTheBarIsCleared() {
        final class Screen { var writes: [String] = [] }
        let screen = Screen()
        let bar = ProgressBar(label: "verify", unit: "runs", width: { 60 }, write: { screen.writes.append($0) })
        bar.update(0, 5)
        bar.update(1, 5)
        #expect(screen.writes.count == 1 && screen.writes[0].hasPrefix("\rverify  0 / 5 runs  0%  ["))
        let shown = screen.writes[0].count - 1
        bar.clear()
        #expect(screen.writes.count == 2 && screen.writes[1] == "\r" + String(repeating: " ", count: shown) + "\r")
        bar.clear()
        #expect(screen.writes.count == 2)
        bar.update(2, 5)
        #expect(screen.writes.count == 3 && screen.writes[2].hasPrefix("\rverify  2 / 5 runs  40%  ["))
    }

    static let hello = """
        sop: hello
        version: 1
        title: Say hello
        start: greet
        states:
          greet:
            title: Greet the customer
            transitions:
              - to: done
                on: greeted
          done:
            title: Done
            end: greeted

        """

    func storeWithRuns() throws -> URL {
        let dir = try SOPBinary.temporaryDirectory()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sops"), withIntermediateDirectories: true)
        try Self.hello.write(to: dir.appendingPathComponent("sops/hello.sop.yaml"), atomically: true, encoding: .utf8)
        for id in ["a", "b", "c"] {
            let r = try SOPBinary.run(["start", "hello", "--ticket", #"{"id": "T-\#(id)"}"#, "--id", id, "--now", "2026-11-02T09:00:00Z"], in: dir)
            try #require(r.status == 0, "\(r.stderr)")
        }
        return dir
    }

    static let report = ["report", "--from", "2026-11-01", "--to", "2026-11-10", "--now", "2026-11-10T00:00:00Z"]

    /// Piped (as tests and scripts run it), standard error stays empty: no bar, no `\r`.
    @Test func pipedOutputHasNoBar() throws {
        let dir = try storeWithRuns()
        let verify = try SOPBinary.run(["verify"], in: dir)
        #expect(verify.status == 0 && verify.stdout == "3 runs ok (3 records)\n" && verify.stderr == "", "\(verify.stderr)")
        let report = try SOPBinary.run(Self.report, in: dir)
        #expect(report.status == 0 && report.stdout.hasPrefix("Service report") && report.stderr == "", "\(report.stdout)\(report.stderr)")
    }

    /// On a terminal, standard error shows the bar and ends by clearing it; standard output (a
    /// pipe) is what it is without one.
    @Test func aTerminalShowsTheBarAndClearsIt() throws {
        let dir = try storeWithRuns()
        let verify = try Self.runWithTerminalStderr(["verify"], in: dir)
        #expect(verify.status == 0 && verify.stdout == "3 runs ok (3 records)\n")
        #expect(verify.stderr.hasPrefix("\rverify  0 / 3 runs  0%  [") && verify.stderr.hasSuffix(" \r"), "\(verify.stderr.debugDescription)")
        #expect(!verify.stderr.contains("\n"))
        let report = try Self.runWithTerminalStderr(Self.report, in: dir)
        #expect(report.status == 0 && report.stdout.hasPrefix("Service report"))
        #expect(report.stderr.hasPrefix("\rreport  0 / 3 records  0%  [") && report.stderr.hasSuffix(" \r"), "\(report.stderr.debugDescription)")
    }

    /// Runs `sop` with standard error on a pseudo-terminal (standard output a pipe), returning
    /// what reached the terminal.
    static func runWithTerminalStderr(_ arguments: [String], in dir: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        // posix_openpt and friends are not in Swift's Glibc module: the same through /dev/ptmx
        // and Linux's ioctls (TIOCSPTLCK = _IOW('T', 0x31, int), TIOCGPTN = _IOR('T', 0x30, unsigned)).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        try #require(master >= 0)
        defer { close(master) }
        var unlock: Int32 = 0, number: UInt32 = 0
        try #require(ioctl(master, 0x4004_5431, &unlock) == 0 && ioctl(master, 0x8004_5430, &number) == 0)
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        try #require(slave >= 0)
        let process = Process()
        process.executableURL = SOPBinary.url
        process.arguments = arguments
        process.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        close(slave)
        // Drain the terminal while the command runs; reading ends (EIO) once no one holds it.
        final class Box: @unchecked Sendable { var bytes: [UInt8] = [] }
        let terminal = Box()
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(master, &buffer, buffer.count)
                if n <= 0 { break }
                terminal.bytes += buffer[0..<n]
            }
            done.signal()
        }
        reader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(done.wait(timeout: .now() + 20) == .success)
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: terminal.bytes, as: UTF8.self))
    }
}
