"""The scenario: schema, YAML loading with file:line errors, `extends`, and variants."""

from sim.scenario.loading import load_scenario
from sim.scenario.model import Scenario
from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.variant import variant

__all__ = ["Problem", "Scenario", "ScenarioError", "load_scenario", "variant"]
