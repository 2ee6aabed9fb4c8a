import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop guide SOP --ticket FILE` or `sop guide --run ID`: walks an agent through a run in the
/// terminal, on the same engine, store and journal as `start` and `step`.
struct GuideCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guide", abstract: "Walk through an SOP interactively in the terminal.",
        discussion: "Every answer is a step on the same run as `sop step`; quit at any prompt with q (or end of input) and resume with --run.")

    @Argument(help: "The SOP to start (with --ticket).") var sop: String?
    @Option(help: "The ticket: a JSON file, - for standard input, or inline JSON.") var ticket: String?
    @Option(name: .customLong("run"), help: "Resume this run.") var runID: String?
    @Option(help: "The run's id when starting (default: generated).") var id: String?
    @Option(name: .customLong("record-test"), help: ArgumentHelp(
        "Record the session as a case of this test file (created when missing).", valueName: "file"))
    var recordTest: String?
    @OptionGroup var options: RunOptions

    func validate() throws {
        if runID == nil && (sop == nil || ticket == nil) { throw ValidationError("give an SOP and --ticket to start, or --run to resume") }
        if runID != nil && (sop != nil || ticket != nil) { throw ValidationError("--run resumes a run; do not give an SOP or --ticket with it") }
        if ticket == "-" { throw ValidationError("the guide reads answers from standard input; give the ticket as a file or inline JSON") }
        if recordTest != nil && runID != nil {
            throw ValidationError("--record-test records a session from its start; start a run with an SOP and --ticket")
        }
        if let recordTest, !recordTest.hasSuffix(".test.yaml") {
            throw ValidationError("--record-test takes a scenario test file, named NAME.test.yaml; found '\(recordTest)'")
        }
    }

    func run() throws {
        let service = try options.service()
        let ui = GuideUI(color: Terminal.wantsColor() && isatty(0) == 1)
        let id: String
        var recording: GuideRecording?
        do {
            if let runID {
                id = runID
                _ = try service.run(runID, as: options.acting)
            } else {
                let json = try readJSON(ticket!, what: "ticket", maxBytes: options.maxTicketSize)
                let now = options.time
                if let recordTest {
                    // The file is checked before the run starts: a session that cannot be
                    // recorded is not begun.
                    let r = GuideRecording(file: recordTest, recorder: ScenarioRecorder(sop: sop!, ticket: json, at: now))
                    try r.text()
                    recording = r
                }
                id = try service.start(sop: sop!, ticket: json, runID: self.id, as: options.acting, now: now).run.id
                ui.say(ui.dim("started run \(id)"))
            }
            Interrupt.install(message: "\ninterrupted; the run stays where it is\(recording == nil ? "" : ", and the session is not recorded"). Resume with: sop guide --run \(id)\n")
            let guide = Guide(service: service, runID: id, options: options, ui: ui, recording: recording)
            try guide.loop()
            if let recording {
                let (run, _) = try service.run(id, as: options.acting)
                let path = try service.journal(id, as: options.acting).filter(\.trigger.moved).map(\.to)
                recording.recorder.finish(state: run.state, outcome: run.outcome, path: path)
                let name = try recording.write()
                ui.say(ui.dim("recorded the session as case '\(name)' of \(recording.file)"))
            }
        } catch let refusal as ScenarioFileAppender.Refusal {
            Output.err("error: \(refusal)\n")
            throw ExitCode(2)
        } catch let code as ExitCode {
            throw code
        } catch {
            throw runExit(error)
        }
    }
}

/// Printing and prompting, with colour only on a terminal.
struct GuideUI {
    let color: Bool

    func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    func bold(_ s: String) -> String { paint(s, "1") }
    func dim(_ s: String) -> String { paint(s, "2") }
    func say(_ s: String) { Output.out(s + "\n") }

    /// Asks a question; nil at end of input or on `q`.
    func ask(_ prompt: String) -> String? {
        Output.out(paint(prompt, "36") + " ")
        guard let line = readLine(strippingNewline: true) else { Output.out("\n"); return nil }
        // With piped input nothing echoes the answer: print it, so the transcript reads well.
        if isatty(0) != 1 { Output.out(line + "\n") }
        let answer = line.trimmingCharacters(in: .whitespaces)
        return answer == "q" || answer == "quit" ? nil : answer
    }

    /// Markdown for a terminal: headings and **strong** in bold, `code` dimmed, bullets as •.
    func markdown(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { raw -> String in
            var line = String(raw)
            if line.hasPrefix("#") {
                line = bold(line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces))
            } else if line.hasPrefix("- ") || line.hasPrefix("* ") {
                line = "• " + line.dropFirst(2)
            }
            line = replacePairs(line, "**", bold)
            line = replacePairs(line, "`", dim)
            return "  " + line
        }.joined(separator: "\n")
    }

    private func replacePairs(_ line: String, _ marker: String, _ style: (String) -> String) -> String {
        let parts = line.components(separatedBy: marker)
        guard parts.count >= 3 else { return line }
        var out = ""
        for (i, part) in parts.enumerated() {
            out += i % 2 == 1 && i < parts.count - 1 ? style(part) : (i % 2 == 1 ? marker + part : part)
        }
        return out
    }
}

/// A guide session being recorded as a scenario case (`--record-test FILE`).
final class GuideRecording {
    let file: String
    var recorder: ScenarioRecorder

    init(file: String, recorder: ScenarioRecorder) {
        self.file = file
        self.recorder = recorder
    }

    /// The file's text with the case added, and the case's name; throws when the file is not a
    /// test file of this SOP or cannot take another case.
    @discardableResult
    func text() throws -> (text: String, name: String) {
        var existing: String?
        if FileManager.default.fileExists(atPath: file) {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ScenarioFileAppender.Refusal(description: "\(file) cannot be read")
            }
            existing = String(decoding: data, as: UTF8.self)
        }
        return try ScenarioFileAppender.append(recorder, name: "recorded with sop guide", to: existing, path: file)
    }

    /// Writes the file; the case's name.
    func write() throws -> String {
        let (text, name) = try text()
        do {
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        } catch {
            throw ScenarioFileAppender.Refusal(description: "\(file) cannot be written: \(error.localizedDescription)")
        }
        return name
    }
}

/// The walk-through itself.
struct Guide {
    let service: RunService
    let runID: String
    let options: RunOptions
    let ui: GuideUI
    var recording: GuideRecording? = nil

    enum Stop: Error { case quit }

    func loop() throws {
        // Optional inputs the agent skipped, by the run's version: asked once per step.
        var skipped = Set<String>()
        while true {
            let (run, engine, _) = try service.projected(runID, as: options.acting, now: options.time)
            let sop = engine.sop.definition
            if run.isEnded {
                ui.say("\n" + ui.bold("✔ \(engine.title(run, now: options.time)): done") + " — outcome \(ui.bold(run.outcome ?? ""))")
                return
            }
            guard let state = sop.state(run.state) else { return }
            let path = try service.journal(runID, as: options.acting).filter(\.trigger.moved).map(\.to)
            ui.say("\n" + ui.bold(engine.title(run, now: options.time)) + ui.dim(" · run \(run.id) · step \(run.version) · " + path.joined(separator: " → ")))
            ui.say(ui.bold("▶ \(render(state.title, run, engine))"))
            if let instructions = state.instructions { ui.say(ui.markdown(render(instructions, run, engine))) }
            if run.child != nil {
                ui.say(ui.dim("  waiting for the called procedure (run \(run.child!)) to finish"))
            }
            do {
                // A state another role acts on: say so up front, instead of asking for its
                // checklist and inputs and then refusing them. Events this role may send (if
                // any) are still offered.
                if let role = engine.stateRole(run.state), role != options.who.role {
                    ui.say(ui.paint("  this step is for the role '\(role)'; you act as '\(options.who.role)'", "33"))
                    try chooseEvent(run, engine)
                    continue
                }
                if try gather(run, engine, state, skipped: &skipped) { continue }
                try chooseEvent(run, engine)
            } catch Stop.quit {
                ui.say(ui.dim("stopped; the run stays in '\(run.state)'. Resume with: sop guide --run \(run.id)"))
                return
            }
        }
    }

    /// Confirms the checklist, asks for the inputs still needed and offers the optional ones not
    /// given yet (Enter skips); true when a step was sent.
    func gather(_ run: RunState, _ engine: Engine, _ state: StateDefinition, skipped: inout Set<String>) throws -> Bool {
        var checks: [Int] = []
        for (i, item) in state.checklist.enumerated() where !run.confirmed.contains(i) {
            while true {
                guard let answer = ui.ask("☐ \(render(item.value, run, engine)) — done? [y/n]") else { throw Stop.quit }
                if ["y", "yes"].contains(answer.lowercased()) { checks.append(i + 1); break }
                if ["n", "no"].contains(answer.lowercased()) { break }
                ui.say("  answer y or n")
            }
        }
        var inputs: [(String, String)] = []
        for name in engine.inputsNeeded(run) {
            guard let spec = state.inputs.first(where: { $0.id.value == name }) else { continue }
            inputs.append((name, try ask(spec, run, engine)))
        }
        for spec in state.inputs where !spec.required && !run.submitted.contains(spec.id.value) {
            let key = "\(run.version) \(spec.id.value)"
            guard !skipped.contains(key) else { continue }
            let answer = try ask(spec, run, engine)
            if !answer.isEmpty {
                inputs.append((spec.id.value, answer))
            } else {
                skipped.insert(key)
            }
        }
        guard !checks.isEmpty || !inputs.isEmpty else { return false }
        return send(.submit(inputs: inputs, event: nil, checks: checks.isEmpty ? nil : .items(checks)))
    }

    /// Asks for one input by its type until the answer parses; an optional input may be skipped
    /// with an empty answer.
    func ask(_ spec: InputSpec, _ run: RunState, _ engine: Engine) throws -> String {
        let label = render(spec.question, run, engine) + (spec.required ? "" : " (optional, Enter to skip)")
        let values = spec.values.map(\.value)
        while true {
            let hint: String
            switch spec.type {
            case .enum:
                ui.say("  \(label):")
                for (i, v) in values.enumerated() { ui.say("    \(i + 1)) " + (spec.labels[v].map { "\($0) (\(v))" } ?? v)) }
                hint = "choose 1–\(values.count)"
            case .boolean: hint = "y/n"
            case .date: hint = "YYYY-MM-DD"
            case .datetime: hint = "e.g. 2026-11-02T09:00:00Z"
            case .duration: hint = "e.g. 48h, 1h30m"
            case .integer, .number:
                hint = [spec.type.rawValue, spec.min.map { "min \(Decimal($0))" }, spec.max.map { "max \(Decimal($0))" }]
                    .compactMap { $0 }.joined(separator: ", ")
            case .list: hint = "comma-separated"
            case .string:
                hint = ["text", spec.minLength.map { "at least \($0) characters" }, spec.maxLength.map { "at most \($0) characters" },
                        spec.pattern.map { "matching \($0)" }].compactMap { $0 }.joined(separator: ", ")
            }
            guard var answer = ui.ask(spec.type == .enum ? "  → [\(hint)]" : "\(label) [\(hint)]:") else { throw Stop.quit }
            if !spec.required && answer.isEmpty { return "" }
            if spec.type == .enum, let n = Int(answer), n >= 1, n <= values.count { answer = values[n - 1] }
            do {
                // A yes/no answer is sent (and recorded) as the boolean it means.
                if case .boolean(let b) = try InputParser.parse(answer, spec: spec) { return b ? "true" : "false" }
                return answer
            } catch {
                ui.say(ui.paint("  \(error.reason)", "33"))
            }
        }
    }

    /// Offers the enabled events (and shows pending timers); sends the one chosen.
    func chooseEvent(_ run: RunState, _ engine: Engine) throws {
        let events = engine.enabledEvents(run, actor: options.who)
        for timer in engine.pendingTimers(run) {
            ui.say(ui.dim("  ⏱ goes to '\(timer.to)' at \(CivilTime.formatDateTime(timer.due)) unless something happens first"))
        }
        for sla in engine.slaStatus(run, now: options.time) { ui.say(ui.dim("  SLA \(sla.text)")) }
        guard !events.isEmpty else {
            ui.say(ui.dim("  nothing for \(options.who.role) to do here now"))
            guard ui.ask("[r to refresh, q to quit]") != nil else { throw Stop.quit }
            return
        }
        ui.say("  What happened?")
        for (i, e) in events.enumerated() { ui.say("    \(i + 1)) \(e.label)") }
        while true {
            guard let answer = ui.ask("  → [1–\(events.count), q to quit]") else { throw Stop.quit }
            if let n = Int(answer), n >= 1, n <= events.count {
                _ = send(.submit(inputs: [], event: events[n - 1].event, checks: nil))
                return
            }
            if let match = events.first(where: { $0.event == answer }) {
                _ = send(.submit(inputs: [], event: match.event, checks: nil))
                return
            }
            ui.say("  choose a number from the list")
        }
    }

    /// Sends a step; a refusal is shown and the walk-through goes on. A recorded session records
    /// the step and where it went (or the refusal).
    func send(_ command: StepCommand) -> Bool {
        let now = options.time
        // The runner's default actor when the guide's actor acts in the same role: the case
        // names an actor only when a role other than the state's acted.
        var actor: Actor? = options.who
        if let (run, engine) = try? service.run(runID, as: options.acting), ScenarioRunner.defaultActor(run, engine).role == options.who.role {
            actor = nil
        }
        do {
            let result = try service.step(runID, command, as: options.acting, now: now)
            record(command, actor: actor, now: now, .applied(state: result.run.state, outcome: result.run.outcome))
            return true
        } catch RunError.rejected(let r) {
            record(command, actor: actor, now: now, .refused(reason: r.reason))
            ui.say(ui.paint("  ✗ \(r.reason)", "31"))
            for line in r.instead { ui.say("    - \(line)") }
            return false
        } catch {
            ui.say(ui.paint("  ✗ \(error)", "31"))
            return false
        }
    }

    func record(_ command: StepCommand, actor: Actor?, now: Int64, _ result: ScenarioRecorder.Result) {
        guard let recording, case .submit(let inputs, let event, let checks) = command else { return }
        recording.recorder.step(inputs: inputs, event: event, checks: checks, actor: actor, at: now, result: result)
    }

    /// Text with its `${{ }}` templates filled in from the run (left as written if they fail).
    func render(_ text: String, _ run: RunState, _ engine: Engine) -> String {
        engine.renderTemplate(text, run: run, now: options.time) ?? text
    }
}

/// Ctrl-C during the guide: every answer already sent is its own committed step, so the run is
/// consistent; say how to resume and exit 130. The handler only calls async-signal-safe
/// functions (write, _exit) on a message prepared before it is installed.
enum Interrupt {
    nonisolated(unsafe) private static var message: UnsafeMutableBufferPointer<UInt8>?

    static func install(message text: String) {
        let bytes = Array(text.utf8)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
        _ = buffer.initialize(from: bytes)
        message = buffer
        // A parent may have started us with SIGINT blocked or ignored (test runners do); the
        // guide wants it.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in
            if let m = Interrupt.message { _ = write(2, m.baseAddress, m.count) }
            _exit(130)
        }
    }
}
