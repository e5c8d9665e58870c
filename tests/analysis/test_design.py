import numpy as np
import pytest
from scipy import stats

from sim.analysis.design import POINT, UNIT_PREFIX, design_size, design_table, parameter_values
from sim.analysis.experiment import Experiment, Parameter

PARAMETERS = {
    "a": {"low": 0, "high": 10},
    "b": {"low": 1, "high": 4, "integer": True},
    "c": {"low": 0.01, "high": 1, "distribution": "log_uniform"},
}
DESIGNS = [
    {"method": "oat"},
    {"method": "oat", "levels": 4},
    {"method": "grid", "levels": 3},
    {"method": "latin", "samples": 17},
    {"method": "morris", "samples": 5},
    {"method": "sobol", "samples": 8},
    {"method": "sobol", "samples": 8, "second_order": True},
    {"method": "fast", "samples": 70},
]


def _experiment(design, parameters=PARAMETERS, **extra):
    return Experiment.model_validate(
        {
            "name": "t",
            "function": "sobol_g",
            "parameters": parameters,
            "design": design,
            "seed": 5,
            "kpis": ["y"],
            **extra,
        }
    )


@pytest.mark.parametrize("design", DESIGNS, ids=lambda d: "-".join(map(str, d.values())))
def test_every_design_has_its_size_and_stays_within_bounds(design):
    experiment = _experiment(design)
    table = design_table(experiment)
    assert len(table) == design_size(experiment)
    assert table[POINT].tolist() == list(range(len(table)))
    for name, spec in PARAMETERS.items():
        assert table[name].between(spec["low"], spec["high"]).all()
        assert table[UNIT_PREFIX + name].between(0, 1).all()
    assert table["b"].dtype == np.int64
    assert table.equals(design_table(experiment))  # the seed fixes the design
    other = design_table(_experiment(design, seed=6))
    if design["method"] in ("latin", "morris", "sobol", "fast"):
        assert not other.equals(table)


def test_one_at_a_time_moves_one_parameter_from_the_middle():
    table = design_table(_experiment({"method": "oat"}))
    unit = table[[UNIT_PREFIX + n for n in PARAMETERS]].to_numpy()
    assert np.allclose(unit[0], 0.5)
    moved = (~np.isclose(unit[1:], 0.5)).sum(axis=1)
    assert (moved == 1).all() and len(unit) == 1 + 2 * len(PARAMETERS)


def test_integers_are_equally_likely():
    parameter = Parameter(low=1, high=4, integer=True)
    values = parameter_values(parameter, (np.arange(4000) + 0.5) / 4000)
    assert np.bincount(values.astype(int))[1:].tolist() == [1000] * 4


@pytest.mark.parametrize(
    ("spec", "reference"),
    [
        ({"distribution": "triangular", "mode": 2.0}, stats.triang(0.2, loc=0, scale=10)),
        (
            {"distribution": "truncated_normal", "mean": 3.0, "sd": 2.0},
            stats.truncnorm(-1.5, 3.5, loc=3, scale=2),
        ),
    ],
)
def test_distributions_map_the_unit_interval_through_their_quantiles(spec, reference):
    parameter = Parameter(low=0, high=10, **spec)
    u = np.linspace(0.01, 0.99, 9)
    assert np.allclose(parameter_values(parameter, u), reference.ppf(u))


def test_groups_count_as_one_factor_in_morris_and_sobol():
    grouped = {**PARAMETERS, "a": {**PARAMETERS["a"], "group": "g"}}
    grouped["b"] = {**PARAMETERS["b"], "group": "g"}
    experiment = _experiment({"method": "sobol", "samples": 8}, grouped)
    assert experiment.groups == ["g", "g", "c"]
    assert design_size(experiment) == 8 * (2 + 2) == len(design_table(experiment))
