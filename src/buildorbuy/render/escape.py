"""Escaping user text (path, GPU and scenario names, notes) for each output: terminal, Markdown, CSV.

Names are data. On a terminal, control characters would move the cursor, clear the screen, set the
window title or plant hyperlinks; in GitHub-flavoured Markdown, `*`, `_`, backticks, `<b>`, a
leading `#` or a newline would restyle or restructure the document; in a spreadsheet, a CSV cell
starting with `=`, `+`, `-`, `@`, a tab or a CR is run as a formula (OWASP "CSV injection").
"""

from __future__ import annotations

import re
from typing import Any, Iterable

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""C0 controls but tab and newline, DEL, C1 controls, bidirectional overrides, lone surrogates."""
_CONTROL_LINES = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""The same, newline and tab included (for one-line contexts)."""


def _visible(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: Any, *, one_line: bool = False) -> str:
    """`text` with control characters shown as `\\x1b`-style escapes (newlines kept unless `one_line`)."""
    text = str(text)
    return (_CONTROL_LINES if one_line else _CONTROL).sub(_visible, text)


_MD_SPECIAL = re.compile(r"([\\`*<>|~&])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|\](?=\()")
"""Characters with inline meaning; `_` only at a word edge (GFM ignores intraword underscores),
`]` only before `(` (what makes `[text](url)` a link)."""
_MD_LEADING = re.compile(r"^(\s*)(?:(#(?=[#\s]|$)|>|\+(?=\s|$)|-(?=[\s-]|$)|=+\s*$)|([0-9]+)([.)])(?=\s|$))")


def markdown(text: Any, *, cell: bool = False) -> str:
    """Inline GitHub-flavoured Markdown for plain text: shown as written, on one line.

    Backslash-escapes `\\ ` * < > | ~ &`, `_` at a word edge and the `]` of `](`; outside table
    cells also a leading `#`, `>`, `+`, `-`, `=` or `1.` (headings, quotes, list items). Newlines
    and CRs become spaces; control characters are shown as escapes.
    """
    text = terminal(str(text).replace("\r\n", " ").replace("\r", " ").replace("\n", " "), one_line=True)
    text = _MD_SPECIAL.sub(lambda m: "\\" + m.group(), text)
    if cell:
        return text
    return _MD_LEADING.sub(
        lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4)), text
    )


def markdown_code(text: Any) -> str:
    """A Markdown code span holding `text` verbatim, however many backticks it contains."""
    text = terminal(str(text).replace("\r", " ").replace("\n", " "), one_line=True)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_INVISIBLE_CONTROLS = re.compile("[\x80-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""The characters of `_CONTROL` that JSON writes raw (it escapes C0 controls itself)."""


def json_safe(text: str) -> str:
    """JSON text with C1 controls (`\\x9b` is a terminal's CSI), bidirectional overrides and lone
    surrogates written as `\\u` escapes: the same data once parsed, nothing a terminal acts on.
    Outside string literals JSON holds only ASCII, so every match is inside a string. Other
    outputs (tables, Markdown, CSV) have already escaped or replaced these characters: for them
    this changes nothing."""
    return _INVISIBLE_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A plain decimal number as a spreadsheet reads it (no `_` separators, no `inf`/`nan`)."""
REPLACEMENT = "\ufffd"


def plain_text(text: str) -> str:
    """`text` without control characters, for files opened by other programs (CSV, HTML): a CRLF or
    CR becomes a newline; other C0 controls but tab and newline, DEL, C1 controls, bidirectional
    overrides and lone surrogates become U+FFFD (visible, and nothing that could drive a terminal
    or reorder the text)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(REPLACEMENT, text)


def csv_cell(value: Any) -> Any:
    """A CSV cell safe to open in a spreadsheet or print: control characters replaced (`plain_text`),
    then text starting with `= + - @`, tab, CR or newline gets a leading `'`. Numbers (and text that is just a
    number, such as `-1250.5`) are left as they are."""
    if not isinstance(value, str):
        return value
    value = plain_text(value)
    if not value.startswith(_FORMULA_START) or _NUMBER.fullmatch(value):
        return value
    return "'" + value


class SafeCsvWriter:
    """`csv.writer` whose rows pass through `csv_cell`."""

    def __init__(self, buffer, **options):
        import csv

        options.setdefault("lineterminator", "\n")
        self._writer = csv.writer(buffer, **options)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([csv_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(buffer, **options) -> SafeCsvWriter:
    """A CSV writer for user-facing files (lines end in `\\n`; text cells are formula-safe)."""
    return SafeCsvWriter(buffer, **options)
