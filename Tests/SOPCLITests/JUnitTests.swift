import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `sop test --format junit`, read back by an XML parser (libxml2, through Foundation) as a CI
/// system would read it.
@Suite struct JUnitTests {
    @Test func casesFailuresAndCoverageAreJUnitXML() throws {
        let dir = try SOPBinary.workspace()
        // One case that fails (with markup and a control character in its reason) and the
        // shipped tests that pass; coverage of the new SOP stays below the minimum.
        try """
            sop: tiny
            version: 1
            title: Tiny
            start: a
            states:
              a:
                title: A
                transitions:
                  - {to: b, on: go}
                  - {to: c, on: stop}
              b: {title: B, end: done}
              c: {title: C, end: stopped}
            """.write(to: dir.appendingPathComponent("sops/tiny.sop.yaml"), atomically: false, encoding: .utf8)
        try """
            sop: tiny
            cases:
              - name: "go <fast> & \\"loud\\" \\u0007"
                ticket: {id: T-1}
                steps:
                  - event: go
                expect: {outcome: stopped}
            """.write(to: dir.appendingPathComponent("sops/tiny.test.yaml"), atomically: false, encoding: .utf8)
        let r = try SOPBinary.run(["test", "--format", "junit", "--min-coverage", "100", "sops"], in: dir, timeout: 120)
        #expect(r.status == 1)
        let document = try XMLDocument(data: Data(r.stdout.utf8))
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        let suites = root.elements(forName: "testsuite")
        let names = suites.compactMap { $0.attribute(forName: "name")?.stringValue }
        #expect(names.contains("sops/tiny.test.yaml") && names.contains("sops/returns.test.yaml") && names.last == "coverage")
        let cases = suites.flatMap { $0.elements(forName: "testcase") }
        #expect(root.attribute(forName: "tests")?.stringValue == String(cases.count))
        let failing = cases.filter { !$0.elements(forName: "failure").isEmpty }
        #expect(root.attribute(forName: "failures")?.stringValue == String(failing.count))
        // The failing case: its name as written (the control character replaced), its reason.
        let tiny = try #require(cases.first { $0.attribute(forName: "classname")?.stringValue == "tiny" })
        #expect(tiny.attribute(forName: "name")?.stringValue == "go <fast> & \"loud\" \u{FFFD}")
        let failure = try #require(tiny.elements(forName: "failure").first)
        #expect(failure.attribute(forName: "message")?.stringValue?.contains("stopped") == true)
        // Coverage: tiny's `stop` transition is never taken, the shipped SOPs are fully covered.
        let coverage = try #require(suites.last).elements(forName: "testcase")
        let belowMinimum = coverage.filter { !$0.elements(forName: "failure").isEmpty }.compactMap { $0.attribute(forName: "classname")?.stringValue }
        #expect(belowMinimum == ["tiny"])
        #expect(failing.count == 2)
    }
}
