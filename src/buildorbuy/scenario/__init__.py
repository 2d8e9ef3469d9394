"""Scenario layer: the file format's models and loading."""

from buildorbuy.scenario.loading import load_scenario, scenario_from_dict
from buildorbuy.scenario.models import MONTH_HOURS, Scenario

__all__ = ["MONTH_HOURS", "Scenario", "load_scenario", "scenario_from_dict"]
