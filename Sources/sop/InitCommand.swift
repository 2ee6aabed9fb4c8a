import ArgumentParser
import Foundation

/// `sop init [DIR]`: a first project that lints clean with `--strict` and whose test passes with
/// full coverage: an SOP with its scenario test, the ticket schema, a business-hours calendar,
/// and CI examples for GitHub Actions and GitLab.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a first project: an SOP and its test, the ticket schema, a calendar and CI examples.",
        discussion: """
            Writes into DIR (default: the current folder; created when missing) and overwrites \
            nothing: when any of its files exists, it writes none and exits 2.
            """
    )

    @Argument(help: "The folder to write the project into (default: the current folder).")
    var directory: String = "."

    func run() throws {
        let fm = FileManager.default
        let base = URL(fileURLWithPath: directory)
        let existing = InitFiles.all.map(\.path).filter { fm.fileExists(atPath: base.appendingPathComponent($0).path) }
        guard existing.isEmpty else {
            Output.err("error: \(directory) already has \(existing.joined(separator: ", ")); sop init writes nothing over a file\n")
            throw ExitCode(2)
        }
        do {
            for file in InitFiles.all {
                let url = base.appendingPathComponent(file.path)
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.text.utf8).write(to: url, options: .withoutOverwriting)
            }
        } catch {
            Output.err("error: cannot write the project into \(directory): \(error.localizedDescription)\n")
            throw ExitCode(2)
        }
        var text = InitFiles.all.map { "created \($0.path)\n" }.joined()
        // Quoted for the shell when it holds more than letters, digits and `/._-`.
        let plain = directory.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "/._-".unicodeScalars.contains($0)) }
        let quoted = plain ? directory : "'" + directory.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
        let cd = directory == "." ? "" : "cd \(quoted) && "
        text += "next: \(cd)sop lint --strict && sop test --min-coverage 100\n"
        Output.out(text)
    }
}

/// The files `sop init` writes, in the order it lists them.
enum InitFiles {
    static let all: [(path: String, text: String)] = [
        ("sops/first-reply.sop.yaml", sop),
        ("sops/first-reply.test.yaml", test),
        ("sops/calendars/support.calendar.yaml", calendar),
        ("schemas/ticket.schema.json", ticketSchema),
        (".github/workflows/sop.yml", github),
        (".gitlab-ci.yml", gitlab),
    ]

    static let sop = """
        # A first SOP: answer a new ticket, or hand it to the second line. If nobody has answered
        # within 4 business hours of the support calendar, it escalates by itself.
        # The format: docs/format.md of sopkit; `sop lint` checks it, `sop test` runs its test.
        sop: first-reply
        version: 1
        title: First reply to ${{ ticket.subject }}
        category: intake
        start: read
        states:
          read:
            title: Read the ticket and reply
            instructions: Answer the customer if you can; hand the ticket on if it needs the second line.
            transitions:
              - to: replied
                on: replied
                label: The customer has an answer
              - to: escalated
                on: escalate
                label: It needs the second line
              - to: escalated
                after: {business: 4h, calendar: support}
                role: system
          replied:
            title: Replied
            end: replied
          escalated:
            title: Escalated to the second line
            end: escalated

        """

    static let test = """
        # Scenario tests of first-reply: `sop test --min-coverage 100` runs them and fails when a
        # transition is never taken.
        sop: first-reply
        cases:
          - name: an agent answers
            now: 2026-11-02T09:00:00Z
            ticket: {id: T-1, subject: Where is my order?}
            steps:
              - event: replied
            expect: {outcome: replied, path: [read, replied]}

          - name: a hard question goes to the second line
            now: 2026-11-02T09:00:00Z
            ticket: {id: T-2, subject: The app crashes}
            steps:
              - event: escalate
            expect: {outcome: escalated, path: [read, escalated]}

          - name: no answer within 4 business hours escalates by itself
            now: 2026-11-02T09:00:00Z
            ticket: {id: T-3, subject: Invoice missing}
            steps:
              - advance: 3h
                expect: {state: read}
              - advance: 1h
            expect: {outcome: escalated}

        """

    static let calendar = """
        # The support team's business hours: business timers and SLA targets count only these.
        calendar: support
        time_zone: Europe/London
        week:
          mon: ["09:00-17:00"]
          tue: ["09:00-17:00"]
          wed: ["09:00-17:00"]
          thu: ["09:00-17:00"]
          fri: ["09:00-17:00"]
        holidays:
          - {every_year: 01-01}
          - {every_year: 12-25}
          - {every_year: 12-26}

        """

    static let ticketSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "title": "Support ticket",
          "description": "The ticket your SOPs read and write; sop lint types ticket.* paths with it, and runs validate tickets against it.",
          "type": "object",
          "required": ["id"],
          "properties": {
            "id": {"type": "string"},
            "subject": {"type": ["string", "null"]},
            "category": {"enum": ["technical", "billing", "general", null]},
            "priority": {"enum": ["low", "normal", "high", "urgent", null]},
            "customer": {
              "type": "object",
              "properties": {
                "name": {"type": ["string", "null"]},
                "email": {"type": ["string", "null"]}
              }
            },
            "tags": {"type": "array", "items": {"type": "string"}}
          }
        }

        """

    static let github = """
        # Lints and tests the SOPs on every push and pull request, and uploads the findings to
        # code scanning (SARIF). `sop` must be on PATH: the static binary sopkit's
        # scripts/build-release builds, published where CI can fetch it (the repository
        # variable SOP_DOWNLOAD_URL below).
        name: SOPs
        on: [push, pull_request]
        permissions:
          contents: read
          security-events: write
        jobs:
          sop:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - name: Install sop
                run: |
                  curl -fsSL "${{ vars.SOP_DOWNLOAD_URL }}" -o "$RUNNER_TEMP/sop"
                  chmod +x "$RUNNER_TEMP/sop"
                  echo "$RUNNER_TEMP" >> "$GITHUB_PATH"
              - name: Lint
                run: sop lint --strict --format github
              - name: Test
                run: sop test --min-coverage 100
              - name: Findings as SARIF
                if: always()
                run: sop lint --format sarif > sop.sarif || true
              - name: Upload to code scanning
                if: always()
                uses: github/codeql-action/upload-sarif@v3
                with:
                  sarif_file: sop.sarif
                  category: sop

        """

    static let gitlab = """
        # Lints and tests the SOPs in every pipeline; the test report shows in merge requests and
        # the SARIF log is kept as an artifact. `sop` must be on PATH: the static binary
        # sopkit's scripts/build-release builds, fetched from the CI/CD variable
        # SOP_DOWNLOAD_URL below.
        sop:
          image: debian:bookworm-slim
          before_script:
            - apt-get update -qq && apt-get install -y -qq curl ca-certificates > /dev/null
            - curl -fsSL "$SOP_DOWNLOAD_URL" -o /usr/local/bin/sop && chmod +x /usr/local/bin/sop
          script:
            - sop lint --strict
            - sop test --min-coverage 100 --format junit > sop-tests.xml
          after_script:
            - sop lint --format sarif > sop.sarif || true
          artifacts:
            when: always
            paths: [sop.sarif]
            reports:
              junit: sop-tests.xml

        """
}
