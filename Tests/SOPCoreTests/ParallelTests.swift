import Foundation
import SOPCore
import Testing

/// `ParallelStream`: the tick and bulk start write through it, so the order of
/// what the consumer sees is the order of the journal.
@Suite struct ParallelMapTests {
    struct Stop: Error {}

    @Test(arguments: [0, 1, 2, 63, 64, 65, 1000])
    func theConsumerSeesEveryResultInOrder(count: Int) throws {
        let items = Array(0..<count)
        var seen: [(Int, Int)] = []
        ParallelStream(items, chunk: 64) { item in
            // Uneven work, so that later chunks are often ready before earlier ones.
            if item % 97 == 0 { usleep(200) }
            return item * item
        }.consume { item, result in seen.append((item, result)) }
        #expect(seen.map(\.0) == items)
        #expect(seen.map(\.1) == items.map { $0 * $0 })
    }

    @Test func aThrowingConsumerStopsTheConsumingAndTheErrorComesThrough() {
        var consumed = 0
        let computed = Counter()
        #expect(throws: Stop.self) {
            try ParallelStream(Array(0..<10_000), chunk: 16) { item in
                computed.add()
                return item
            }.consume { item, _ in
                if item == 100 { throw Stop() }
                consumed += 1
            }
        }
        #expect(consumed == 100)
        // Nothing runs once the call has returned: the count stays where it was.
        let after = computed.value
        usleep(20_000)
        #expect(computed.value == after)
    }

    @Test func theBatchFormKeepsTheOrderToo() {
        let items = Array(0..<5000)
        #expect(parallelMap(items, chunk: 64) { $0 + 1 } == items.map { $0 + 1 })
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
