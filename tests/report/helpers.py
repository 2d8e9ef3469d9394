"""Shared checks for report tests: PNG header size, pixel variance, Markdown table shape."""

from __future__ import annotations

import re
import struct
from pathlib import Path


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_variance(path: Path) -> float:
    from matplotlib.image import imread

    return float(imread(str(path)).var())


def split_row(line: str) -> list[str]:
    """Cells of a Markdown table row; `\\|` is a literal pipe inside a cell."""
    inner = line.strip()
    assert inner.startswith("|") and inner.endswith("|"), line
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner[1:-1])]


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every table in a Markdown text as a list of rows (header first, the alignment row dropped)."""
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(split_row(line))
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    for table in tables:
        assert len(table) >= 2 and all(re.fullmatch(r":?-{3,}:?", c) for c in table[1]), table[:2]
        del table[1]
    return tables
