"""Table primitives shared by every renderer: rich tables for terminals, GitHub-flavoured Markdown."""

from __future__ import annotations


PROSE_MIN = 16
"""Narrowest a prose column (a method, a meaning) is squeezed to; its words may then fold."""


def _longest_word(text: str) -> int:
    """Terminal cells of the longest word (a Chinese character takes two)."""
    from rich.cells import cell_len

    return max((cell_len(word) for word in str(text).split()), default=0)


def rich_table(title: str, header: list[str], rows: list[list[str]], *, right_from: int = 1, width: int | None = None,
               drop: tuple[int, ...] = (), prose: tuple[int, ...] = (), lang: str = "en"):
    """A rich Table; columns from `right_from` on are right-aligned numbers, never split.

    Every column is at least as wide as its longest number or word, so text wraps between words
    only (prose columns may fold long words below PROSE_MIN). With `width`, the columns in `drop`
    are left out, in that order, until the table fits; the caption names them.
    """
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from buildorbuy.render.escape import terminal

    widths: dict[int, int] = {}

    def total_natural(keep: list[int]) -> int:
        return sum(max([len(str(r[j])) for r in rows] + [len(header[j])]) + 2 for j in keep) + len(keep) + 1

    def build(keep: list[int], dropped: list[int]):
        caption = None
        if dropped:
            from buildorbuy.render.i18n import t

            caption = t("table.not_shown", lang, items=t("list.sep", lang).join(header[i] for i in sorted(dropped)))
        # cells are data (field paths like `paths[API].x`, user-given names), never rich markup
        table = Table(title=escape(terminal(title)), title_justify="left", box=box.SIMPLE_HEAVY, header_style="bold",
                      caption=escape(caption) if caption else None, caption_justify="left")
        for i in keep:
            numeric = i >= right_from
            cells = [str(r[i]) for r in rows]
            least = max((len(c) if numeric else _longest_word(c) for c in cells), default=0)
            if i in prose:
                least = min(least, PROSE_MIN)
            least = max(least, _longest_word(header[i]))
            widths[i] = least
            squeeze = width is not None and numeric and total_natural(keep) > width
            table.add_column(escape(terminal(header[i])), justify="right" if numeric else "left", overflow="fold",
                             min_width=max(least, 1), width=least if squeeze else None)
        for row in rows:
            table.add_row(*(escape(terminal(row[i])) for i in keep))
        return table

    keep, dropped = list(range(len(header))), []
    table = build(keep, dropped)
    if width is None:
        return table
    for i in drop:
        # each column: its width and one space of padding each side; one space between columns and at each edge
        if sum(widths[j] + 2 for j in keep) + len(keep) + 1 <= width:
            break
        keep.remove(i)
        dropped.append(i)
        table = build(keep, dropped)
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


    if width is None:
        columns = shutil.get_terminal_size((0, 0)).columns
        width = max(columns, 40) if columns else default_width
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

        _rendering = False

        def render(self, renderable, options=None):
            # a last guard for text that bypasses render_str (a Panel's title, a pre-built Text); the
            # outermost call sees every segment (nested renders of cells and padding pass theirs up
            # through it), so nested calls are not checked again (each level re-checked them all)
            if self._rendering:
                yield from super().render(renderable, options)
                return
            self._rendering = True
            try:
                for segment in super().render(renderable, options):
                    if segment.control is None and segment.text and not segment.text.isprintable():
                        yield Segment(terminal(segment.text), segment.style)
                    else:
                        yield segment
            finally:
                self._rendering = False

    return SafeConsole
