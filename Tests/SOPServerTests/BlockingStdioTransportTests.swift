import Foundation
import Testing
@testable import SOPServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sop mcp`'s stdio transport: a line is handed on the moment it arrives, whatever way the
/// bytes are cut into reads, and what it sends is a line of its own.
@Suite struct BlockingStdioTransportTests {
    /// Writes the chunks into a pipe one at a time, then closes it; returns the messages read.
    func received(_ chunks: [String]) async throws -> [String] {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let transport = BlockingStdioTransport(input: fds[0], output: STDOUT_FILENO)
        try await transport.connect()
        let writer = fds[1]
        for chunk in chunks {
            let bytes = Array(chunk.utf8)
            #expect(write(writer, bytes, bytes.count) == bytes.count)
        }
        close(writer)
        var messages: [String] = []
        for try await data in await transport.receive() { messages.append(String(decoding: data, as: UTF8.self)) }
        close(fds[0])
        return messages
    }

    @Test func linesCutAnyWayAreMessagesWhole() async throws {
        #expect(try await received(["{\"a\":1}\n{\"b\"", ":2}\n\n{\"c\":", "3}\n"]) == ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"])
    }

    @Test func aLastLineWithoutItsNewlineStillCounts() async throws {
        #expect(try await received(["{\"a\":1}\n{\"b\":2}"]) == ["{\"a\":1}", "{\"b\":2}"])
    }

    @Test func aLineLongerThanOneReadIsOneMessage() async throws {
        let long = "{\"t\":\"" + String(repeating: "x", count: 200_000) + "\"}"
        #expect(try await received([long + "\n"]) == [long])
    }

    /// The answer is not kept waiting: a request written after the reader started is handed on
    /// while the writer still holds the pipe open (the SDK's transport polled every 10 ms).
    @Test func aRequestIsHandedOnWhileTheInputStaysOpen() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let transport = BlockingStdioTransport(input: fds[0], output: STDOUT_FILENO)
        try await transport.connect()
        var iterator = await transport.receive().makeAsyncIterator()
        let bytes = Array("{\"id\":1}\n".utf8)
        #expect(write(fds[1], bytes, bytes.count) == bytes.count)
        let first = try await iterator.next()
        #expect(first.map { String(decoding: $0, as: UTF8.self) } == "{\"id\":1}")
        close(fds[1])
        #expect(try await iterator.next() == nil)
        close(fds[0])
    }
}
