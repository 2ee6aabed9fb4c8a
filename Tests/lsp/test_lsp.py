"""`sop lsp` end to end through pytest-lsp (a pygls client over standard input and output), in a
workspace copied from sops/ with its ticket schema. Each test compares with what the rest of sopkit
says of the same text (`sop lint`, `sop test`) or with the text itself, never with the server's
own idea of it."""

import asyncio
import subprocess

from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import (ROOT, SOP, TIMEOUT, apply_text_edits, lint_json, lsp_position, open_document, position_of,
                      replace_in_document, uri, wait_for_diagnostics, workspace_edit_by_uri)

SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}

GUARD = "(input.impact == 'high' and input.urgency == 'high')"


async def test_initialize_announces_what_the_server_does(workspace):
    # The fixture's initialize response is not kept by pytest-lsp, so this test starts its own session.
    from conftest import SERVER, initialize_params
    client = await SERVER.start()
    try:
        result = await asyncio.wait_for(client.initialize_session(initialize_params(workspace)), TIMEOUT)
        caps = result.capabilities
        sync = caps.text_document_sync
        kind = sync.change if isinstance(sync, types.TextDocumentSyncOptions) else sync
        assert kind in (types.TextDocumentSyncKind.Full, types.TextDocumentSyncKind.Incremental)
        if isinstance(sync, types.TextDocumentSyncOptions):
            assert sync.open_close
        assert caps.completion_provider is not None
        # `ticket.` and `to: ` complete without the user asking
        assert "." in (caps.completion_provider.trigger_characters or [])
        for name in ("hover_provider", "definition_provider", "references_provider", "rename_provider",
                     "code_action_provider", "document_symbol_provider"):
            assert getattr(caps, name), f"{name} is not announced"
        await asyncio.wait_for(client.shutdown_session(), TIMEOUT)
    finally:
        await client.stop()


async def test_open_publishes_what_sop_lint_finds(client: LanguageClient, workspace):
    path = workspace / "sops" / "intake.sop.yaml"
    text = path.read_text()
    # Mistakes of several rules, one of them after a character outside the BMP (two UTF-16 units).
    text = text.replace(GUARD, GUARD.replace(" and ", " && "))
    text = text.replace("- to: categorise", "- to: categorsie")
    text = text.replace("    title: Describe the problem", '    title: "😀 Describe it for ${{ ticket.nope }}"')
    path.write_text(text)  # `sop lint` reads the disk; the server gets the same text from the editor
    expected = [d for d in lint_json(workspace, "sops") if d["file"] == "sops/intake.sop.yaml"]
    assert {d["rule"] for d in expected} >= {"expression-syntax", "unknown-state", "unknown-field"}

    doc_uri = open_document(client, path, text)
    published = await wait_for_diagnostics(client, doc_uri, lambda ds: len(ds) > 0, "after didOpen")

    def as_lsp(d):
        return (d["rule"], lsp_position(text, d["line"], d["column"]), lsp_position(text, d["end_line"], d["end_column"]),
                SEVERITY[d["severity"]], d["message"], d["help"])

    # The message is lint's; the help, when there is one, follows it in the same text (LSP has
    # no field of its own for it).
    got = sorted(((d.code, d.range.start, d.range.end, d.severity, d.message.split("\nhelp: ")[0],
                   d.message.split("\nhelp: ", 1)[1] if "\nhelp: " in d.message else None) for d in published), key=repr)
    assert got == sorted(map(as_lsp, expected), key=repr)
    emoji = next(d for d in published if d.code == "unknown-field")
    line = text.split("\n")[emoji.range.start.line]
    assert len(line[:line.index("nope")].encode("utf-16-le")) // 2 == emoji.range.start.character
    for d in published:
        assert d.source == "sop"
        assert d.code_description is not None and "lint-rules" in d.code_description.href and d.code in d.code_description.href


async def test_a_mistake_typed_is_reported_and_its_fix_clears_it(client: LanguageClient, workspace):
    path = workspace / "sops" / "intake.sop.yaml"
    text = path.read_text()
    doc_uri = open_document(client, path, text)
    await wait_for_diagnostics(client, doc_uri, lambda ds: ds == [], "of a clean file after didOpen")

    text = replace_in_document(client, doc_uri, 2, text, GUARD, GUARD.replace(" and ", " && "))
    found = await wait_for_diagnostics(client, doc_uri, lambda ds: any(d.code == "expression-syntax" for d in ds), "after typing '&&'")
    bad = next(d for d in found if d.code == "expression-syntax")
    assert bad.range.start == position_of(text, "&&")
    text = replace_in_document(client, doc_uri, 3, text, "&&", "and")
    await wait_for_diagnostics(client, doc_uri, lambda ds: ds == [], "after '&&' went back to 'and'")

    text = replace_in_document(client, doc_uri, 4, text, "- to: categorise", "- to: categorsie")
    found = await wait_for_diagnostics(client, doc_uri, lambda ds: any(d.code == "unknown-state" for d in ds), "after misspelling a to:")
    bad = next(d for d in found if d.code == "unknown-state")
    assert bad.range.start == position_of(text, "categorsie")
    assert bad.range.end == position_of(text, "categorsie", offset=len("categorsie"))
    text = replace_in_document(client, doc_uri, 5, text, "categorsie", "categorise")
    await wait_for_diagnostics(client, doc_uri, lambda ds: ds == [], "after the to: was spelt right again")


def labels(result) -> list:
    items = result.items if isinstance(result, types.CompletionList) else (result or [])
    return [item.label for item in items]


async def test_completion_of_a_ticket_field_and_of_a_state(client: LanguageClient, workspace):
    path = workspace / "sops" / "intake.sop.yaml"
    text = path.read_text()
    # A guard being typed: `ticket.` and nothing after it yet.
    typed = text.replace("      - to: abandoned\n        after: 30m", "      - to: abandoned\n        when: ticket.\n        after: 30m")
    doc_uri = open_document(client, path, typed)
    at = position_of(typed, "when: ticket.", offset=len("when: ticket."))
    result = await asyncio.wait_for(client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=doc_uri), position=at,
        context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.TriggerCharacter, trigger_character="."))), TIMEOUT)
    fields = labels(result)
    assert {"priority", "customer", "status", "created_at"} <= set(fields), fields
    assert "nope" not in fields and "confirm_customer" not in fields

    at = position_of(typed, "- to: describe_problem", offset=len("- to: "))
    result = await asyncio.wait_for(client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=doc_uri), position=at)), TIMEOUT)
    states = labels(result)
    assert {"describe_problem", "categorise", "prioritise", "route", "abandoned"} <= set(states), states
    assert "priority" not in states


async def test_hover_on_a_key_says_what_it_means(client: LanguageClient, workspace):
    path = workspace / "sops" / "intake.sop.yaml"
    text = path.read_text()
    doc_uri = open_document(client, path, text)
    at = position_of(text, "    instructions:", offset=6)
    hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=doc_uri), position=at)), TIMEOUT)
    assert hover is not None
    contents = hover.contents
    markdown = contents.value if isinstance(contents, types.MarkupContent) else str(contents)
    # The meaning docs/format.md's table of state keys gives (one source for both), up to its
    # first semicolon: "what the agent should do here".
    row = next(l for l in (ROOT / "docs" / "format.md").read_text().split("\n") if l.startswith("| `instructions` |"))
    meaning = [cell.strip() for cell in row.strip("|").split("|")][-1].split(";")[0]
    assert meaning and meaning in markdown, (meaning, markdown)
    if hover.range is not None:
        assert hover.range.start.line == at.line


async def test_definition_of_a_transition_target_is_its_state(client: LanguageClient, workspace):
    path = workspace / "sops" / "follow-up.sop.yaml"
    text = path.read_text()
    doc_uri = open_document(client, path, text)
    at = position_of(text, "- to: feedback", offset=len("- to: fee"))
    result = await asyncio.wait_for(client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=doc_uri), position=at)), TIMEOUT)
    locations = result if isinstance(result, list) else [result]
    assert len(locations) == 1, locations
    location = locations[0]
    target_uri = location.target_uri if isinstance(location, types.LocationLink) else location.uri
    target = location.target_selection_range if isinstance(location, types.LocationLink) else location.range
    assert target_uri == doc_uri
    assert target.start == position_of(text, "\n  feedback:", offset=3)


async def test_rename_a_state_across_the_sop_and_its_tests(client: LanguageClient, workspace):
    sop_path = workspace / "sops" / "follow-up.sop.yaml"
    test_path = workspace / "sops" / "follow-up.test.yaml"
    sop_text, test_text = sop_path.read_text(), test_path.read_text()
    assert "confirm" in test_text
    doc_uri = open_document(client, sop_path, sop_text)
    at = position_of(sop_text, "\n  confirm:", offset=4)
    edit = await asyncio.wait_for(client.text_document_rename_async(types.RenameParams(
        text_document=types.TextDocumentIdentifier(uri=doc_uri), position=at, new_name="check_fix")), TIMEOUT)
    assert edit is not None
    edits = workspace_edit_by_uri(edit)
    assert set(edits) == {doc_uri, uri(test_path)}, list(edits)
    new_sop = apply_text_edits(sop_text, edits[doc_uri])
    new_test = apply_text_edits(test_text, edits[uri(test_path)])
    # Only the state's name changed: its title ("Confirm the fix") and the description's prose
    # ("confirm with the customer") keep the word.
    assert new_sop == sop_text.replace("  confirm:\n", "  check_fix:\n").replace("- to: confirm\n", "- to: check_fix\n")
    assert "Confirm the fix" in new_sop
    assert "check_fix" in new_test and "[scheduled, contact, check_fix, feedback, closed]" in new_test
    # The renamed project lints and its scenario tests pass, as before.
    sop_path.write_text(new_sop)
    test_path.write_text(new_test)
    assert lint_json(workspace, "sops") == []
    run = subprocess.run([SOP, "test", "sops/follow-up.test.yaml"], cwd=workspace, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


async def test_code_action_fixes_a_misspelt_state(client: LanguageClient, workspace):
    path = workspace / "sops" / "intake.sop.yaml"
    original = path.read_text()
    text = original.replace("- to: categorise", "- to: categorsie")
    doc_uri = open_document(client, path, text)
    found = await wait_for_diagnostics(client, doc_uri, lambda ds: any(d.code == "unknown-state" for d in ds), "of a misspelt to:")
    bad = next(d for d in found if d.code == "unknown-state")
    actions = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=doc_uri), range=bad.range,
        context=types.CodeActionContext(diagnostics=[bad]))), TIMEOUT)
    actions = [a for a in actions or [] if isinstance(a, types.CodeAction)]
    for k, action in enumerate(actions):
        if action.edit is None and action.data is not None:  # the edit comes with codeAction/resolve
            actions[k] = await asyncio.wait_for(client.code_action_resolve_async(action), TIMEOUT)

    def fixes_it(action):
        edits = workspace_edit_by_uri(action.edit) if action.edit is not None else {}
        return set(edits) == {doc_uri} and apply_text_edits(text, edits[doc_uri]) == original

    fixes = [a for a in actions if fixes_it(a)]
    assert fixes, [(a.title, a.edit) for a in actions]
    assert fixes[0].kind is None or fixes[0].kind.startswith("quickfix")
    assert "categorise" in fixes[0].title


async def test_code_action_suppresses_a_warning_and_lint_agrees(client: LanguageClient, workspace):
    path = workspace / "sops" / "follow-up.sop.yaml"
    text = path.read_text().replace(
        "      fixed: {type: boolean, prompt: Is the problem fixed?}\n",
        "      fixed: {type: boolean, prompt: Is the problem fixed?}\n      attempts: {type: integer, prompt: How many tries?}\n")
    doc_uri = open_document(client, path, text)
    found = await wait_for_diagnostics(client, doc_uri, lambda ds: any(d.code == "unused-input" for d in ds), "of an input never read")
    unused = next(d for d in found if d.code == "unused-input")
    actions = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=doc_uri), range=unused.range,
        context=types.CodeActionContext(diagnostics=[unused]))), TIMEOUT)
    actions = [a for a in actions or [] if isinstance(a, types.CodeAction)]
    for k, action in enumerate(actions):
        if action.edit is None and action.data is not None:
            actions[k] = await asyncio.wait_for(client.code_action_resolve_async(action), TIMEOUT)
    suppressions = [a for a in actions if a.edit is not None and any(
        "sop: ignore[unused-input]" in e.new_text for es in workspace_edit_by_uri(a.edit).values() for e in es)]
    assert suppressions, [(a.title, a.edit) for a in actions]
    # The comment, written where the server put it, suppresses the finding for `sop lint` too,
    # and suppresses nothing else.
    path.write_text(apply_text_edits(text, workspace_edit_by_uri(suppressions[0].edit)[doc_uri]))
    assert lint_json(workspace, "sops") == []


def symbol_tree(symbols) -> dict:
    return {s.name: symbol_tree(s.children or []) for s in symbols}


async def test_document_symbols_outline_states_inputs_and_transitions(client: LanguageClient, workspace):
    path = workspace / "sops" / "follow-up.sop.yaml"
    text = path.read_text()
    doc_uri = open_document(client, path, text)
    symbols = await asyncio.wait_for(client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=types.TextDocumentIdentifier(uri=doc_uri))), TIMEOUT)
    assert symbols and all(isinstance(s, types.DocumentSymbol) for s in symbols), symbols
    tree = symbol_tree(symbols)
    states = ["scheduled", "contact", "confirm", "feedback", "reopen", "closed", "closed_unhappy", "no_answer", "reopened"]

    def find(tree, name):
        if name in tree:
            return tree[name]
        for child in tree.values():
            if (hit := find(child, name)) is not None:
                return hit
        return None

    for state in states:
        assert find(tree, state) is not None, f"state {state} not in the outline {tree}"
    confirm = find(tree, "confirm")
    flat = repr(confirm)
    assert "fixed" in flat, confirm  # its input
    assert "feedback" in flat and "reopen" in flat, confirm  # its transitions
    # Ranges lie inside the document and each selection range inside its range.
    lines = text.count("\n") + 1

    def check(symbol):
        assert 0 <= symbol.range.start.line <= symbol.range.end.line < lines
        assert (symbol.range.start.line, symbol.range.start.character) <= (symbol.selection_range.start.line, symbol.selection_range.start.character)
        assert (symbol.selection_range.end.line, symbol.selection_range.end.character) <= (symbol.range.end.line, symbol.range.end.character)
        for child in symbol.children or []:
            check(child)

    for symbol in symbols:
        check(symbol)


async def test_shutdown_then_exit_ends_the_server_with_status_0(workspace):
    from conftest import SERVER, initialize_params
    client = await SERVER.start()
    try:
        await asyncio.wait_for(client.initialize_session(initialize_params(workspace)), TIMEOUT)
        assert await asyncio.wait_for(client.shutdown_async(None), TIMEOUT) is None
        client.exit(None)
        code = await asyncio.wait_for(client._server.wait(), TIMEOUT)
        assert code == 0
    finally:
        await client.stop()


async def test_a_change_rechecks_the_files_that_depend_on_it(client: LanguageClient, workspace):
    # follow-up starts escalation; renaming escalation's id (unsaved) is a finding in follow-up.
    called = workspace / "sops" / "escalation.sop.yaml"
    caller_uri = uri(workspace / "sops" / "follow-up.sop.yaml")
    text = called.read_text()
    doc_uri = open_document(client, called, text)
    text = replace_in_document(client, doc_uri, 2, text, "\nsop: escalation\n", "\nsop: escalation-v2\n")
    found = await wait_for_diagnostics(client, caller_uri, lambda ds: any(d.code == "unknown-sop" for d in ds),
                                       "for the caller after the called SOP's id changed")
    assert any("'escalation'" in d.message for d in found if d.code == "unknown-sop")
    replace_in_document(client, doc_uri, 3, text, "\nsop: escalation-v2\n", "\nsop: escalation\n")
    await wait_for_diagnostics(client, caller_uri, lambda ds: ds == [], "for the caller after the id came back")

    # intake reads ticket.customer.tier; the ticket schema edited (unsaved) without it is a finding there.
    schema = workspace / "schemas" / "ticket.schema.json"
    reader_uri = uri(workspace / "sops" / "intake.sop.yaml")
    schema_text = schema.read_text()
    assert '"tier"' in schema_text
    schema_uri = uri(schema)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=schema_uri, language_id="json", version=1, text=schema_text)))
    schema_text = replace_in_document(client, schema_uri, 2, schema_text, '"tier"', '"level"')
    found = await wait_for_diagnostics(client, reader_uri, lambda ds: any(d.code == "unknown-field" for d in ds),
                                       "for an SOP reading a field the schema lost")
    assert any("tier" in d.message for d in found if d.code == "unknown-field")
    replace_in_document(client, schema_uri, 3, schema_text, '"level"', '"tier"')
    await wait_for_diagnostics(client, reader_uri, lambda ds: ds == [], "after the field came back")
