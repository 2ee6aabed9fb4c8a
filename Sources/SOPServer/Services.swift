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
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let now = Clock.now()
                let (runs, transitions) = try await host.perform { try $0.tick(now: now) }
                metrics.ticks.increment()
                if transitions > 0 {
                    metrics.timersFired.increment(by: Int64(transitions))
                    logger.info("tick", metadata: ["runs": "\(runs)", "transitions": "\(transitions)"])
                }
            } catch {
                logger.error("tick failed", metadata: ["error": "\(error)"])
            }
            // A shutdown ends the wait at once: an hour's interval must not hold the server up.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

/// Delivers the outbox: each new `notify` message becomes a delivery to every configured
/// endpoint, posted with its signature; a delivery is retried with exponential backoff until
/// it is accepted (2xx) or has used its attempts. Every attempt is recorded.
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
        let session = URLSession(configuration: .ephemeral)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let now = Clock.now()
                let endpoints = configuration.webhooks
                let due = try await host.perform { try $0.dueDeliveries(endpoints: endpoints, now: now) }
                // A few at a time: a slow endpoint must not hold many connections open. A shutdown
                // cancels the deliveries in flight (they are attempted again after the restart).
                await cancelWhenGracefulShutdown {
                    await withTaskGroup(of: Void.self) { group in
                        var pending = due[...]
                        for _ in 0..<Self.parallel {
                            guard let (delivery, message) = pending.popFirst() else { break }
                            group.addTask { await deliver(delivery, message, session) }
                        }
                        while await group.next() != nil {
                            guard !Task.isCancelled, let (delivery, message) = pending.popFirst() else { continue }
                            group.addTask { await deliver(delivery, message, session) }
                        }
                    }
                }
            } catch {
                logger.error("webhook deliveries failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(500)) }
        }
    }

    func deliver(_ delivery: Delivery, _ message: OutboxMessage, _ session: URLSession) async {
        let body = Array(RunService.webhookPayload(delivery, message).render().utf8)
        let attempt = delivery.attempts + 1
        var status: Int?
        var failure: String?
        if let url = URL(string: delivery.endpoint) {
            var request = URLRequest(url: url, timeoutInterval: Self.timeout)
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
            switch await Self.post(request, session) {
            case .success(let code): status = code
            case .failure(let error): failure = error.description
            }
        } else {
            failure = "not a URL"
        }
        let httpStatus = status, error = failure, policy = configuration.deliveryPolicy
        do {
            let outcome = try await host.perform { try $0.recordAttempt(delivery, httpStatus: httpStatus, failure: error, now: Clock.now(), policy: policy) }
            metrics.deliveries(outcome == "pending" ? "retry" : outcome).increment()
            logger.info("webhook delivery", metadata: ["delivery": "\(delivery.id)", "attempt": "\(attempt)", "result": "\(outcome)",
                                                        "status": "\(status.map(String.init) ?? "-")"])
        } catch {
            logger.error("webhook delivery not recorded", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
        }
    }

    static let parallel = 8
    static let timeout: TimeInterval = 10

    struct PostError: Error, CustomStringConvertible, Sendable {
        var description: String
    }

    /// Posts a request and returns its status. Through the completion-handler API with a deadline
    /// of its own: on Linux, `URLSession`'s async `data(for:)` was seen never to return when many
    /// requests ran at once, and a delivery must never hold up the server's shutdown.
    static func post(_ request: URLRequest, _ session: URLSession) async -> Result<Int, PostError> {
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
                if let error {
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
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout + 2) {
                task.cancel()
                finish(.failure(PostError(description: "no answer within \(Int(timeout)) seconds")))
            }
          }
        } onCancel: {
            interrupt.withLock { $0 }?()
        }
    }

}
