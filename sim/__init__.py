"""hubsim: demand, capacity and waiting lists for staff mental-health and wellbeing hubs.

The Python API mirrors the command line::

    from sim import load_scenario, run, run_replications, variant

    scenario = load_scenario("scenarios/baseline.yaml")
    busier = variant(scenario, {"workforce.size": 20_000})  # validated like a file
    first = run(scenario, seed=1)                 # one replication -> Run
    runs = run_replications(scenario, 10, seed=1)  # replications 0..9
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "load_scenario": "sim.scenario",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "variant": "sim.scenario",
    "run": "sim.runner",
    "run_replications": "sim.runner",
    "Run": "sim.runner",
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> object:
    # Exports load on first use, so `import sim` (and `hubsim validate`) stays light.
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
