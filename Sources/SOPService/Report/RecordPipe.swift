import Foundation
import SOPStore

/// Hands journal records from the thread that reads them out of the store to a thread that
/// scans them, in order, in batches: reading (SQLite, the kernel's copies) and scanning take
/// about as long, so on two cores the report costs about the longer of the two instead of their
/// sum. At most `batches` batches of about `batchBytes` each exist at once, so memory stays
/// bounded however large the journal.
final class RecordPipe: @unchecked Sendable {
    /// Records laid end to end: record i is `bytes[ends[i - 1]..<ends[i]]`.
    final class Batch {
        var bytes: [UInt8] = []
        var ends: [Int] = []
    }

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var empty: [Batch]
    private var full: [Batch] = []
    private var closed = false
    let batchBytes: Int

    init(batches: Int = 4, batchBytes: Int = 1 << 20) {
        empty = (0..<batches).map { _ in Batch() }
        self.batchBytes = batchBytes
    }

    /// An empty batch to fill, once the scanner has given one back.
    func takeEmpty() -> Batch {
        condition.lock()
        defer { condition.unlock() }
        while empty.isEmpty { condition.wait() }
        let batch = empty.removeLast()
        batch.bytes.removeAll(keepingCapacity: true)
        batch.ends.removeAll(keepingCapacity: true)
        return batch
    }

    /// A filled batch, for the scanner.
    func send(_ batch: Batch) {
        condition.lock()
        full.append(batch)
        condition.signal()
        condition.unlock()
    }

    /// No more batches will come.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next filled batch in order; nil once the pipe is closed and drained.
    func receive() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while full.isEmpty && !closed { condition.wait() }
        return full.isEmpty ? nil : full.removeFirst()
    }

    /// Gives a scanned batch back for refilling.
    func giveBack(_ batch: Batch) {
        condition.lock()
        empty.append(batch)
        condition.signal()
        condition.unlock()
    }

    /// Runs `produce` here, with a function that queues one record's bytes (copied), while
    /// `consume` takes every record, in order, on a thread of its own; returns when both are
    /// done. If `produce` throws, the scanner stops after the batches already sent and the error
    /// is rethrown.
    static func run(produce: ((UnsafeBufferPointer<UInt8>) -> Void) throws -> Void,
                    consume: @escaping @Sendable (UnsafeBufferPointer<UInt8>) -> Void) throws {
        let pipe = RecordPipe()
        let finished = DispatchSemaphore(value: 0)
        let scanner = Thread {
            while let batch = pipe.receive() {
                batch.bytes.withUnsafeBufferPointer { all in
                    var start = 0
                    for end in batch.ends {
                        consume(UnsafeBufferPointer(rebasing: all[start..<end]))
                        start = end
                    }
                }
                pipe.giveBack(batch)
            }
            finished.signal()
        }
        scanner.start()
        defer {
            pipe.close()
            finished.wait()
        }
        var batch = pipe.takeEmpty()
        try produce { record in
            batch.bytes.append(contentsOf: record)
            batch.ends.append(batch.bytes.count)
            if batch.bytes.count >= pipe.batchBytes {
                pipe.send(batch)
                batch = pipe.takeEmpty()
            }
        }
        if !batch.ends.isEmpty { pipe.send(batch) }
    }
}
