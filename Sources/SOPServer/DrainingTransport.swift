import Foundation
import Logging
import MCP
import SOPJSON

/// A transport that hands the server one request at a time, in the order they came, and answers
/// every request it received before it reports its input closed.
///
/// The MCP SDK handles each request in a task of its own, so two requests written one after the
/// other (a `step`, then a `get_run`) could be carried out in the other order, and the read miss
/// the step. A request is passed on only once every request before it has its response.
///
/// The MCP SDK handles each request in a task of its own and ends the server when the input
/// ends, so a client that writes its requests and closes its end (a pipe, a script) lost the
/// answers still being worked on. This wraps another transport, notes the id of every request
/// read and of every response written, and ends the stream of received messages only when each
/// request read has had its response (or after `patience`, so a handler that never answers
/// cannot hold the process forever).
actor DrainingTransport: Transport {
    private let inner: any Transport
    private let patience: Duration
    private var pending = Set<String>()
    private var drained: [CheckedContinuation<Void, Never>] = []

    nonisolated var logger: Logger { Logger(label: "sopkit.mcp") }

    init(_ inner: any Transport, patience: Duration = .seconds(60)) {
        self.inner = inner
        self.patience = patience
    }

    func connect() async throws { try await inner.connect() }

    func disconnect() async { await inner.disconnect() }

    func send(_ data: Data) async throws {
        try await inner.send(data)
        // A response (it has an id and no method) settles its request.
        for message in Self.messages(data) where message.method == nil {
            if let id = message.id { settle(id) }
        }
    }

    func receive() -> AsyncThrowingStream<Data, Swift.Error> {
        let (stream, continuation) = AsyncThrowingStream<Data, Swift.Error>.makeStream()
        let task = Task {
            do {
                for try await data in await inner.receive() {
                    // A request (it has an id and a method) waits for the answers to those before
                    // it, then for its own.
                    let requests = Self.messages(data).filter { $0.method != nil }.compactMap(\.id)
                    if !requests.isEmpty { await waitForAnswers() }
                    pending.formUnion(requests)
                    continuation.yield(data)
                }
                await waitForAnswers()
                continuation.finish()
            } catch {
                await waitForAnswers()
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func settle(_ id: String) {
        pending.remove(id)
        if pending.isEmpty {
            for waiter in drained { waiter.resume() }
            drained.removeAll()
        }
    }

    private func waitForAnswers() async {
        guard !pending.isEmpty else { return }
        let limit = patience
        let timeout = Task { [weak self] in
            // Cancelled when the answers came: then there is nothing to give up on.
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            await self?.giveUp()
        }
        await withCheckedContinuation { drained.append($0) }
        timeout.cancel()
    }

    private func giveUp() {
        pending.removeAll()
        for waiter in drained { waiter.resume() }
        drained.removeAll()
    }

    /// The id (as its JSON text) and method of each JSON-RPC message in `data`, a message or a batch.
    static func messages(_ data: Data) -> [(id: String?, method: String?)] {
        guard let value = try? JSONParser.parse([UInt8](data)) else { return [] }
        let items: [JSONValue]
        if case .array(let batch) = value { items = batch } else { items = [value] }
        return items.map { item in
            (item["id"].flatMap { $0 == .null ? nil : $0.render() }, item["method"].flatMap { if case .string(let m) = $0 { return m } else { return nil } })
        }
    }
}
