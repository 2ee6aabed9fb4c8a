import Foundation
import Logging
import MCP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The MCP stdio transport (newline-delimited JSON-RPC on standard input and output), reading
/// with blocking reads on a thread of its own.
///
/// The SDK's `StdioTransport` makes standard input non-blocking and, whenever nothing is there
/// yet, sleeps 10 ms before it looks again. An agent sends one request and waits for its answer,
/// so every call waited up to 10 ms for nothing: a `get_run` that takes the server 0.3 ms took
/// 10 ms end to end (docs/benchmarks.md, "AI agents held to τ²-bench's retail policy"). Here a
/// request is read the moment it arrives, and an answer is written with blocking writes.
actor BlockingStdioTransport: Transport {
    nonisolated let logger = Logger(label: "sopkit.mcp.stdio")
    private let input: Int32
    private let output: Int32
    private let stream: AsyncThrowingStream<Data, Swift.Error>
    private let continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation
    private var reading = false

    init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) {
        self.input = input
        self.output = output
        (stream, continuation) = AsyncThrowingStream<Data, Swift.Error>.makeStream()
    }

    func connect() async throws {
        guard !reading else { return }
        reading = true
        let (input, continuation) = (self.input, self.continuation)
        Thread.detachNewThread {
            Self.readLines(from: input, into: continuation)
        }
    }

    func disconnect() async {
        continuation.finish()
    }

    func send(_ message: Data) async throws {
        var bytes = message
        bytes.append(UInt8(ascii: "\n"))
        let output = self.output
        try bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) throws in
            var offset = 0
            while offset < buffer.count {
                let written = write(output, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
                }
                offset += written
            }
        }
    }

    func receive() -> AsyncThrowingStream<Data, Swift.Error> { stream }

    /// Reads until the end of input, handing on each line that is not empty; a read error ends
    /// the stream with it.
    private static func readLines(from input: Int32, into continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation) {
        var pending = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                continuation.finish(throwing: MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)))
                return
            }
            if count == 0 { break }
            pending.append(contentsOf: buffer[..<count])
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                if newline > start { continuation.yield(Data(pending[start..<newline])) }
                start = pending.index(after: newline)
            }
            pending = Data(pending[start...])
        }
        if !pending.isEmpty { continuation.yield(pending) }
        continuation.finish()
    }
}
