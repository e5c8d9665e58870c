"""The whole pipeline (design, sweep, store, analysis) against analytic indices."""

import math

import numpy as np
import pandas as pd
import pytest
from analysis_support import write

from sim.analysis.experiment import load_experiment
from sim.analysis.indices import analyse_sweep
from sim.analysis.known_functions import ishigami_indices, sobol_g_indices
from sim.analysis.sweep import sweep

PI = math.pi


def _experiment(tmp_path, function, parameters, design, noise_sd=0.0, replications=1):
    lines = "\n".join(f"  {n}: {{low: {lo!r}, high: {hi!r}}}" for n, (lo, hi) in parameters.items())
    text = (
        f"name: {function}\nfunction: {function}\nnoise_sd: {noise_sd}\nparameters:\n{lines}\n"
        f"design: {design}\nreplications: {replications}\nseed: 11\nkpis: [y]\n"
    )
    return load_experiment(write(tmp_path, text))


def _indices(tmp_path, experiment):
    sweep(experiment, workers=1, out=tmp_path / "sweep")
    analysis = analyse_sweep(tmp_path / "sweep")
    return analysis, analysis.indices.pivot(index="parameter", columns="index", values="value")


def test_sobol_gives_ishigamis_indices(tmp_path):
    experiment = _experiment(
        tmp_path,
        "ishigami",
        {f"x{i}": (-PI, PI) for i in (1, 2, 3)},
        "{method: sobol, samples: 2048}",
    )
    _, found = _indices(tmp_path, experiment)
    expected = ishigami_indices()
    assert np.allclose(found.loc[["x1", "x2", "x3"], "S1"], expected["S1"], atol=0.03)
    assert np.allclose(found.loc[["x1", "x2", "x3"], "ST"], expected["ST"], atol=0.03)


def test_efast_gives_sobol_g_indices(tmp_path):
    names = {f"x{i}": (0.0, 1.0) for i in range(1, 7)}
    experiment = _experiment(tmp_path, "sobol_g", names, "{method: fast, samples: 1000}")
    _, found = _indices(tmp_path, experiment)
    expected = sobol_g_indices(6)
    assert np.allclose(found.loc[list(names), "S1"], expected["S1"], atol=0.03)
    assert np.allclose(found.loc[list(names), "ST"], expected["ST"], atol=0.05)


def test_morris_ranks_sobol_g_inputs_by_importance(tmp_path):
    names = {f"x{i}": (0.0, 1.0) for i in range(1, 6)}
    experiment = _experiment(tmp_path, "sobol_g", names, "{method: morris, samples: 40}")
    _, found = _indices(tmp_path, experiment)
    # The G function's inputs matter less as a_i grows: 0, 1, 4.5, 9, 99.
    assert found["mu_star"].loc[list(names)].is_monotonic_decreasing


def test_noise_is_measured_and_resampling_replications_brackets_the_indices(tmp_path):
    params = {f"x{i}": (-PI, PI) for i in (1, 2, 3)}
    design = "{method: sobol, samples: 512}"
    (tmp_path / "q").mkdir()
    (tmp_path / "l").mkdir()
    quiet = _experiment(tmp_path / "q", "ishigami", params, design, 0.0, 4)
    loud = _experiment(tmp_path / "l", "ishigami", params, design, 12.0, 4)
    quiet_analysis, _ = _indices(tmp_path / "q", quiet)
    loud_analysis, _ = _indices(tmp_path / "l", loud)
    assert quiet_analysis.noise["noise_share"].iloc[0] == 0.0
    # Noise variance of a mean of 4: 144 / 4 = 36, against Var(y) = 13.8 plus that.
    share = loud_analysis.noise["noise_share"].iloc[0]
    assert share == pytest.approx(36 / (13.84 + 36), abs=0.08)
    assert any("replication noise is" in note for note in loud_analysis.warnings)
    loud_indices = loud_analysis.indices
    assert (loud_indices["noise_low"] <= loud_indices["value"] + 1e-9).all()
    assert (loud_indices["noise_sd"] > quiet_analysis.indices["noise_sd"]).all()


def test_convergence_uses_prefixes_of_the_sample(tmp_path):
    params = {f"x{i}": (-PI, PI) for i in (1, 2, 3)}
    experiment = _experiment(tmp_path, "ishigami", params, "{method: sobol, samples: 256}")
    analysis, found = _indices(tmp_path, experiment)
    convergence = analysis.convergence
    assert sorted(convergence["samples"].unique()) == [32, 64, 128, 256]
    last = convergence[convergence["samples"] == 256].pivot(
        index="parameter", columns="index", values="value"
    )
    pd.testing.assert_series_equal(last["S1"], found["S1"], check_names=False)
