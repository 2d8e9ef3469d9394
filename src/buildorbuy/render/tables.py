"""Table primitives shared by every renderer: rich tables for terminals, GitHub-flavoured Markdown."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable


PROSE_MIN = 16
"""Narrowest a prose column (a method, a meaning) is squeezed to; its words may then fold."""


def _longest_word(text: str) -> int:
    """Terminal cells of the longest unbreakable piece of `text` (a Chinese character takes two)."""
    return max((_width(piece) for line in str(text).split("\n") for piece, _ in _pieces(line)), default=0)


def _width(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


_WORD = re.compile(r"[^\w]*[A-Za-z]")
_SIZE = re.compile(r"[0-9][0-9.,]*[A-Za-z]+[^\w]*$")
"""A word starts with a Latin letter (after any opening punctuation); a number starts with a digit."""
_CJK_RANGES = ((0x2E80, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF))
"""Code points of Chinese, Japanese and Korean text and full-width forms (compared directly: a
regular expression's class over these ~40,000 characters takes ~10 ms to compile at every start)."""


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _cjk_break(word: str) -> list[str]:
    """`word` split before each full-width bracket that follows a Chinese character (U+2E80–U+9FFF)."""
    if "（" not in word:
        return [word]
    parts, start = [], 0
    for k in range(1, len(word)):
        if word[k] == "（" and "\u2e80" <= word[k - 1] <= "\u9fff":
            parts.append(word[start:k])
            start = k
    return parts + [word[start:]]


_DOT_BREAK = re.compile(r"(?<=[^\d\s]\.)(?=[A-Za-z_])")
"""In a heading, a field path may fold after a dot (`paths[1].` / `fixed_fee_per_month`), never elsewhere."""


def _breakable(before: str, after: str) -> bool:
    """May a line break at the spaces between the words `before` and `after`? Only before a word of
    Latin letters, a size such as `70B` or Chinese text not right after a number: a number stays with
    the word before it (`Year 1`, `p10: 5e+09`), a mark with what it marks (`1,088,150 ✗`), and a
    counter with its number (`第 0 月`)."""
    return bool(_WORD.match(after) or _SIZE.match(after) or (_is_cjk(after[0]) and not before[-1].isdigit()))


def _pieces(line: str, *, dots: bool = False) -> list[tuple[str, str]]:
    """`line` as unbreakable pieces, each with the separator that joins it to the next piece on the
    same line (the spaces it stood between; '' after a dot a heading may fold at)."""
    tokens = re.split(r"( +)", line.strip(" "))
    pieces: list[list[str]] = []
    for k in range(0, len(tokens), 2):
        word = tokens[k]
        if pieces and not _breakable(tokens[k - 2], word):
            pieces[-1][0] += pieces[-1][1] + word
            pieces[-1][1] = tokens[k + 1] if k + 1 < len(tokens) else ""
        else:
            pieces.append([word, tokens[k + 1] if k + 1 < len(tokens) else ""])
    split = []
    for word, sep in pieces:  # Chinese text may fold before a full-width bracket: 立即启动的净现值 / （CNY）
        parts = _cjk_break(word)
        split += [[part, ""] for part in parts[:-1]] + [[parts[-1], sep]]
    pieces = split
    if dots:
        split = []
        for word, sep in pieces:
            parts = _DOT_BREAK.split(word)
            split += [[part, ""] for part in parts[:-1]] + [[parts[-1], sep]]
        pieces = split
    return [(word, sep) for word, sep in pieces if word or sep]


def _fold(word: str, width: int) -> list[str]:
    """A piece wider than `width` cut into lines of at most `width` cells (prose columns only), not
    inside a number where it can be helped (`200k-400k` folds at the dash, not in `400`)."""
    def joined(a: str, b: str) -> bool:
        return (a.isdigit() and (b.isdigit() or b in ",.")) or (a in ",." and b.isdigit())

    lines, current = [], ""
    for char in word:
        if current and _width(current + char) > width:
            cut = len(current)
            if joined(current[-1], char):  # step back to the start of the number, if it is not the whole line
                cut = next((k for k in range(len(current) - 1, 0, -1) if not joined(current[k - 1], current[k])), cut)
            lines.append(current[:cut])
            current = current[cut:]
        current += char
    return lines + [current]


def _wrap(text: str, width: int, *, dots: bool = False) -> str:
    """`text` folded into lines of at most `width` cells, breaking only between pieces."""
    out = []
    for line in str(text).split("\n"):
        current, sep = "", ""
        for word, after in _pieces(line, dots=dots):
            if current and _width(current + sep + word) > width:
                out.append(current.rstrip())
                current = ""
            if not current and _width(word) > width:
                *full, word = _fold(word, width)
                out += full
            current = (current + sep + word) if current else word
            sep = after
        out.append(current)
    return "\n".join(out)


def _natural(header: list[str], rows: list[list[str]]) -> list[int]:
    """Each column's natural width: the cells of its widest line (heading included)."""
    return [max([_width(line) for r in rows for line in str(r[i]).split("\n")] + [_width(line) for line in header[i].split("\n")])
            for i in range(len(header))]


def _layout(header: list[str], rows: list[list[str]], width: int, *, drop: tuple[int, ...],
            prose: tuple[int, ...]) -> tuple[list[int], list[int], dict[int, int] | None]:
    """Which columns to show and how wide: (kept, dropped, widths), widths None when every column
    fits at its natural width (rich lays the table out as it always has).

    A column is never narrower than its widest number or unbreakable name (prose columns: at most
    PROSE_MIN), nor than the longest piece of its heading. When those do not fit, the columns in
    `drop` are left out in that order, then others from the right (never the first); the spare
    width goes to the columns that need the least more first, so most rows stay on one line.
    """
    n = len(header)
    natural = _natural(header, rows)

    def least(i: int) -> int:
        cells = max((_longest_word(r[i]) for r in rows), default=0)
        if i in prose:
            cells = min(cells, PROSE_MIN)
        heading = max((_width(piece) for line in header[i].split("\n") for piece, _ in _pieces(line, dots=True)), default=0)
        return max(cells, heading, 1)

    def room(keep: list[int]) -> int:
        # each column: one space of padding each side; one space between columns and at each edge
        return width - 3 * len(keep) - 1

    keep = list(range(n))
    if sum(natural[i] for i in keep) <= room(keep):
        return keep, [], None
    minimum = [least(i) for i in range(n)]
    order = [i for i in drop if 0 < i < n] + [i for i in reversed(range(1, n)) if i not in drop]
    dropped: list[int] = []
    for i in order:
        if sum(minimum[j] for j in keep) <= room(keep):
            break
        keep.remove(i)
        dropped.append(i)
    if sum(natural[i] for i in keep) <= room(keep):
        return keep, dropped, None
    return keep, dropped, _share(header, rows, keep, minimum, natural, room(keep))


def _share(header: list[str], rows: list[list[str]], keep: list[int], minimum: list[int], natural: list[int],
           room: int) -> dict[int, int]:
    """Widths from each column's minimum: the spare width goes, step by step, where it saves the most
    printed lines per cell of width (a line of a heading counts half a line of a row)."""
    widths = {i: minimum[i] for i in keep}
    spare = room - sum(widths.values())
    texts = {i: [(header[i], True)] + [(str(r[i]), False) for r in rows] for i in keep}
    sizes = {i: [max(_width(line) for line in text.split("\n")) for text, _ in texts[i]] for i in keep}
    memo: dict[tuple[int, int], int] = {}

    def lines(i: int, w: int) -> int:
        if (i, w) not in memo:
            # a row's extra line costs twice a heading's: fold headings before names
            memo[i, w] = sum((1 if heading else 2) * (text.count("\n") + 1 if size <= w else _wrap(text, w, dots=heading).count("\n") + 1)
                             for (text, heading), size in zip(texts[i], sizes[i]))
        return memo[i, w]

    while spare > 0:
        best = None
        for i in keep:
            now = lines(i, widths[i])
            reach = min(natural[i], widths[i] + spare)
            for w in sorted({s for s in sizes[i] if widths[i] < s <= reach} | ({reach} if reach > widths[i] else set())):
                ratio = (now - lines(i, w)) / (w - widths[i])
                if ratio > 0 and (best is None or ratio > best[0]):
                    best = (ratio, i, w)
        if best is None:
            break
        spare -= best[2] - widths[best[1]]
        widths[best[1]] = best[2]
    return widths


def _legacy_table(title: str, header: list[str], rows: list[list[str]], *, right_from: int, width: int | None,
                  drop: tuple[int, ...], prose: tuple[int, ...], lang: str):
    """The table as laid out before narrow terminals were handled here (rich's own column widths):
    kept wherever it still fits, so wide output stays byte for byte what it was."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    widths: dict[int, int] = {}

    def total_natural(keep: list[int]) -> int:
        return sum(max([len(str(r[j])) for r in rows] + [len(header[j])]) + 2 for j in keep) + len(keep) + 1

    def build(keep: list[int], dropped: list[int]):
        caption = None
        if dropped:
            from buildorbuy.render.i18n import t

            caption = t("table.not_shown", lang, items=t("list.sep", lang).join(header[i] for i in sorted(dropped)))
        # cells are data (field paths like `paths[API].x`, user-given names), never rich markup
        table = Table(title=escape(title), title_justify="left", box=box.SIMPLE_HEAVY, header_style="bold",
                      caption=escape(caption) if caption else None, caption_justify="left")
        for i in keep:
            numeric = i >= right_from
            widths[i] = least = _legacy_least(header, rows, i, numeric=numeric, prose=i in prose)
            squeeze = width is not None and numeric and total_natural(keep) > width
            table.add_column(escape(header[i]), justify="right" if numeric else "left", overflow="fold",
                             min_width=max(least, 1), width=least if squeeze else None)
        for row in rows:
            table.add_row(*(escape(row[i]) for i in keep))
        return table, keep

    keep, dropped = list(range(len(header))), []
    table = build(keep, dropped)
    if width is None:
        return table
    for i in drop:
        if sum(widths[j] + 2 for j in keep) + len(keep) + 1 <= width:
            break
        keep.remove(i)
        dropped.append(i)
        table = build(keep, dropped)
    return table


def _legacy_least(header: list[str], rows: list[list[str]], i: int, *, numeric: bool, prose: bool) -> int:
    """The legacy layout's minimum width of column `i` (a number column: characters of its longest cell)."""
    least = max((len(c) if numeric else _old_longest_word(c) for c in (str(r[i]) for r in rows)), default=0)
    if prose:
        least = min(least, PROSE_MIN)
    return max(least, _old_longest_word(header[i]))


def _legacy_fits(header: list[str], rows: list[list[str]], width: int, legacy_width: int | None, *, right_from: int,
                 prose: tuple[int, ...]) -> bool:
    """Does the legacy table show every column at its natural width within `width`?

    Then `_layout` keeps every column too, and rich lays the table out at those widths, breaking
    no cell: what `_laid_out_well` finds by measuring every cell again, known here from the widths.
    It holds when the natural widths fit, no column's legacy minimum exceeds its natural width (a
    number column's minimum counts the characters of a whole cell), the legacy layout fixes no
    column's width (its character-count estimate of the table fits `legacy_width`), and no text
    holds a line or paragraph separator (rich's measure splits lines there, `_natural` does not)
    or a backslash (rich's markup may take one as an escape, so the cell it draws is shorter).
    """
    n = len(header)
    natural = _natural(header, rows)
    if sum(natural) > width - 3 * n - 1:
        return False
    if any("\u2028" in text or "\u2029" in text or "\\" in text for text in (*header, *(str(c) for r in rows for c in r))):
        return False
    if any(max(_legacy_least(header, rows, i, numeric=i >= right_from, prose=i in prose), 1) > natural[i] for i in range(n)):
        return False
    return legacy_width is None or sum(
        max([len(str(r[j])) for r in rows] + [len(header[j])]) + 2 for j in range(n)) + n + 1 <= legacy_width


def _old_longest_word(text: str) -> int:
    return max((_width(word) for word in str(text).split()), default=0)


def _laid_out_well(table, keep: list[int], header: list[str], rows: list[list[str]], console, options, width: int,
                   prose: tuple[int, ...]) -> bool:
    """Does rich's own layout of `table` fit `width` and break no number or name (prose columns may
    fold words longer than PROSE_MIN)?"""
    from rich.text import Text

    widths = table._calculate_column_widths(console, options.update_width(width - table._extra_width))
    if sum(widths) + table._extra_width > width:
        return False
    for w, i in zip(widths, keep):
        w -= 2  # padding
        for text in [header[i]] + [str(r[i]) for r in rows]:
            if max((_width(line) for line in text.split("\n")), default=0) <= w:
                continue
            if i in prose:
                continue  # prose may fold anywhere past PROSE_MIN
            lines = [line.plain.strip() for line in Text(text).wrap(console, max(w, 1), overflow="fold")]
            pieces = [piece for line in text.split("\n") for piece, _ in _pieces(line, dots=text is header[i])]
            if not all(any(piece in line for line in lines) for piece in pieces):
                return False
    return True


class NarrowTable:
    """A table that fits the width it is printed at: see `rich_table`."""

    def __init__(self, title: str, header: list[str], rows: list[list[str]], *, right_from: int, width: int | None,
                 drop: tuple[int, ...], prose: tuple[int, ...], lang: str):
        from buildorbuy.render.escape import terminal

        self.title, self.lang, self.width = terminal(title), lang, width
        self.header = [terminal(h) for h in header]
        self.rows = [[terminal(c) for c in r] for r in rows]
        self.right_from, self.drop, self.prose = right_from, drop, prose
        self.shown: list[int] = []
        """The columns shown when it was last printed (the others are named in its caption)."""

    def build(self, width: int | None):
        from rich import box
        from rich.markup import escape
        from rich.table import Table

        n = len(self.header)
        right = [i >= self.right_from for i in range(n)]
        if width is None:
            keep, dropped, widths = list(range(n)), [], None
        else:
            keep, dropped, widths = _layout(self.header, self.rows, width, drop=self.drop, prose=self.prose)
        self.shown = keep
        caption = None
        named = [" ".join(self.header[i].split()) for i in sorted(dropped) if self.header[i].strip()]
        if named:  # a column without a heading is a bar drawn from the numbers beside it
            from buildorbuy.render.i18n import t

            caption = t("table.not_shown", self.lang, items=t("list.sep", self.lang).join(named))
        # cells are data (field paths like `paths[API].x`, user-given names), never rich markup
        table = Table(title=escape(self.title), title_justify="left", box=box.SIMPLE_HEAVY, header_style="bold",
                      caption=escape(caption) if caption else None, caption_justify="left")
        for i in keep:
            heading = self.header[i] if widths is None else _wrap(self.header[i], widths[i], dots=True)
            if widths is None:
                least = max((_width(c) if right[i] else _longest_word(c) for c in (r[i] for r in self.rows)), default=0)
                if i in self.prose:
                    least = min(least, PROSE_MIN)
                least = max(least, _longest_word(self.header[i]))
                table.add_column(escape(heading), justify="right" if right[i] else "left", overflow="fold", min_width=max(least, 1))
            else:
                table.add_column(escape(heading), justify="right" if right[i] else "left", overflow="fold", width=widths[i])
        for row in self.rows:
            table.add_row(*(escape(row[i] if widths is None else _wrap(row[i], widths[i])) for i in keep))
        return table

    def __rich_console__(self, console, options):
        width = options.max_width if self.width is None else min(self.width, options.max_width)
        old, keep = _legacy_table(self.title, self.header, self.rows, right_from=self.right_from, width=self.width,
                                  drop=self.drop, prose=self.prose, lang=self.lang)
        if _legacy_fits(self.header, self.rows, width, self.width, right_from=self.right_from, prose=self.prose):
            self.shown = keep
            yield old
            return
        shown = len(_layout(self.header, self.rows, width, drop=self.drop, prose=self.prose)[0])
        if len(keep) >= shown and _laid_out_well(old, keep, self.header, self.rows, console, options, width, self.prose):
            self.shown = keep
            yield old
        else:
            table = self.build(width)
            yield table


def rich_table(title: str, header: list[str], rows: list[list[str]], *, right_from: int = 1, width: int | None = None,
               drop: tuple[int, ...] = (), prose: tuple[int, ...] = (), lang: str = "en") -> NarrowTable:
    """A table for the terminal; columns from `right_from` on are right-aligned.

    It is laid out for the width it is printed at (or `width`): when every column fits at its
    natural width it is rich's usual table; otherwise no column is narrower than its widest number
    or its longest unbreakable name (names fold between words only, never inside a word or number;
    prose columns may fold long words below PROSE_MIN), and when even that does not fit the columns
    in `drop` are left out in that order, then others from the right, and the caption names them.
    """
    return NarrowTable(title, header, rows, right_from=right_from, width=width, drop=drop, prose=prose, lang=lang)


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
"""Control characters (terminal escapes, newlines) shown as `\\xNN` instead of reaching the terminal."""

LONG_TABLE_ROWS = 100
"""Tables with more rows than this are printed as plain aligned text (see `plain_table`)."""


def plain_table(title: str, header: list[str], rows: list[list[str]], *, right_from: int = 99,
                right: Iterable[int] | None = None, drop: tuple[int, ...] = (), width: int | None = None,
                lang: str = "en") -> str:
    """Aligned plain text for long listings: one line per row, columns separated by two spaces.

    rich lays out every cell of every row (measure, wrap, pad), about 6 ms per row of a
    2,000-row catalog; a listing that long is read with a pager or grep, so it is printed as
    fixed columns instead, laid out like the other tables (title, blank line, heading, rule, rows;
    numbers right-aligned: the columns in `right`, else those from `right_from` on) but with no
    wrapping and no box. Widths count terminal cells (a Chinese character takes two). With `width`,
    the columns in `drop` are left out, in that order, until the lines fit, and a last line names them.
    """
    from rich.cells import cell_len

    cells = [[str(c).translate(_CONTROL) for c in header], *([str(c).translate(_CONTROL) for c in row] for row in rows)]
    n = len(header)
    widths = [max(cell_len(row[i]) for row in cells) for i in range(n)]
    at_right = set(range(right_from, n)) if right is None else set(right)
    keep = list(range(n))
    for i in drop if width is not None else ():
        if sum(widths[j] + 2 for j in keep) - 2 <= width:
            break
        keep.remove(i)
    hidden = [" ".join(cells[0][i].split()) for i in range(n) if i not in keep]  # in column order, as rich tables name them

    def line(row: list[str]) -> str:
        return "  ".join((" " * (widths[i] - cell_len(row[i])) + row[i]) if i in at_right
                         else row[i] + " " * (widths[i] - cell_len(row[i])) for i in keep).rstrip()

    rule = "  ".join("-" * widths[i] for i in keep)
    out = [title, "", line(cells[0]), rule, *map(line, cells[1:])]
    if hidden:
        import textwrap

        from buildorbuy.render.i18n import t

        out += textwrap.wrap(t("table.not_shown", lang, items=t("list.sep", lang).join(hidden)), width or 80)
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    from buildorbuy.render.escape import markdown

    return markdown(text, cell=True)


_NUMERIC_CELL = re.compile(r"([≤≥<>≈~] ?)?[-+−±]?[$¥€£]?\d[\d,]*(\.\d+)?(e[-+]?\d+)? ?[kMBT%×x]?( ?[★✗*])*|[—–-]?")
"""A cell that reads as a number (`1,088,150 ✗`, `-0.25`, `97.5%`, `−94 %`, `≤ 13,644`, `8.03B`), or
empty / a dash."""


def markdown_table(header: list[str], rows: list[list[str]], *, right_from: int = 99) -> str:
    """A GitHub-flavoured Markdown table: columns whose every cell is a number right-aligned, text
    columns left-aligned (`right_from` is kept for callers; the cells decide)."""
    def numeric(i: int) -> bool:
        cells = [str(r[i]).strip() for r in rows]
        return any(c.strip("—–-") for c in cells) and all(_NUMERIC_CELL.fullmatch(c) for c in cells)

    align = ["---:" if numeric(i) else ":---" for i in range(len(header))]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def text_console(*, color: bool, width: int | None = None, default_width: int = 120):
    """A rich Console that renders into a string: colour only when asked, `width` columns (default:
    the terminal's, at least 100; `default_width` when there is no terminal). Without colour (piped,
    or written to a file), lines end at their last character (no padding spaces)."""
    import shutil


    if width is None:
        columns = shutil.get_terminal_size((0, 0)).columns
        width = max(columns, 40) if columns else default_width
    return _safe_console_class()(file=io.StringIO() if color else _PlainText(), force_terminal=color, no_color=not color,
                                 width=width, color_system="standard" if color else None, highlight=False, emoji=False)


class _PlainText(io.StringIO):
    """The text of a console without colour (piped, or written to a file): rich pads every cell to
    its column's width, so lines would end in spaces; here each line ends at its last character."""

    def getvalue(self) -> str:
        return "\n".join(line.rstrip(" ") for line in super().getvalue().split("\n"))


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
