"""The scenario: schema, YAML loading with file:line errors, and `extends`."""

from sim.scenario.loading import load_scenario
from sim.scenario.model import Scenario
from sim.scenario.problems import Problem, ScenarioError

__all__ = ["Problem", "Scenario", "ScenarioError", "load_scenario"]
