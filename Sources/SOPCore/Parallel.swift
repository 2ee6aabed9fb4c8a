import Dispatch

/// Runs `body` for every element on all cores and returns the results in order. With `chunk`,
/// each task takes that many consecutive elements (for bodies too small to be a task each).
public func parallelMap<T: Sendable, R: Sendable>(_ items: [T], chunk: Int = 1, _ body: @Sendable (T) -> R) -> [R] {
    guard items.count > 1 else { return items.map(body) }
    let slots = ResultSlots<R>(count: items.count)
    let size = max(1, chunk)
    DispatchQueue.concurrentPerform(iterations: (items.count + size - 1) / size) { task in
        for i in task * size..<min(items.count, (task + 1) * size) {
            slots.set(i, body(items[i]))
        }
    }
    return (0..<items.count).map { slots.take($0) }
}

/// `body` computed for every element on all cores, chunk by chunk, from the moment the stream is
/// made; `consume` then takes the results in order, each as soon as its chunk is ready. Making
/// the stream for the next batch before consuming this one keeps the cores busy while the caller
/// writes and commits. Consumed results are freed on another thread. Once the stream is consumed
/// (or dropped, or `consume` throws), no work of it runs any more.
public final class ParallelStream<T: Sendable, R: Sendable> {
    private let items: [T]
    private let size: Int
    private let chunks: Int
    private let slots: ResultSlots<R>
    private let ready: [DispatchSemaphore]
    private let stop = StopFlag()
    private let finished = DispatchGroup()
    private var consumed = false

    public init(_ items: [T], chunk: Int, _ body: @escaping @Sendable (T) -> R) {
        self.items = items
        size = max(1, chunk)
        chunks = (items.count + size - 1) / size
        slots = ResultSlots<R>(count: items.count)
        ready = (0..<chunks).map { _ in DispatchSemaphore(value: 0) }
        guard chunks > 0 else { return }
        let (items, size, chunks, slots, ready, stop) = (items, size, chunks, slots, ready, stop)
        finished.enter()
        DispatchQueue.global().async { [finished] in
            DispatchQueue.concurrentPerform(iterations: chunks) { task in
                if !stop.isSet {
                    for i in task * size..<min(items.count, (task + 1) * size) {
                        slots.set(i, body(items[i]))
                    }
                }
                ready[task].signal()
            }
            finished.leave()
        }
    }

    deinit {
        stop.set()
        finished.wait()
    }

    /// Hands every result to `consume` in order, on the calling thread; once only.
    public func consume(_ consume: (T, R) throws -> Void) rethrows {
        precondition(!consumed, "a ParallelStream is consumed once")
        consumed = true
        defer {
            stop.set()
            finished.wait()
        }
        for task in 0..<chunks {
            ready[task].wait()
            let range = task * size..<min(items.count, (task + 1) * size)
            for i in range {
                try consume(items[i], slots.value(i))
            }
            // Results are often trees of small objects: free them on another thread, so that
            // this one goes on consuming.
            finished.enter()
            DispatchQueue.global().async { [slots, finished] in
                slots.clear(range)
                finished.leave()
            }
        }
    }
}

/// One slot per index; each index is written by exactly one task, and read, moved out or cleared
/// only after that task is known to have finished, by one thread at a time. Raw memory, because
/// `Array`'s mutating accessors may move its buffer and are not safe to call from several threads
/// at once.
private final class ResultSlots<R>: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<R?>
    private let count: Int

    init(count: Int) {
        self.count = count
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil, count: count)
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    func set(_ i: Int, _ value: R) { storage[i] = value }

    func take(_ i: Int) -> R { storage[i].take()! }

    func value(_ i: Int) -> R { storage[i]! }

    func clear(_ range: Range<Int>) {
        for i in range { storage[i] = nil }
    }
}

/// A flag set once by the consumer to tell the workers the rest of their results are unwanted.
private final class StopFlag: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var value = false

    var isSet: Bool {
        lock.wait()
        defer { lock.signal() }
        return value
    }

    func set() {
        lock.wait()
        value = true
        lock.signal()
    }
}
