import Foundation
import SOPCore
import SOPService
import SOPStore

/// The run service behind a server, on threads of its own.
///
/// - **The writer**: one thread owns the service that writes (the service and its store
///   connection are not shared), and every write is queued to it. Steps that are queued while a
///   transaction is being written are taken together: one transaction and one commit (group
///   commit), so each step is durable when its caller hears of it and concurrent steps share the
///   cost of the disk's flush.
/// - **The readers**: reads (run lists, reports, journals, verify, the console's pages, the events
///   stream) run on reader threads, each with a service of its own that cannot write, on the
///   store's reader connections: each read sees one snapshot, and a long read never holds up a
///   commit. A report in progress does not delay a step.
public final class ServiceHost: @unchecked Sendable {
    private enum Job {
        case step(StepRequest, CheckedContinuation<Result<StepResult, RunError>, Never>)
        case work(() -> Void)
    }

    private let service: RunService
    private let condition = NSCondition()
    private var jobs: [Job] = []
    /// Called on the writer thread after each transaction that stepped runs, with how many.
    private let afterSteps: @Sendable (Int) -> Void
    /// The largest number of steps committed together (for the benchmark's report).
    public private(set) var largestBatch = 0

    private let readers = NSCondition()
    /// Reads waiting for a reader, oldest from `nextRead` on.
    private var reads: [(RunService) -> Void] = []
    private var nextRead = 0
    /// The SOPs the readers serve, and how many times they were reloaded (each reader reloads its
    /// service when its count is behind).
    private var catalogue: (SOPCatalogue, generation: Int)

    /// The reader threads a server runs (and the reader connections its store may open).
    public static let defaultReaders = 4

    /// - Parameter readers: the reader threads (reads beyond them wait for one to be free).
    public init(service: RunService, readers: Int = defaultReaders, afterSteps: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.service = service
        self.afterSteps = afterSteps
        catalogue = (service.catalogue, 0)
        // The threads keep the host: a host lives as long as its process (the servers make one).
        Self.spawn("sop-writer") { self.writeLoop() }
        for i in 0..<max(1, readers) {
            // Made here, handed to its thread, and used by that thread alone.
            let reader = Handoff(service: service.reader())
            Self.spawn("sop-reader-\(i)") { self.readLoop(reader.service) }
        }
    }

    private struct Handoff: @unchecked Sendable {
        let service: RunService
    }

    private static func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Runs `body` with the writing service on its thread: writes, in order with the steps.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (RunService) throws -> T) async throws -> T {
        let result: Result<T, Error> = await withCheckedContinuation { continuation in
            enqueue(.work { continuation.resume(returning: Result { try body(self.service) }) })
        }
        return try result.get()
    }

    /// Runs `body` with a reading service on a reader thread, beside the writes. The service
    /// cannot write (a write throws `RunError.store`); what it reads is committed, and anything
    /// committed before the call is seen.
    public func read<T: Sendable>(_ body: @escaping @Sendable (RunService) throws -> T) async throws -> T {
        let result: Result<T, Error> = await withCheckedContinuation { continuation in
            readers.lock()
            reads.append { service in continuation.resume(returning: Result { try body(service) }) }
            readers.signal()
            readers.unlock()
        }
        return try result.get()
    }

    /// Takes a step, committed with the others waiting at the same time.
    public func step(_ request: StepRequest) async -> Result<StepResult, RunError> {
        await withCheckedContinuation { continuation in enqueue(.step(request, continuation)) }
    }

    /// Serves SOPs from `catalogue` from now on, for writes and reads.
    public func reload(_ catalogue: SOPCatalogue) async {
        _ = try? await perform { $0.reload(catalogue) }
        readers.withLock { self.catalogue = (catalogue, self.catalogue.generation + 1) }
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func readLoop(_ service: RunService) {
        var generation = 0
        while true {
            readers.lock()
            while nextRead == reads.count { readers.wait() }
            let read = reads[nextRead]
            nextRead += 1
            if nextRead == reads.count {
                reads.removeAll(keepingCapacity: true)
                nextRead = 0
            }
            let current = catalogue
            readers.unlock()
            if current.generation != generation {
                service.reload(current.0)
                generation = current.generation
            }
            read(service)
        }
    }

    private func writeLoop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let taken = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            var steps: [(StepRequest, CheckedContinuation<Result<StepResult, RunError>, Never>)] = []
            func flush() {
                guard !steps.isEmpty else { return }
                let results = service.stepBatch(steps.map(\.0))
                largestBatch = max(largestBatch, steps.count)
                afterSteps(steps.count)
                for ((_, continuation), result) in zip(steps, results) { continuation.resume(returning: result) }
                steps.removeAll()
            }
            for job in taken {
                switch job {
                case .step(let request, let continuation):
                    steps.append((request, continuation))
                case .work(let body):
                    flush()
                    body()
                }
            }
            flush()
        }
    }
}
