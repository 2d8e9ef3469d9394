"""Versions printed with every output, so a figure can be reproduced."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def genai_prices_version() -> str | None:
    """The installed genai-prices version (the API price database), or None if absent."""
    try:
        return version("genai-prices")
    except PackageNotFoundError:
        return None
