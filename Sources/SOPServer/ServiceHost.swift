import Foundation
import SOPCore
import SOPService
import SOPStore

/// The run service behind a server: one thread owns it (the service and its store connection
/// are not shared), and every request's work is queued to that thread. Steps that are queued
/// while a transaction is being written are taken together: one transaction with a savepoint
/// per step and one commit (group commit), so each step is durable when its caller hears of it
/// and concurrent steps share the cost of the disk's flush.
public final class ServiceHost: @unchecked Sendable {
    private enum Job {
        case step(StepRequest, CheckedContinuation<Result<StepResult, RunError>, Never>)
        case work(() -> Void)
    }

    private let service: RunService
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var thread: Thread?
    /// Called on the service thread after each transaction that stepped runs, with how many.
    private let afterSteps: @Sendable (Int) -> Void
    /// The largest number of steps committed together (for the benchmark's report).
    public private(set) var largestBatch = 0

    public init(service: RunService, afterSteps: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.service = service
        self.afterSteps = afterSteps
        // The thread keeps the host: a host lives as long as its process (the servers make one).
        let thread = Thread { self.loop() }
        thread.name = "sop-service"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Runs `body` with the service on its thread.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (RunService) throws -> T) async throws -> T {
        let result: Result<T, Error> = await withCheckedContinuation { continuation in
            enqueue(.work { continuation.resume(returning: Result { try body(self.service) }) })
        }
        return try result.get()
    }

    /// Takes a step, committed with the others waiting at the same time.
    public func step(_ request: StepRequest) async -> Result<StepResult, RunError> {
        await withCheckedContinuation { continuation in enqueue(.step(request, continuation)) }
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
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
