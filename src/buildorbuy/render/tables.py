"""Table primitives shared by every renderer: rich tables for terminals, GitHub-flavoured Markdown."""

from __future__ import annotations


def rich_table(title: str, header: list[str], rows: list[list[str]], *, right_from: int = 1):
    """A rich Table; columns from `right_from` on are right-aligned (numbers)."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    # cells are data (field paths like `paths[API].x`, user-given names), never rich markup
    table = Table(title=escape(title), title_justify="left", box=box.SIMPLE_HEAVY, header_style="bold")
    for i, name in enumerate(header):
        table.add_column(escape(name), justify="right" if i >= right_from else "left", overflow="fold")
    for row in rows:
        table.add_row(*(escape(str(cell)) for cell in row))
    return table


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: list[str], rows: list[list[str]], *, right_from: int = 99) -> str:
    """A GitHub-flavoured Markdown table; numeric columns right-aligned."""
    align = ["---:" if i >= right_from else ":---" for i in range(len(header))]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
