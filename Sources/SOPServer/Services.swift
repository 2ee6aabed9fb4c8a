import Foundation
import FoundationNetworking
import Logging
import ServiceLifecycle
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore
import Synchronization

#if canImport(FoundationNetworking)
#endif

/// Set once a graceful shutdown begins: `/readyz` answers 503 and event streams end, so the
/// server can finish the requests in flight and stop.
public final class ShutdownFlag: Sendable {
    private let state = Mutex(false)
    public init() {}
    public var isSet: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}


/// Sets the flag when the service group begins to shut down.
struct ShutdownWatcher: Service, CustomStringConvertible {
    var description: String { "ShutdownWatcher" }
    let flag: ShutdownFlag

    func run() async throws {
        try? await gracefulShutdown()
        flag.set()
    }
}

/// Fires due timers every `interval`, as `sop tick` would, until shutdown.
struct TickLoop: Service, CustomStringConvertible {
    var description: String { "TickLoop" }
    let host: ServiceHost
    let interval: Duration
    let metrics: ServerMetrics
    let logger: Logger

    func run() async throws {
        // Ticks failed in a row: the first is logged as an error, the rest at debug level, and
        // the first tick that works again says how many failed (an outage of an hour is two
        // lines, not 3,600).
        var failed = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let now = Clock.now()
                let (runs, transitions) = try await host.perform { try $0.tick(now: now) }
                metrics.ticks.increment()
                if failed > 0 {
                    logger.notice("ticks work again", metadata: ["failed_ticks": "\(failed)"])
                    failed = 0
                }
                if transitions > 0 {
                    metrics.timersFired.increment(by: Int64(transitions))
                    logger.info("tick", metadata: ["runs": "\(runs)", "transitions": "\(transitions)"])
                }
            } catch {
                failed += 1
                logger.log(level: failed == 1 ? .error : .debug, "tick failed", metadata: ["error": "\(error)", "failed_ticks": "\(failed)"])
            }
            // A shutdown ends the wait at once: an hour's interval must not hold the server up.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

/// Delivers the outbox: each new `notify` message becomes a delivery to every configured
/// endpoint, posted with its signature; a delivery is retried with exponential backoff until
/// it is accepted (2xx) or has used its attempts. Every attempt is recorded.
///
/// Each attempt runs on its own: the loop claims what is due every half second while earlier
/// attempts are still under way, so an endpoint that hangs holds up only its own deliveries (at
/// most `perEndpoint` of them at once, each until the delivery timeout), never the queue, the
/// other endpoints, the steps or the ticks.
struct WebhookDeliveries: Service, CustomStringConvertible {
    var description: String { "WebhookDeliveries" }
    let host: ServiceHost
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let logger: Logger

    func run() async throws {
        guard !configuration.webhooks.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        let sessionConfiguration = URLSessionConfiguration.ephemeral
        sessionConfiguration.httpMaximumConnectionsPerHost = Self.perEndpoint
        let session = URLSession(configuration: sessionConfiguration)
        let endpoints = configuration.webhooks, policy = configuration.deliveryPolicy
        let timeout = Self.seconds(configuration.deliveryTimeout)
        // A claimed delivery is not due again before its attempt has had its time, and some.
        let lease = Int64((timeout * 1000).rounded()) + 5_000
        let inFlight = AttemptsUnderWay()
        // A shutdown cancels the attempts under way: they end at once, recorded as interrupted,
        // and are attempted again after the restart.
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                while !Task.isCancelled {
                    // The endpoints whose places this poll filled: more of theirs may be due.
                    var filled: Set<String> = []
                    do {
                        let now = Clock.now()
                        let busy = inFlight.counts
                        let claimed = try await host.perform {
                            try $0.claimDueDeliveries(endpoints: endpoints, now: now, lease: lease, inFlight: busy, perEndpoint: Self.perEndpoint)
                        }
                        for (delivery, message) in claimed {
                            inFlight.add(delivery.endpoint, 1)
                            group.addTask {
                                await deliver(delivery, message, session, timeout: timeout, policy: policy)
                                inFlight.add(delivery.endpoint, -1)
                            }
                        }
                        filled = Set(inFlight.counts.filter { $0.value >= Self.perEndpoint }.keys)
                    } catch {
                        logger.error("webhook deliveries failed", metadata: ["error": "\(error)"])
                    }
                    // The next poll in 500 ms, or as soon as a filled endpoint has a place again:
                    // a backlog is worked through at the endpoints' pace, not 8 attempts a poll.
                    for _ in 0..<50 {
                        try? await Task.sleep(for: .milliseconds(10))
                        if Task.isCancelled || (!filled.isEmpty && inFlight.hasRoom(among: filled, perEndpoint: Self.perEndpoint)) { break }
                    }
                }
            }
        }
    }

    func deliver(_ delivery: Delivery, _ message: OutboxMessage, _ session: URLSession, timeout: TimeInterval, policy: DeliveryPolicy) async {
        let body = Array(RunService.webhookPayload(delivery, message).render().utf8)
        let attempt = delivery.attempts + 1
        var status: Int?
        var failure: String?
        if let url = URL(string: delivery.endpoint) {
            var request = URLRequest(url: url, timeoutInterval: timeout)
            request.httpMethod = "POST"
            request.httpBody = Data(body)
            let stamp = String(Clock.now() / 1000)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue(delivery.id, forHTTPHeaderField: "Sop-Delivery")
            request.setValue(stamp, forHTTPHeaderField: "Sop-Timestamp")
            request.setValue(String(attempt), forHTTPHeaderField: "Sop-Attempt")
            if let secret = configuration.webhookSecret {
                request.setValue(Signing.signature(secret: secret.bytes, timestamp: stamp, body: body), forHTTPHeaderField: "Sop-Signature")
            }
            switch await Self.post(request, session, timeout: timeout) {
            case .success(let code): status = code
            case .failure(let error): failure = error.description
            }
        } else {
            failure = "not a URL"
        }
        let httpStatus = status, error = failure
        do {
            let outcome = try await host.perform { try $0.recordAttempt(delivery, httpStatus: httpStatus, failure: error, now: Clock.now(), policy: policy) }
            metrics.deliveries(outcome == "pending" ? "retry" : outcome).increment()
            logger.info("webhook delivery", metadata: ["delivery": "\(delivery.id)", "attempt": "\(attempt)", "result": "\(outcome)",
                                                        "status": "\(status.map(String.init) ?? "-")", "error": "\(error ?? "-")"])
        } catch {
            logger.error("webhook delivery not recorded", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
        }
    }

    /// The attempts under way, by endpoint.
    final class AttemptsUnderWay: Sendable {
        private let state = Mutex<[String: Int]>([:])
        var counts: [String: Int] { state.withLock { $0 } }
        func add(_ endpoint: String, _ n: Int) { state.withLock { $0[endpoint, default: 0] += n } }
        /// Whether one of `endpoints` has fewer than `perEndpoint` attempts under way.
        func hasRoom(among endpoints: Set<String>, perEndpoint: Int) -> Bool {
            state.withLock { counts in endpoints.contains { counts[$0, default: 0] < perEndpoint } }
        }
    }

    /// Attempts under way at once to one endpoint.
    static let perEndpoint = 8

    static func seconds(_ d: Duration) -> TimeInterval {
        TimeInterval(d.components.seconds) + TimeInterval(d.components.attoseconds) / 1e18
    }

    /// What an attempt with no answer in time is recorded with (`sop outbox`'s last error).
    static func timedOut(_ timeout: TimeInterval) -> String {
        "timed out: no answer within \(String(format: "%g", timeout)) seconds"
    }

    struct PostError: Error, CustomStringConvertible, Sendable {
        var description: String
    }

    /// Posts a request and returns its status. Through the completion-handler API with a deadline
    /// of its own, `timeout` from the start to the answer's status: on Linux, `URLSession`'s
    /// async `data(for:)` was seen never to return when many requests ran at once, and an attempt
    /// must end by its deadline (whatever the request's own timeout counts) and never hold up
    /// the server's shutdown.
    static func post(_ request: URLRequest, _ session: URLSession, timeout: TimeInterval) async -> Result<Int, PostError> {
        let once = Mutex(false)
        let interrupt = Mutex<(@Sendable () -> Void)?>(nil)
        return await withTaskCancellationHandler {
          await withCheckedContinuation { continuation in
            let finish: @Sendable (Result<Int, PostError>) -> Void = { result in
                let first = once.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: result) }
            }
            let task = session.dataTask(with: request) { _, response, error in
                if let error = error as? URLError, error.code == .timedOut {
                    finish(.failure(PostError(description: timedOut(timeout))))
                } else if let error {
                    finish(.failure(PostError(description: error.localizedDescription)))
                } else if let http = response as? HTTPURLResponse {
                    finish(.success(http.statusCode))
                } else {
                    finish(.failure(PostError(description: "no HTTP response")))
                }
            }
            interrupt.withLock { $0 = { task.cancel(); finish(.failure(PostError(description: "interrupted by the server's shutdown"))) } }
            guard !Task.isCancelled else {
                finish(.failure(PostError(description: "interrupted by the server's shutdown")))
                return
            }
            task.resume()
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                finish(.failure(PostError(description: timedOut(timeout))))
                task.cancel()
            }
          }
        } onCancel: {
            interrupt.withLock { $0 }?()
        }
    }

}
