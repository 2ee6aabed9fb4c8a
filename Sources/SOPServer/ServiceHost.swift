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

    /// Reads waiting for a reader thread, by kind (each queue wakes only its own threads).
    private let reads: [ReadKind: ReadQueue] = [.short: ReadQueue(), .long: ReadQueue()]
    /// The SOPs the readers serve, and how many times they were reloaded (each reader reloads its
    /// service when its count is behind), under `catalogueLock`.
    private var catalogue: (SOPCatalogue, generation: Int)
    private let catalogueLock = NSLock()

    /// What a read is, for the thread that takes it.
    public enum ReadKind: Sendable {
        /// A page, a run, a journal: on the reader threads, at the writer's CPU priority.
        case short
        /// A read of the whole store (a report): on a thread of its own at a lower CPU priority
        /// (nice 10), so that on a busy machine the steps' threads get the cores first. Long
        /// reads wait for each other.
        case long
    }

    /// FIFO of waiting reads (taken from `next` on), under `condition`.
    private final class ReadQueue {
        let condition = NSCondition()
        var items: [(RunService) -> Void] = []
        var next = 0
        var isEmpty: Bool { next == items.count }

        func take() -> (RunService) -> Void {
            let item = items[next]
            next += 1
            if next == items.count {
                items.removeAll(keepingCapacity: true)
                next = 0
            }
            return item
        }
    }

    /// The reader threads a server runs for short reads (and the reader connections its store
    /// may open: one more for the long reads).
    public static let defaultReaders = 4

    /// - Parameter readers: the reader threads for short reads (reads beyond them wait for one
    ///   to be free); one more thread takes the long reads. 0: no reader threads, every read is
    ///   queued to the writer in order with the writes (`sop mcp`: one client, whose calls are
    ///   answered in the order they come, a read never before the step sent ahead of it).
    public init(service: RunService, readers: Int = defaultReaders, afterSteps: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.service = service
        self.afterSteps = afterSteps
        catalogue = (service.catalogue, 0)
        // The threads keep the host: a host lives as long as its process (the servers make one).
        inOrder = readers == 0
        Self.spawn("sop-writer") { self.writeLoop() }
        guard !inOrder else { return }
        let kinds = Array(repeating: ReadKind.short, count: readers) + [.long]
        for (i, kind) in kinds.enumerated() {
            // Made here, handed to its thread, and used by that thread alone.
            let reader = Handoff(service: service.reader())
            Self.spawn(kind == .long ? "sop-long-read" : "sop-reader-\(i)") {
                // On Linux the nice value is the calling thread's (and the threads it starts').
                if kind == .long { setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10) }
                self.readLoop(reader.service, kind)
            }
        }
    }

    /// Reads are queued to the writer (no reader threads).
    private let inOrder: Bool

    private struct Handoff: @unchecked Sendable {
        let service: RunService
    }

    private static func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            // Named for `top -H` and profilers (named from inside: Linux names the running thread).
            Thread.current.name = name
            body()
        }
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
    public func read<T: Sendable>(_ kind: ReadKind = .short, _ body: @escaping @Sendable (RunService) throws -> T) async throws -> T {
        if inOrder { return try await perform(body) }
        let result: Result<T, Error> = await withCheckedContinuation { continuation in
            let queue = reads[kind]!
            queue.condition.withLock {
                queue.items.append { service in continuation.resume(returning: Result { try body(service) }) }
                queue.condition.signal()
            }
        }
        return try result.get()
    }

    /// Runs `body` (a token or session check: blocking store work that needs no service) on a
    /// reader thread, so that request handlers never block the threads async code runs on.
    public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await read { _ in try body() }
    }

    /// Takes a step, committed with the others waiting at the same time.
    public func step(_ request: StepRequest) async -> Result<StepResult, RunError> {
        await withCheckedContinuation { continuation in enqueue(.step(request, continuation)) }
    }

    /// Serves SOPs from `catalogue` from now on, for writes and reads.
    public func reload(_ catalogue: SOPCatalogue) async {
        _ = try? await perform { $0.reload(catalogue) }
        catalogueLock.withLock { self.catalogue = (catalogue, self.catalogue.generation + 1) }
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func readLoop(_ service: RunService, _ kind: ReadKind) {
        var generation = 0
        while true {
            let queue = reads[kind]!
            queue.condition.lock()
            while queue.isEmpty { queue.condition.wait() }
            let read = queue.take()
            queue.condition.unlock()
            let current = catalogueLock.withLock { catalogue }
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
                // A step is recorded when it is applied (its request's time, or later): two steps
                // of one run sent at once are recorded in the order they are taken, and the later
                // one is never refused for going back in time.
                let now = Clock.now()
                let results = service.stepBatch(steps.map { step, _ in
                    var request = step
                    request.now = max(request.now, now)
                    return request
                })
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
