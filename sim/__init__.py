"""hubsim: demand, capacity and waiting lists for staff mental-health and wellbeing hubs.

The Python API mirrors the command line::

    from sim import load_scenario, report, run, run_replications, variant

    scenario = load_scenario("scenarios/baseline.yaml")
    busier = variant(scenario, {"workforce.size": 20_000})  # validated like a file
    first = run(scenario, seed=1)                 # one replication -> Run
    runs = run_replications(scenario, 10, seed=1)  # replications 0..9
    kpis = run_kpis(scenario, seed=1, replication=3)  # one replication's KPIs only

    with make_executor() as executor:             # local processes, one per core
        for replication, kpis in replicate(run_kpis, scenario, 10, 1, executor):
            ...                                    # as each replication finishes

    results = load_results("results/baseline-20260101-120000")  # a results folder
    results.summary(), results.charts(), results.table("visits")

    plus_one = variant(scenario, {"hub.stages.assessment.capacity[0].wte": 4})
    compare(scenario, [plus_one], replications=10).table  # paired differences, 95% CIs
    capacity(scenario, stage="assessment", target="assessment_within_14_days >= 0.9")
    experiment = load_experiment("experiments/smoke.yaml")  # sensitivity analysis
    runs = sweep(experiment, workers=2, out="results/smoke")  # one row per point x replication
    analysis = analyse("results/smoke")           # tidy index tables (analysis.indices)
    report(results.path)  # report.html: the HTML commissioning report of the folder
    table, values = check(scenario, "scenarios/targets/baseline.yaml", 4)  # calibration
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
    "run_kpis": "sim.runner",
    "replicate": "sim.runner",
    "make_executor": "sim.execution",
    "Run": "sim.runner",
    "load_results": "sim.results:load",
    "compare": "sim.planning.compare",
    "capacity": "sim.planning.capacity",
    "load_experiment": "sim.analysis.experiment",
    "sweep": "sim.analysis.sweep",
    "analyse": "sim.analysis.indices:analyse_sweep",
    "write_report": "sim.report",
    "check": "sim.calibration.check",
    "load_targets": "sim.calibration.targets",
}
__all__ = [*_EXPORTS, "report", "__version__"]


def __getattr__(name: str) -> object:
    # Exports load on first use, so `import sim` (and `hubsim validate`) stays light.
    if name == "report":
        # The subpackage, which is callable: sim.report(DIR) writes DIR's HTML report.
        return import_module("sim.report")
    if name in _EXPORTS:
        module, _, attribute = _EXPORTS[name].partition(":")
        return getattr(import_module(module), attribute or name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
