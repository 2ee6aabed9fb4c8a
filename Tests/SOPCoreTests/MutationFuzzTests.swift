import Foundation
import SOPCore
import SOPDiagnostics
import Testing
import TestSupport

/// Malformed input must never trap: thousands of mutations of valid SOPs go through the YAML
/// layer, the decoder, the rules and the renderer, and every diagnostic must point into the file.
struct MutationFuzzTests {
    static let seeds: [[UInt8]] = {
        Fixtures.files(in: "lint/ok").compactMap { name in
            (try? Data(contentsOf: Fixtures.root.appendingPathComponent("lint/ok/" + name))).map { [UInt8]($0) }
        }
    }()

    static let punctuation: [UInt8] = Array("{}[]:,-&*!|>'\"#%@`\t\n ?$".utf8)

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        guard !bytes.isEmpty else { return bytes }
        let rounds = Int.random(in: 1...3, using: &rng)
        for _ in 0..<rounds {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: bytes = Array(bytes[..<at])                                      // truncate
            case 1: bytes[at] = UInt8.random(in: 0...255, using: &rng)               // flip a byte
            case 2: bytes.insert(punctuation.randomElement(using: &rng)!, at: at)    // YAML punctuation
            case 3: bytes.remove(at: at)
            case 4:                                                                   // swap two lines' indentation
                var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
                let a = Int.random(in: 0..<lines.count, using: &rng), b = Int.random(in: 0..<lines.count, using: &rng)
                let indentA = lines[a].prefix { $0 == 0x20 }.count, indentB = lines[b].prefix { $0 == 0x20 }.count
                lines[a] = Array(repeating: 0x20, count: indentB) + lines[a].dropFirst(indentA)
                lines[b] = Array(repeating: 0x20, count: indentA) + lines[b].dropFirst(indentB)
                bytes = Array(lines.joined(separator: [0x0A]))
            case 5:                                                                   // duplicate a line
                var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
                let a = Int.random(in: 0..<lines.count, using: &rng)
                lines.insert(lines[a], at: a)
                bytes = Array(lines.joined(separator: [0x0A]))
            default:                                                                  // shift a line's indentation
                var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
                let a = Int.random(in: 0..<lines.count, using: &rng)
                if Bool.random(using: &rng) { lines[a].insert(0x20, at: 0) } else if lines[a].first == 0x20 { lines[a].removeFirst() }
                bytes = Array(lines.joined(separator: [0x0A]))
            }
        }
        return bytes
    }

    @Test func mutatedSOPsNeverTrapAndDiagnosticsPointIntoTheFile() throws {
        try #require(!Self.seeds.isEmpty)
        let linter = Linter()
        let renderer = HumanRenderer()
        var rng = SplitMix64(seed: 0x50B_C17)
        var withDiagnostics = 0
        let count = 3_000
        for i in 0..<count {
            let seed = Self.seeds[i % Self.seeds.count]
            let bytes = Self.mutate(seed, &rng)
            let source = SourceFile(path: "m\(i).sop.yaml", bytes: bytes)
            let result = linter.lint(source)
            if !result.diagnostics.isEmpty { withDiagnostics += 1 }
            for d in result.diagnostics {
                #expect(d.span.start.line >= 1 && d.span.start.line <= source.lineCount + 1, "mutation \(i): \(d)")
                #expect(d.span.start.column >= 1, "mutation \(i): \(d)")
                #expect(!d.message.isEmpty)
                _ = renderer.render(d, source: source)
            }
        }
        // The mutations must actually break things; otherwise this test proves nothing.
        #expect(withDiagnostics > count / 3)
    }

    @Test func randomBytesNeverTrap() {
        var rng = SplitMix64(seed: 42)
        for i in 0..<500 {
            let bytes = (0..<Int.random(in: 0...400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let result = Linter().lint(SourceFile(path: "r\(i).sop.yaml", bytes: bytes))
            #expect(!result.diagnostics.isEmpty, "random bytes \(i) linted clean")
        }
    }
}
