"""buildorbuy: build, fine-tune or buy an LLM? An honest cost model over time.

Public API (imported lazily so the CLI starts fast):
`load_scenario`, `scenario_from_dict`, `compare`, `evaluate`, the sensitivity analyses
`sweep`, `tornado`, `breakeven`, and the Monte Carlo `simulate` (each returns a result object
with numpy arrays and `.to_dict()`), `when` (the best start month), `diff` and `build_report`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_scenario": "buildorbuy.scenario.loading",
    "scenario_from_dict": "buildorbuy.scenario.loading",
    "Scenario": "buildorbuy.scenario.models",
    "compare": "buildorbuy.analysis.compare",
    "compile_plan": "buildorbuy.engine.plan",
    "evaluate": "buildorbuy.api",
    "simulate": "buildorbuy.analysis.montecarlo",
    "sweep": "buildorbuy.analysis.sweep",
    "tornado": "buildorbuy.analysis.tornado",
    "breakeven": "buildorbuy.analysis.breakeven",
    "SweepResult": "buildorbuy.analysis.sweep",
    "TornadoResult": "buildorbuy.analysis.tornado",
    "BreakevenResult": "buildorbuy.analysis.breakeven",
    "field_bounds": "buildorbuy.scenario.fields",
    "AnalysisError": "buildorbuy.errors",
    "diff": "buildorbuy.analysis.diff",
    "when": "buildorbuy.analysis.when",
    "WhenResult": "buildorbuy.analysis.when",
    "build_report": "buildorbuy.render.report",
    "BuildOrBuyError": "buildorbuy.errors",
    "ScenarioError": "buildorbuy.errors",
    "CatalogError": "buildorbuy.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'buildorbuy' has no attribute {name!r}")
