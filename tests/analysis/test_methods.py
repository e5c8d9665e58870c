"""Each design's indices and charts, on the Sobol G function where the answer is known."""

import numpy as np
import pytest

from sim.analysis.charts import analysis_charts
from sim.analysis.design import design_table
from sim.analysis.experiment import Experiment
from sim.analysis.indices import analyse
from sim.analysis.known_functions import SOBOL_G_A
from sim.analysis.sweep import sweep
from sim.execution import SerialExecutor


def _g(design, high=1.0, replications=1):
    return Experiment.model_validate(
        {
            "name": "g",
            "function": "sobol_g",
            "parameters": {"x1": {"low": 0.0, "high": high}, "x2": {"low": 0.0, "high": high}},
            "design": design,
            "replications": replications,
            "seed": 2,
            "kpis": ["y"],
        }
    )


def _analysis(experiment):
    runs = sweep(experiment, executor=SerialExecutor())
    return analyse(experiment, design_table(experiment), runs)


def _index(analysis, index):
    rows = analysis.indices[analysis.indices["index"] == index]
    return rows.set_index("parameter")["value"]


def test_one_at_a_time_gives_the_change_from_the_middle_point():
    # G's factors at x = 0, 0.5, 1 are (2 + a) / (1 + a), a / (1 + a), (2 + a) / (1 + a):
    # with a = 0, 1 the middle point is 0 x 0.5 = 0; x1 alone at 0 gives 2 x 0.5 = 1, x2
    # alone at 0 gives 0 x 1.5 = 0.
    analysis = _analysis(_g({"method": "oat"}))
    assert _index(analysis, "effect_low").to_dict() == {"x1": 1.0, "x2": 0.0}
    assert _index(analysis, "effect_high").to_dict() == {"x1": 1.0, "x2": 0.0}
    charts = analysis_charts(_g({"method": "oat"}), analysis)
    assert set(charts) == {"tornado_y", "against_y"}


def test_a_grid_gives_the_exact_first_order_shares_of_the_factorial():
    analysis = _analysis(_g({"method": "grid", "levels": 3}))
    a = np.array(SOBOL_G_A[:2])
    factors = [np.array([2 + ai, ai, 2 + ai]) / (1 + ai) for ai in a]
    y = np.outer(factors[0], factors[1])  # y[i, j] at x1 level i, x2 level j
    expected = [np.var(y.mean(axis=1)) / np.var(y), np.var(y.mean(axis=0)) / np.var(y)]
    assert np.allclose(_index(analysis, "S1").loc[["x1", "x2"]], expected)
    charts = analysis_charts(_g({"method": "grid", "levels": 3}), analysis)
    assert set(charts) == {"heat_map_y", "against_y"}


def test_a_latin_hypercube_gives_rank_correlations_with_intervals():
    # On [0, 0.5] each factor of G falls as x grows: rank correlations are negative, and
    # x1 (a = 0) matters more than x2 (a = 1).
    analysis = _analysis(_g({"method": "latin", "samples": 200}, high=0.5))
    rows = analysis.indices.set_index("parameter")
    assert rows.loc["x1", "value"] < rows.loc["x2", "value"] < 0
    assert (rows["conf_low"] < rows["value"]).all() and (rows["value"] < rows["conf_high"]).all()


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_morris_and_sobol_draw_indices_and_convergence(method):
    samples = 16 if method == "sobol" else 8
    experiment = _g({"method": method, "samples": samples})
    charts = analysis_charts(experiment, _analysis(experiment))
    assert set(charts) == {f"{method}_y", "convergence_y", "against_y"}
    [ax] = [ax for ax in charts[f"{method}_y"].axes if ax.get_title()]
    assert "y" in ax.get_title()


def test_a_kpi_without_values_at_some_points_is_skipped_with_a_warning():
    experiment = _g({"method": "latin", "samples": 10})
    runs = sweep(experiment, executor=SerialExecutor())
    runs.loc[runs["point"] == 3, "y"] = np.nan
    analysis = analyse(experiment, design_table(experiment), runs)
    assert analysis.indices.empty
    assert any("no value at 1 of 10 design points" in note for note in analysis.warnings)
