from pathlib import Path

import pytest

from sim.analysis.design import design_table
from sim.analysis.experiment import load_experiment
from sim.analysis.points import check_points, point_model

EXPERIMENTS = sorted((Path(__file__).resolve().parents[2] / "experiments").glob("*.yaml"))
NAMES = [path.stem for path in EXPERIMENTS]


def test_the_issue_asks_for_these_experiments():
    assert {"smoke", "morris-screening", "sobol-leading", "capacity-grid"} <= set(NAMES)


@pytest.mark.parametrize("path", EXPERIMENTS, ids=NAMES)
def test_every_shipped_experiment_loads(path):
    experiment = load_experiment(path)
    assert experiment.scenario is not None and Path(experiment.scenario).is_file()


def test_the_smoke_experiment_is_small():
    experiment = load_experiment(EXPERIMENTS[NAMES.index("smoke")])
    assert len(design_table(experiment)) * experiment.replications <= 64


def test_the_capacity_grid_is_two_parameters_for_a_heat_map():
    experiment = load_experiment(EXPERIMENTS[NAMES.index("capacity-grid")])
    assert experiment.design.method == "grid" and len(experiment.parameters) == 2
    assert "target.assessment_2_weeks.share_within" in experiment.kpis
    check_points(point_model(experiment), design_table(experiment), experiment.origin)


@pytest.mark.slow
@pytest.mark.parametrize("path", EXPERIMENTS, ids=NAMES)
def test_every_design_point_of_every_shipped_experiment_is_a_valid_scenario(path):
    experiment = load_experiment(path)
    check_points(point_model(experiment), design_table(experiment), experiment.origin)
