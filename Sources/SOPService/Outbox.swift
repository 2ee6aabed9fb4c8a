import SOPCore
import SOPExpression
import SOPJSON
import SOPStore

/// The outbox: the messages `notify` effects send, kept with their records, and their webhook
/// deliveries, each retried with backoff until accepted or out of attempts.
extension RunService {
    public func outbox() throws -> [(message: OutboxMessage, deliveries: [Delivery])] {
        try store.read { tx in try tx.outboxMessages().map { ($0, try tx.deliveries(message: $0.id)) } }
    }

    /// Puts a message's failed or pending deliveries (or one delivery) back in the queue, due now.
    public func retryOutbox(_ id: String, now: Int64) throws -> Int {
        try write { tx in
            if try tx.retryDelivery(id, at: now) { return 1 }
            guard try tx.outboxMessage(id) != nil else { throw RunError.badRequest("no outbox message or delivery has the id '\(id)'") }
            var count = 0
            for d in try tx.deliveries(message: id) where d.status != "delivered" {
                if try tx.retryDelivery(d.id, at: now) { count += 1 }
            }
            return count
        }
    }

    /// Makes a delivery of each new message to every endpoint, then claims the deliveries due at
    /// `now` (looking at most at `limit`) that the endpoints have room for: what a server posts
    /// next. `inFlight` counts the attempts the caller has under way per endpoint; an endpoint
    /// gets at most `perEndpoint` at once, so one that hangs cannot take the places of the others.
    /// A claimed delivery is due again only after `lease` milliseconds: the next poll does not
    /// post it a second time while its attempt is under way, and if the server dies before it
    /// records the attempt, the delivery is attempted again when the lease ends.
    public func claimDueDeliveries(endpoints: [String], now: Int64, lease: Int64, inFlight: [String: Int] = [:], perEndpoint: Int,
                                   limit: Int = 100) throws -> [(delivery: Delivery, message: OutboxMessage)] {
        try write { tx in
            for message in try tx.undispatchedMessages(limit: 500) { try tx.dispatch(message.id, to: endpoints, at: now) }
            var taken = inFlight
            var claimed: [(delivery: Delivery, message: OutboxMessage)] = []
            for d in try tx.dueDeliveries(at: now, limit: limit) where taken[d.endpoint, default: 0] < perEndpoint {
                guard let message = try tx.outboxMessage(d.message) else { continue }
                // Due again when the lease ends (still pending): the store's "queue it at" is the claim.
                _ = try tx.retryDelivery(d.id, at: now + lease)
                taken[d.endpoint, default: 0] += 1
                claimed.append((d, message))
            }
            return claimed
        }
    }

    /// Records one attempt of a delivery and decides what comes next, by `policy`: delivered (a
    /// 2xx answer), failed (out of attempts), or pending until its next attempt. The outcome.
    @discardableResult
    public func recordAttempt(_ delivery: Delivery, httpStatus: Int?, failure: String?, now: Int64, policy: DeliveryPolicy) throws -> String {
        let attempt = delivery.attempts + 1
        let failure = failure ?? httpStatus.flatMap { (200..<300).contains($0) ? nil : "HTTP \($0)" }
        let (outcome, next) = policy.next(after: attempt, failed: failure != nil, now: now)
        try write { tx in
            try tx.recordAttempt(delivery: delivery.id, attempt: attempt, at: now, httpStatus: httpStatus, error: failure, status: outcome,
                                 nextAttempt: next)
        }
        return outcome
    }

    /// The body a webhook receives (docs/server.md).
    public static func webhookPayload(_ delivery: Delivery, _ message: OutboxMessage) -> JSONValue {
        .object([("delivery", .string(delivery.id)), ("type", .string("notify")), ("message", .string(message.id)),
                 ("run", .string(message.run)), ("seq", .int(message.seq)),
                 ("created_at", .string(CivilTime.formatDateTime(message.createdAt))), ("notify", message.message)])
    }
}

/// How a webhook delivery is retried: `firstBackoff` doubled per attempt, capped at `maxBackoff`,
/// with up to a tenth more at random so that retries of many deliveries spread out; after
/// `maxAttempts` attempts it has failed.
public struct DeliveryPolicy: Sendable {
    public var maxAttempts: Int
    public var firstBackoff: Duration
    public var maxBackoff: Duration

    public init(maxAttempts: Int = 8, firstBackoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(600)) {
        self.maxAttempts = maxAttempts
        self.firstBackoff = firstBackoff
        self.maxBackoff = maxBackoff
    }

    /// The delivery's status after attempt `attempt`, and when it is next due.
    public func next(after attempt: Int, failed: Bool, now: Int64) -> (status: String, nextAttempt: Int64) {
        if !failed { return ("delivered", now) }
        if attempt >= maxAttempts { return ("failed", now) }
        return ("pending", now + backoff(attempt: attempt))
    }

    /// Milliseconds before attempt `attempt + 1`.
    public func backoff(attempt: Int) -> Int64 {
        let base = min(Self.milliseconds(maxBackoff), Self.milliseconds(firstBackoff) << min(attempt - 1, 30))
        return base + Int64.random(in: 0...max(0, base / 10))
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }
}
