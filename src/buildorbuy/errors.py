"""The error hierarchy the core raises; the CLI turns each into one line and exit status 2."""

from __future__ import annotations


class BuildOrBuyError(Exception):
    """Base class: a problem with the user's input that we can explain in one line."""

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.source = source
        self.line = line
        self.others: list[BuildOrBuyError] = []
        """Further problems found with this one (validation reports them all)."""

    def one_line(self, *, mention_others: bool = True) -> str:
        """`file:LINE: field: message`, with the parts that are known (and how many more problems)."""
        prefix = ""
        if self.source:
            prefix = f"{self.source}:{self.line}: " if self.line else f"{self.source}: "
        field = f"{self.field}: " if self.field else ""
        more = len(self.others)
        tail = f" (+{more} more problem{'s' if more > 1 else ''}: `buildorbuy validate` lists them all)" if more and mention_others else ""
        return f"{prefix}{field}{self.message}{tail}".replace("\n", " ")


class ScenarioError(BuildOrBuyError):
    """The scenario file or an override is invalid."""


class CatalogError(BuildOrBuyError):
    """An unknown GPU, model or API name, or a catalog lookup that cannot be answered."""


class AnalysisError(BuildOrBuyError):
    """An analysis was asked for something it cannot do (empty range, unknown parameter…)."""


class OutputError(BuildOrBuyError):
    """An output file cannot be written."""


class MissingDependencyError(BuildOrBuyError):
    """An optional extra (e.g. matplotlib for `report`) is not installed."""


def install_hint(extra: str) -> str:
    """How to install an optional extra, both ways the package may have been installed: from a
    checkout (`.[extra]`; the name alone would be looked up on an index) or from an index."""
    return f"pip install '.[{extra}]' (from a checkout) or pip install 'buildorbuy[{extra}]' (from an index)"
