import Foundation
import SOPCore
import SOPJSON
import SOPServer
import SOPService
import SOPStoreLocation
import Testing
import TestSupport

/// A report reads every record of the store; a server runs it on a reader of its own, so that a
/// report in progress holds up no step. The report is paused in the middle of its read (its
/// snapshot open) while a step is taken: the step is answered before the report finishes.
@Suite struct ReportBesideStepsTests {
    static let sop = """
        sop: ping
        version: 1
        title: Ping
        start: open
        roles: [agent]
        states:
          open:
            title: Open
            transitions:
              - {to: open, on: ping}
              - {to: closed, on: close}
          closed: {title: Closed, end: closed}
        """

    /// Opens when the report first reports progress (its read has begun), and holds the report
    /// there until released.
    final class Gate: @unchecked Sendable {
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var paused = false
        private(set) var finished = false

        func pause() {
            let first = lock.withLock { () -> Bool in
                defer { paused = true }
                return !paused
            }
            guard first else { return }
            inside.signal()
            release.wait()
        }

        func markFinished() { lock.withLock { finished = true } }
        var isFinished: Bool { lock.withLock { finished } }

        /// Waits, off the async threads, until the report is paused inside its read.
        func waitInside() async {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    self.inside.wait()
                    done.resume()
                }
            }
        }
    }

    @Test func aReportInProgressDoesNotHoldUpAStep() async throws {
        let dir = try ScratchDirectory.make("report-beside")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sops"), withIntermediateDirectories: true)
        try Self.sop.write(to: dir.appendingPathComponent("sops/ping.sop.yaml"), atomically: true, encoding: .utf8)
        let store = try StoreLocation.open(dir.appendingPathComponent("runs.sqlite").path, memoryMapped: false, server: true)
        let host = ServiceHost(service: RunService(store: store, sopsFolder: dir.appendingPathComponent("sops").path, schema: nil))
        let sue = Caller(id: "sue", roles: ["agent", "supervisor"])
        let now = Clock.now()
        let run = try await host.perform { service in
            try service.start(sop: "ping", ticket: .object([("id", .string("T-1"))]), runID: "r1", as: .caller(sue), now: now).run.id
        }
        let gate = Gate()
        let options = ReportOptions(from: now - 86_400_000, to: now + 86_400_000)
        let report = Task {
            let built = try await host.read(.long) { service in
                try service.report(options, as: .caller(sue), progress: { _, _ in gate.pause() })
            }
            gate.markFinished()
            return built
        }
        await gate.waitInside()
        // The report is in the middle of its read, its snapshot open: the step must still be taken.
        // (Were it held up, the report is let go after a minute, and the test fails instead of hanging.)
        let letGo = Task {
            try await Task.sleep(for: .seconds(60))
            gate.release.signal()
        }
        let stepped = await host.step(StepRequest(run: run, command: .submit(inputs: [], event: "close", checks: nil), who: .caller(sue),
                                                  now: Clock.now()))
        let finishedFirst = gate.isFinished
        letGo.cancel()
        gate.release.signal()
        let built = try await report.value
        #expect(try stepped.get().run.outcome == "closed")
        #expect(!finishedFirst, "the step was answered only after the report finished")
        // The report read the store as it was when it began: one record (the start), the run open.
        #expect(built.json()["records_read"] == .int(1), "\(built.json().render())")
        #expect(built.json()["overall"]?["ended"] == .int(0), "\(built.json().render())")
    }
}
