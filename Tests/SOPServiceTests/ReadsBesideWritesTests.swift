import Foundation
import SOPCore
import SOPExpression
import SOPJSON
@testable import SOPService
import SOPStore
import SOPStoreLocation
import StoreTestSupport
import Testing

/// A server reads on reader services (`RunService.reader()`) beside the one that writes: a read
/// in progress never holds up a write, sees one snapshot, and a reader cannot write.
@Suite struct ReadsBesideWritesTests {
    let ana = Caller(id: "ana", roles: ["agent"])
    let t0 = CivilTime.parseDateTime("2026-11-02T09:00:00Z")!

    /// The reader holds its snapshot open (as a report's scan does) while a step is taken: the
    /// step commits before the read ends, and the read still sees the store as it began.
    @Test func aReadInProgressDoesNotHoldUpAStep() throws {
        let w = try Workspace(["approval": OperationsTests.approval])
        _ = try w.service.start(sop: "approval", ticket: .object([("id", .string("T-1"))]), runID: "r1", as: .caller(ana), now: t0)
        // The store as a server opens it: reads on connections of their own.
        let writer = Reader(service: RunService(store: try StoreLocation.open(w.location, memoryMapped: false, server: true),
                                                catalogue: w.service.catalogue))
        let service = writer.service
        let reader = Reader(service: service.reader())
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), ended = DispatchSemaphore(value: 0)
        let seen = Seen()
        Thread {
            do {
                try reader.service.store.read { tx in
                    seen.before = try tx.journalPosition()
                    inside.signal()
                    release.wait()
                    seen.after = try tx.journalPosition()
                }
            } catch {
                seen.error = "\(error)"
            }
            ended.signal()
        }.start()
        inside.wait()
        // The step, on another thread, while the read is open: it must be answered.
        let stepped = DispatchSemaphore(value: 0)
        let result = Seen()
        Thread {
            result.step = Result { try writer.service.step("r1", .submit(inputs: [("amount", "5")], event: nil, checks: .all), as: .caller(ana), now: t0) }
                .map { $0.run.version }
            stepped.signal()
        }.start()
        let answered = stepped.wait(timeout: .now() + 60) == .success
        release.signal()
        ended.wait()
        if !answered { stepped.wait() }
        #expect(answered, "the step waited for the read to end")
        #expect(try result.step?.get() == 2)
        #expect(seen.error == nil)
        #expect(seen.before != nil && seen.before == seen.after, "the read saw the step's commit: \(String(describing: seen.before)) then \(String(describing: seen.after))")
        #expect(try service.journalPosition() > seen.before ?? .max)
    }

    @Test func aReaderCannotWrite() throws {
        let w = try Workspace(["approval": OperationsTests.approval])
        let reader = w.service.reader()
        #expect(throws: RunError.self) {
            try reader.start(sop: "approval", ticket: .object([("id", .string("T-1"))]), runID: "r1", as: .caller(ana), now: t0)
        }
        #expect(try w.service.runs(RunFilter(), as: .caller(ana)).runs.isEmpty)
    }

    private struct Reader: @unchecked Sendable {
        let service: RunService
    }

    private final class Seen: @unchecked Sendable {
        var before: Int64?
        var after: Int64?
        var error: String?
        var step: Result<Int, any Error>?
    }
}
