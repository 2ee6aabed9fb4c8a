import Foundation
import SOPJSON

/// Runs a `LanguageServer` on a pair of file descriptors (standard input and output for
/// `sop lsp`): a reader thread cuts the input into messages; the serving thread takes every
/// message that has arrived, hands them to the server as one batch (so a burst of edits is
/// linted once), and writes what the server sends, framed. No timers: a batch is whatever
/// arrived while the last one was handled.
public final class StdioTransport: @unchecked Sendable {
    private let input: Int32
    private let output: Int32
    private let log: @Sendable (String) -> Void
    private let lock = NSCondition()
    private var queue: [[UInt8]] = []
    private var inputEnded = false

    public init(input: Int32 = 0, output: Int32 = 1, log: @escaping @Sendable (String) -> Void) {
        self.input = input
        self.output = output
        self.log = log
    }

    /// Serves until `exit` (its code: 0 after `shutdown`, else 1) or the end of input (1).
    public func run(options: LanguageServer.Options) -> Int32 {
        let server = LanguageServer(options: options, send: { [output] value in
            Self.write(MessageFramer.frame(value.renderBytes()), to: output)
        }, log: log)
        let reader = Thread { [self] in readLoop() }
        reader.stackSize = 1 << 20
        reader.start()
        while true {
            lock.lock()
            while queue.isEmpty && !inputEnded { lock.wait() }
            let batch = queue
            queue = []
            let ended = inputEnded
            lock.unlock()
            if !batch.isEmpty { server.handle(batch: batch) }
            if let code = server.exitCode { return code }
            if ended && batch.isEmpty {
                log("sop lsp: the input ended without 'exit'")
                return 1
            }
        }
    }

    private func readLoop() {
        var framer = MessageFramer()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            framer.append(buffer[0..<n])
            var messages: [[UInt8]] = []
            while let item = framer.next() {
                switch item {
                case .message(let body): messages.append(body)
                case .problem(let problem): log("sop lsp: \(problem)")
                }
            }
            guard !messages.isEmpty else { continue }
            lock.lock()
            queue += messages
            lock.signal()
            lock.unlock()
        }
        lock.lock()
        inputEnded = true
        lock.signal()
        lock.unlock()
    }

    private static func write(_ bytes: [UInt8], to fd: Int32) {
        var done = 0
        bytes.withUnsafeBytes { raw in
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return }
                done += n
            }
        }
    }
}
