"""Scenario layer: the file format's models and loading.

The names below are loaded on first use, so importing a light submodule (`scenario.types`, which
`estimate` uses to read `70B`) does not build the scenario models.
"""

__all__ = ["MONTH_HOURS", "Scenario", "load_scenario", "scenario_from_dict"]


def __getattr__(name: str):
    if name in ("load_scenario", "scenario_from_dict"):
        from buildorbuy.scenario import loading

        return getattr(loading, name)
    if name in ("MONTH_HOURS", "Scenario"):
        from buildorbuy.scenario import models

        return getattr(models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
