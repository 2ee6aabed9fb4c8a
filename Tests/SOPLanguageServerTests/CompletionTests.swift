import Foundation
import SOPCore
import SOPDiagnostics
import SOPLanguageServer
import Testing

/// A text with a cursor marker `‸`: the text without it and the marker's position (1-based line,
/// column in Unicode scalars, as `SourcePosition` counts).
struct MarkedText {
    var source: SourceFile
    var position: SourcePosition

    init(_ marked: String, path: String = "sops/refund-check.sop.yaml") {
        var line = 1, column = 1
        var found: SourcePosition?
        var text = ""
        for scalar in marked.unicodeScalars {
            if scalar == "‸" { found = SourcePosition(line: line, column: column); continue }
            text.unicodeScalars.append(scalar)
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        precondition(found != nil, "the text has no ‸")
        source = SourceFile(path: path, text: text)
        position = found!
    }
}

enum AuthoringFixtures {
    static let ticketSchema = """
    {
      "type": "object",
      "properties": {
        "id": {"type": "string", "description": "The helpdesk's ticket id."},
        "status": {"enum": ["new", "open", "pending", "closed", null]},
        "priority": {"enum": ["low", "normal", "high", null]},
        "due_on": {"type": ["string", "null"], "format": "date"},
        "customer": {
          "type": "object",
          "description": "Who wrote in.",
          "properties": {
            "name": {"type": ["string", "null"]},
            "tier": {"enum": ["standard", "premium", null], "description": "The customer's contract."}
          }
        },
        "tags": {"type": "array", "items": {"type": "string"}}
      }
    }
    """

    /// An SOP with every kind of thing to complete; `‸` goes where a test puts it.
    static let sop = """
    sop: refund-check
    version: 1
    title: Check a refund
    roles: [agent, lead]
    vars:
      attempts: {type: integer, initial: 0}
      reason: {type: enum, values: [damaged, late]}
    sla:
      calendar: support-eu
      targets:
        first_response: {target: 4h, stop: approve}
    start: verify
    states:
      verify:
        title: Vérifier l'achat ✓
        inputs:
          amount: {type: number, prompt: "Amount paid"}
        transitions:
          - to: approve
            when: input.amount > 100
      approve:
        title: A lead approves
        role: lead
        call: damage-check
        inputs:
          decision: {type: enum, values: [refund, decline]}
        transitions:
          - {to: refunded, on: approve}
          - to: declined
            on: decline
      refunded: {title: Refunded, end: refunded}
      declined: {title: Declined, end: declined}

    """

    static let damageCheck = """
    sop: damage-check
    version: 1
    title: Check the damage
    start: look
    states:
      look:
        title: Look
        transitions: [{to: damaged, on: damaged}, {to: fine, on: fine}]
      damaged: {title: Damaged, end: damaged}
      fine: {title: Fine, end: fine}
    """

    static func entry(_ text: String, file: String) throws -> SOPIndexEntry {
        let loaded = SOPLoader.load(SourceFile(path: file, text: text))
        let definition = try #require(loaded.definition, "\(loaded.diagnostics)")
        return SOPIndexEntry(definition, file: file)
    }

    static func context() throws -> AuthoringContext {
        let schema = try TicketSchema.parse(bytes: Array(ticketSchema.utf8), path: "schemas/ticket.schema.json")
        return AuthoringContext(sops: [try entry(sop, file: "sops/refund-check.sop.yaml"),
                                       try entry(damageCheck, file: "sops/damage-check.sop.yaml")],
                                ticketSchema: schema, calendars: ["support-eu", "support-us"])
    }

    /// The SOP with `line` replaced by `replacement` (which holds the ‸), or inserted after it.
    static func sop(replacing line: String, with replacement: String) -> String {
        precondition(sop.contains(line + "\n"), "no line '\(line)'")
        return sop.replacingOccurrences(of: line + "\n", with: replacement + "\n")
    }

    static func sop(after line: String, insert inserted: String) -> String {
        sop(replacing: line, with: line + "\n" + inserted)
    }
}

struct CompletionTests {
    func complete(_ marked: String) throws -> [CompletionCandidate] {
        let text = MarkedText(marked)
        return Completion.candidates(in: text.source, at: text.position, context: try AuthoringFixtures.context())
    }

    func labels(_ marked: String) throws -> [String] { try complete(marked).map(\.label) }

    // MARK: 1. Keys

    @Test func aStateOffersTheKeysItDoesNotHaveYet() throws {
        let text = AuthoringFixtures.sop(after: "    title: A lead approves", insert: "    ‸")
        #expect(try labels(text) == ["instructions", "checklist", "enter", "end"])
        let candidate = try #require(try complete(text).first)
        #expect(candidate.kind == .key)
        #expect(candidate.insertText == "instructions: ")
        #expect(candidate.detail == "string (Markdown)")
        #expect(candidate.documentation?.contains("what the agent should do here") == true)
    }

    @Test func aHalfTypedTopLevelKeyCompletesAndReplacesTheWordTyped() throws {
        let text = AuthoringFixtures.sop(after: "title: Check a refund", insert: "cat‸")
        let candidates = try complete(text)
        #expect(candidates.map(\.label) == ["category"])
        let line = try #require(MarkedText(text).position.line as Int?)
        #expect(candidates.first?.replacing == SourceSpan(start: SourcePosition(line: line, column: 1), end: SourcePosition(line: line, column: 4)))
    }

    @Test func theTopLevelOffersWhatIsMissing() throws {
        let text = AuthoringFixtures.sop(after: "title: Check a refund", insert: "‸")
        #expect(try labels(text) == ["description", "category", "applies_when"])
    }

    @Test func aTransitionInBlockFormOffersItsOtherKeys() throws {
        let text = AuthoringFixtures.sop(after: "        when: input.amount > 100", insert: "        ‸")
        #expect(try labels(text) == ["on", "after", "label", "role", "do"])
    }

    @Test func aNewSequenceItemOffersATransitionsKeys() throws {
        let text = AuthoringFixtures.sop(after: "        when: input.amount > 100", insert: "      - ‸")
        #expect(try labels(text) == ["to", "on", "after", "when", "label", "role", "do"])
    }

    @Test func aFlowMappingOffersTheKeysItDoesNotHaveBeforeOrAfterTheCursor() throws {
        let text = AuthoringFixtures.sop(replacing: "      - {to: refunded, on: approve}", with: "      - {to: refunded, ‸ on: approve}")
        #expect(try labels(text) == ["after", "when", "label", "role", "do"])
        let input = AuthoringFixtures.sop(replacing: "      amount: {type: number, prompt: \"Amount paid\"}",
                                          with: "      amount: {type: number, prompt: \"Amount paid\", m‸")
        #expect(try labels(input) == ["min", "max", "min_length", "max_length"])
    }

    @Test func keysOfNestedMappingsOfTheFormat() throws {
        let sla = AuthoringFixtures.sop(replacing: "    first_response: {target: 4h, stop: approve}",
                                        with: "    first_response:\n      target: 4h\n      ‸")
        #expect(try labels(sla) == ["calendar", "start", "pause", "stop", "warning"])
        let action = AuthoringFixtures.sop(after: "        on: decline", insert: "        do:\n          - ‸")
        #expect(try labels(action) == ["set", "notify", "assign", "tag", "start"])
        let notify = AuthoringFixtures.sop(after: "        on: decline", insert: "        do:\n          - notify: {to: customer, ‸}")
        #expect(try labels(notify) == ["template"])
        let timer = AuthoringFixtures.sop(after: "        on: decline", insert: "      - to: declined\n        after: {business: 2d, ‸}")
        #expect(try labels(timer) == ["calendar"])
    }

    // MARK: 2. Values

    @Test func aTransitionsTargetIsAStateWithItsTitle() throws {
        let text = AuthoringFixtures.sop(replacing: "      - to: approve", with: "      - to: ‸")
        let candidates = try complete(text)
        #expect(candidates.map(\.label) == ["verify", "approve", "refunded", "declined"])
        #expect(candidates.first?.kind == .state)
        #expect(candidates.first?.detail == "Vérifier l'achat ✓")
        let typed = AuthoringFixtures.sop(replacing: "      - {to: refunded, on: approve}", with: "      - {to: ref‸, on: approve}")
        #expect(try labels(typed) == ["refunded"])
        #expect(try labels(AuthoringFixtures.sop(replacing: "start: verify", with: "start: ‸")) == ["verify", "approve", "refunded", "declined"])
    }

    @Test func aCallIsAnotherSOPOfTheWorkspace() throws {
        let text = AuthoringFixtures.sop(replacing: "    call: damage-check", with: "    call: ‸")
        let candidates = try complete(text)
        #expect(candidates.map(\.label) == ["damage-check"])
        #expect(candidates.first?.kind == .sop)
        let action = AuthoringFixtures.sop(after: "        on: decline", insert: "        do:\n          - start: {sop: d‸}")
        #expect(try labels(action) == ["damage-check"])
    }

    @Test func eventsAreTheSOPsAndItsSLAClocks() throws {
        let text = AuthoringFixtures.sop(replacing: "        on: decline", with: "        on: ‸")
        // `decline`, the event being retyped, is no longer in the text.
        #expect(try labels(text) == ["approve", "sla.first_response.warning", "sla.first_response.breached"])
        let typed = AuthoringFixtures.sop(replacing: "        on: decline", with: "        on: sla.first_response.b‸")
        let candidates = try complete(typed)
        #expect(candidates.map(\.label) == ["sla.first_response.breached"])
        // The whole value is replaced, dots and all.
        #expect(candidates.first?.replacing?.start.column == 13)
    }

    @Test func rolesCalendarsOutcomesAndTypes() throws {
        #expect(try labels(AuthoringFixtures.sop(replacing: "    role: lead", with: "    role: ‸")) == ["agent", "lead"])
        #expect(try labels(AuthoringFixtures.sop(replacing: "  calendar: support-eu", with: "  calendar: ‸")) == ["support-eu", "support-us"])
        #expect(try labels(AuthoringFixtures.sop(replacing: "  refunded: {title: Refunded, end: refunded}",
                                                 with: "  refunded: {title: Refunded, end: ‸}")) == ["declined"])
        #expect(try labels(AuthoringFixtures.sop(replacing: "      amount: {type: number, prompt: \"Amount paid\"}",
                                                 with: "      amount: {type: int‸")) == ["integer"])
        #expect(try labels(AuthoringFixtures.sop(replacing: "    first_response: {target: 4h, stop: approve}",
                                                 with: "    first_response: {target: 4h, stop: [approve, ‸]}")).contains("refunded"))
    }

    // MARK: 3. Expressions and templates

    @Test func ticketFieldsWithTypesAndDescriptions() throws {
        let text = AuthoringFixtures.sop(replacing: "        when: input.amount > 100", with: "        when: ticket.‸")
        let candidates = try complete(text)
        #expect(candidates.map(\.label) == ["id", "status", "priority", "due_on", "customer", "tags"])
        let id = try #require(candidates.first)
        #expect(id.kind == .field && id.detail == "string" && id.documentation == "The helpdesk's ticket id.")
        let nested = AuthoringFixtures.sop(replacing: "        when: input.amount > 100", with: "        when: ticket.customer.t‸ == 'x'")
        let tier = try #require(try complete(nested).first)
        #expect(tier.label == "tier")
        #expect(tier.detail == "enum (standard, premium)")
        #expect(tier.documentation == "The customer's contract.")
    }

    @Test func enumValuesAfterAComparisonWithAnEnumField() throws {
        let text = AuthoringFixtures.sop(replacing: "        when: input.amount > 100", with: "        when: ticket.status == ‸")
        #expect(try labels(text) == ["'new'", "'open'", "'pending'", "'closed'"])
        let quoted = AuthoringFixtures.sop(replacing: "        when: input.amount > 100", with: "        when: \"ticket.priority != 'h‸\"")
        let candidates = try complete(quoted)
        #expect(candidates.map(\.label) == ["'high'"])
        let inList = AuthoringFixtures.sop(replacing: "        when: input.amount > 100", with: "        when: var.reason in ['late', ‸")
        #expect(try labels(inList) == ["'damaged'", "'late'"])
    }

    @Test func inputsOfTheStateAndOfTheStatesBeforeIt() throws {
        let text = AuthoringFixtures.sop(replacing: "        on: decline", with: "        when: input.‸")
        let candidates = try complete(text)
        #expect(candidates.map(\.label) == ["decision", "amount"])
        #expect(candidates.first?.detail == "enum (refund, decline)")
        // In the first state, only its own.
        let first = AuthoringFixtures.sop(replacing: "        when: input.amount > 100", with: "        when: input.‸")
        #expect(try labels(first) == ["amount"])
    }

    @Test func variablesFunctionsAndRoots() throws {
        let vars = AuthoringFixtures.sop(replacing: "        when: input.amount > 100", with: "        when: var.‸")
        #expect(try complete(vars).map { "\($0.label): \($0.detail ?? "")" } == ["attempts: integer", "reason: enum (damaged, late)"])
        let function = AuthoringFixtures.sop(replacing: "        when: input.amount > 100", with: "        when: days_s‸")
        let candidate = try #require(try complete(function).first)
        #expect(candidate.label == "days_since" && candidate.kind == .function)
        #expect(candidate.detail == "days_since(date or datetime)")
        #expect(candidate.documentation?.contains("whole days until today") == true)
        let roots = AuthoringFixtures.sop(replacing: "        when: input.amount > 100", with: "        when: ‸")
        let names = try labels(roots)
        #expect(Array(names.prefix(5)) == ["ticket", "input", "var", "run", "now"])
        #expect(!names.contains("child"), "only a state that calls another SOP has a child")
        #expect(names.contains("today") && names.contains("coalesce"))
    }

    @Test func childOutcomeIsTheCalledSOPsOutcomes() throws {
        let text = AuthoringFixtures.sop(replacing: "        on: decline", with: "        when: child.‸")
        let candidate = try #require(try complete(text).first)
        #expect(candidate.label == "outcome" && candidate.detail == "enum (damaged, fine)")
        let value = AuthoringFixtures.sop(replacing: "        on: decline", with: "        when: child.outcome == ‸")
        #expect(try labels(value) == ["'damaged'", "'fine'"])
    }

    @Test func templatesInTitlesAndInstructionsComplete() throws {
        let title = AuthoringFixtures.sop(replacing: "title: Check a refund", with: "title: Check ${{ ticket.cu‸")
        #expect(try labels(title) == ["customer"])
        let block = AuthoringFixtures.sop(after: "    title: A lead approves", insert: "    instructions: |\n      Call ${{ ticket.customer.‸ }} now.")
        #expect(try labels(block) == ["name", "tier"])
        let multiLine = AuthoringFixtures.sop(replacing: "        when: input.amount > 100",
                                              with: "        when: >-\n          input.amount > 100\n          and ticket.pri‸")
        #expect(try labels(multiLine) == ["priority"])
        let setValue = AuthoringFixtures.sop(after: "        on: decline", insert: "        do:\n          - set: {var.attempts: \"${{ var.att‸\"}")
        #expect(try labels(setValue) == ["attempts"])
    }

    @Test func theKeysOfASetAreTicketAndVariablePaths() throws {
        let roots = AuthoringFixtures.sop(after: "        on: decline", insert: "        do:\n          - set: {‸")
        #expect(try complete(roots).map { $0.insertText ?? $0.label } == ["ticket.", "var."])
        let fields = AuthoringFixtures.sop(after: "        on: decline", insert: "        do:\n          - set:\n              ticket.customer.‸")
        #expect(try labels(fields) == ["name", "tier"])
        let vars = AuthoringFixtures.sop(after: "        on: decline", insert: "        do:\n          - set: {var.re‸")
        #expect(try labels(vars) == ["reason"])
    }

    // MARK: Text that does not parse, and text that is not ASCII

    @Test func aFileThatDoesNotParseStillCompletes() throws {
        // An unclosed flow mapping: libyaml stops there; the states above it are still known.
        let text = AuthoringFixtures.sop(replacing: "      - {to: refunded, on: approve}", with: "      - {to: ‸")
        #expect(try labels(text) == ["verify", "approve", "refunded", "declined"])
        let broken = AuthoringFixtures.sop(replacing: "        when: input.amount > 100", with: "        when: ticket.status == 'op‸")
            + "  broken: [unclosed\n"
        #expect(try labels(broken) == ["'open'"])
    }

    @Test func columnsCountUnicodeScalars() throws {
        // Accents and an emoji before the cursor on the same line: the span still starts at the word.
        let text = AuthoringFixtures.sop(replacing: "title: Check a refund", with: "title: Vérifiez 🧾 ${{ ticket.cust‸ }}")
        let candidate = try #require(try complete(text).first)
        #expect(candidate.label == "customer")
        let position = MarkedText(text).position
        #expect(candidate.replacing == SourceSpan(start: SourcePosition(line: position.line, column: position.column - 4), end: position))
    }

    @Test func positionsOutsideTheTextCompleteNothingAndDoNotTrap() throws {
        let source = SourceFile(path: "sops/x.sop.yaml", text: "sop: x\n")
        let context = try AuthoringFixtures.context()
        for position in [SourcePosition(line: 0, column: 0), SourcePosition(line: 9, column: 1), SourcePosition(line: 1, column: 99)] {
            #expect(Completion.candidates(in: source, at: position, context: context).isEmpty)
        }
    }
}

/// Scenario test files complete their own keys, and values from the SOP they test.
struct ScenarioCompletionTests {
    static let test = """
    sop: refund-check
    cases:
      - name: a big refund is approved
        ticket: {id: T-1}
        steps:
          - input: {amount: 120}
            expect: {state: approve}
          - event: approve
    """

    func labels(_ marked: String) throws -> [String] {
        let text = MarkedText(marked, path: "sops/refund-check.test.yaml")
        return Completion.candidates(in: text.source, at: text.position, context: try AuthoringFixtures.context()).map(\.label)
    }

    @Test func keysOfACaseAStepAndAnExpectation() throws {
        #expect(try labels(Self.test.replacingOccurrences(of: "    ticket: {id: T-1}", with: "    ticket: {id: T-1}\n    ‸")) == ["now", "expect"])
        #expect(try labels(Self.test + "\n        ‸") == ["input", "ticket", "advance", "actor", "check", "expect", "run"])
        #expect(try labels(Self.test.replacingOccurrences(of: "{state: approve}", with: "{state: approve, ‸}"))
                == ["outcome", "ticket", "vars", "path", "outbox", "error"])
    }

    @Test func valuesFromTheTestedSOP() throws {
        #expect(try labels(Self.test.replacingOccurrences(of: "event: approve", with: "event: ‸")) == ["approve", "decline"])
        #expect(try labels(Self.test.replacingOccurrences(of: "{state: approve}", with: "{state: ‸}"))
                == ["verify", "approve", "refunded", "declined"])
        #expect(try labels(Self.test.replacingOccurrences(of: "{amount: 120}", with: "{amount: 120, ‸}")) == ["decision"])
        #expect(try labels(Self.test.replacingOccurrences(of: "sop: refund-check", with: "sop: ‸")) == ["refund-check", "damage-check"])
    }

    @Test func aKeyOfATestHasItsDescriptionOnHover() throws {
        let text = MarkedText(Self.test.replacingOccurrences(of: "      - event: approve", with: "      - ev‸ent: approve"), path: "sops/refund-check.test.yaml")
        let info = try #require(Hover.info(in: text.source, at: text.position, context: try AuthoringFixtures.context()))
        #expect(info.markdown == KeyDocs.markdown(for: "event", in: .testStep))
    }
}
