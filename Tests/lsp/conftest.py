"""Fixtures for the language server's end-to-end tests: a real `sop lsp` over standard input and
output, driven by real clients (pytest-lsp here, a headless Neovim in test_neovim.py), in a
temporary workspace copied from the shipped sops/ and their ticket schema.

Positions: `sop lint` counts lines and columns from 1 in Unicode scalars; LSP counts from 0 in
UTF-16 code units. The helpers below convert, so every test compares with what `sop lint` says."""

import asyncio
import json
import os
import pathlib
import shutil
import subprocess

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOP = os.environ.get("SOP_BIN", str(ROOT / ".build" / "debug" / "sop"))
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
TIMEOUT = float(os.environ.get("SOP_LSP_TEST_TIMEOUT", "20"))


def make_workspace(folder: pathlib.Path) -> pathlib.Path:
    """A project as `sop init` lays it out: sops/ (SOPs, tests, calendars) and schemas/."""
    shutil.copytree(ROOT / "sops", folder / "sops")
    (folder / "schemas").mkdir()
    for name in ("ticket.schema.json", "sop.schema.json", "sop-test.schema.json"):
        shutil.copy(ROOT / "schemas" / name, folder / "schemas" / name)
    return folder


@pytest.fixture
def workspace(tmp_path):
    return make_workspace(tmp_path / "project")


def make_client() -> LanguageClient:
    """pytest-lsp's client, answering `client/registerCapability` as an editor does (the server
    asks to be told of changed files when the client says it can register that dynamically)."""
    client = make_test_lsp_client()
    client.registrations = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams):
        client.registrations.extend(params.registrations)
        return None

    return client


SERVER = ClientServerConfig(server_command=[SOP, "lsp"], client_factory=make_client)


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, workspace):
    await asyncio.wait_for(lsp_client.initialize_session(initialize_params(workspace)), TIMEOUT)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), TIMEOUT)


def initialize_params(workspace: pathlib.Path) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="project")],
    )


def uri(path: pathlib.Path) -> str:
    return path.resolve().as_uri()


def utf16_column(line_text: str, scalars: int) -> int:
    """The UTF-16 offset of the character `scalars` characters into the line."""
    return len(line_text[:scalars].encode("utf-16-le")) // 2


def lsp_position(text: str, line: int, column: int) -> types.Position:
    """`sop lint`'s 1-based line and column (Unicode scalars) as an LSP position."""
    lines = text.split("\n")
    line_text = lines[line - 1] if line - 1 < len(lines) else ""
    return types.Position(line=line - 1, character=utf16_column(line_text, column - 1))


def position_of(text: str, needle: str, occurrence: int = 1, offset: int = 0) -> types.Position:
    """The LSP position of the `occurrence`-th `needle` in `text`, moved `offset` characters on."""
    at = -1
    for _ in range(occurrence):
        at = text.index(needle, at + 1)
    at += offset
    line = text.count("\n", 0, at)
    line_start = text.rfind("\n", 0, at) + 1
    return types.Position(line=line, character=utf16_column(text[line_start:], at - line_start))


def offset_of(text: str, position: types.Position) -> int:
    lines = text.split("\n")
    start = sum(len(l) + 1 for l in lines[: position.line])
    line_text = lines[position.line]
    units = 0
    for i, ch in enumerate(line_text):
        if units >= position.character:
            return start + i
        units += len(ch.encode("utf-16-le")) // 2
    return start + len(line_text)


def apply_text_edits(text: str, edits) -> str:
    """Applies LSP TextEdits (non-overlapping, as the spec requires) to `text`."""
    spans = sorted(((offset_of(text, e.range.start), offset_of(text, e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


def workspace_edit_by_uri(edit: types.WorkspaceEdit) -> dict:
    """A WorkspaceEdit's text edits by document URI, whether it uses `changes` or `documentChanges`."""
    out: dict = {}
    for doc_uri, edits in (edit.changes or {}).items():
        out.setdefault(doc_uri, []).extend(edits)
    for change in edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit):
            out.setdefault(change.text_document.uri, []).extend(change.edits)
    return out


def lint_json(workspace: pathlib.Path, *paths: str) -> list:
    result = subprocess.run([SOP, "lint", "--format", "json", *paths], cwd=workspace, capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


async def wait_for_diagnostics(client: LanguageClient, doc_uri: str, predicate, what: str):
    """Waits until the diagnostics last published for `doc_uri` satisfy `predicate`; fails with
    what was last published after TIMEOUT seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        published = client.diagnostics.get(doc_uri)
        if published is not None and predicate(list(published)):
            return list(published)
        if loop.time() > deadline:
            shown = [(d.code, d.range.start.line + 1, d.message) for d in published] if published is not None else "nothing"
            raise AssertionError(f"no publishDiagnostics for {doc_uri} {what} within {TIMEOUT} s; last: {shown}")
        await asyncio.sleep(0.02)


def open_document(client: LanguageClient, path: pathlib.Path, text: str | None = None, version: int = 1) -> str:
    text = path.read_text() if text is None else text
    doc_uri = uri(path)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=doc_uri, language_id="yaml", version=version, text=text)))
    return doc_uri


def change_document(client: LanguageClient, doc_uri: str, version: int, new_text: str):
    """Sends the whole new text: every server must accept a full change, whatever sync kind it asks for."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=doc_uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=new_text)]))


def replace_in_document(client: LanguageClient, doc_uri: str, version: int, text: str, old: str, new: str) -> str:
    """Sends one incremental change replacing the first `old` with `new`; returns the new text."""
    start = position_of(text, old)
    end = position_of(text, old, offset=len(old))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=doc_uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text=new)]))
    return text.replace(old, new, 1)
