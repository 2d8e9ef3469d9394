"""Table primitives shared by every renderer: rich tables for terminals, GitHub-flavoured Markdown."""

from __future__ import annotations


def rich_table(title: str, header: list[str], rows: list[list[str]], *, right_from: int = 1):
    """A rich Table; columns from `right_from` on are right-aligned (numbers)."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    # cells are data (field paths like `paths[API].x`, user-given names), never rich markup
    from buildorbuy.render.escape import terminal

    table = Table(title=escape(terminal(title)), title_justify="left", box=box.SIMPLE_HEAVY, header_style="bold")
    for i, name in enumerate(header):
        table.add_column(escape(terminal(name)), justify="right" if i >= right_from else "left", overflow="fold")
    for row in rows:
        table.add_row(*(escape(terminal(cell)) for cell in row))
    return table


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
"""Control characters (terminal escapes, newlines) shown as `\\xNN` instead of reaching the terminal."""

LONG_TABLE_ROWS = 100
"""Tables with more rows than this are printed as plain aligned text (see `plain_table`)."""


def plain_table(title: str, header: list[str], rows: list[list[str]], *, right_from: int = 99) -> str:
    """Aligned plain text for long listings: one line per row, columns separated by two spaces.

    rich lays out every cell of every row (measure, wrap, pad), about 6 ms per row of a
    2,000-row catalog; a listing that long is read with a pager or grep, so it is printed as
    fixed columns instead: no wrapping, no box, numbers right-aligned from column `right_from`.
    """
    cells = [[str(c).translate(_CONTROL) for c in header], *([str(c).translate(_CONTROL) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if i >= right_from else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, "", line(cells[0]), rule, *map(line, cells[1:])]) + "\n"


def _cell(text: str) -> str:
    from buildorbuy.render.escape import markdown

    return markdown(text, cell=True)


def markdown_table(header: list[str], rows: list[list[str]], *, right_from: int = 99) -> str:
    """A GitHub-flavoured Markdown table; numeric columns right-aligned."""
    align = ["---:" if i >= right_from else ":---" for i in range(len(header))]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def text_console(*, color: bool, width: int | None = None, default_width: int = 120):
    """A rich Console that renders into a string: colour only when asked, `width` columns (default:
    the terminal's, at least 100; `default_width` when there is no terminal)."""
    import io
    import shutil

    from rich.console import Console

    if width is None:
        columns = shutil.get_terminal_size((0, 0)).columns
        width = max(columns, 100) if columns else default_width
    return _safe_console_class()(file=io.StringIO(), force_terminal=color, no_color=not color, width=width,
                                 color_system="standard" if color else None, highlight=False, emoji=False)


def _safe_console_class():
    """A rich Console that shows control characters in any text it prints as visible escapes, so a
    name holding `\\x1b[2J` or an OSC title/hyperlink sequence cannot drive the terminal."""
    from rich.console import Console

    from buildorbuy.render.escape import terminal

    from rich.segment import Segment

    class SafeConsole(Console):
        def render_str(self, text: str, **kwargs):
            return super().render_str(terminal(text), **kwargs)

        def render(self, renderable, options=None):
            # a last guard for text that bypasses render_str (a Panel's title, a pre-built Text)
            for segment in super().render(renderable, options):
                if segment.control is None and segment.text and not segment.text.isprintable():
                    yield Segment(terminal(segment.text), segment.style)
                else:
                    yield segment

    return SafeConsole
