"""MSER-5 and the replication algorithm of Hoad, Robinson and Davies (2010)."""

import math

import numpy as np
import pytest
from scipy.special import stdtrit

from sim.planning.replications import (
    Guidance,
    mser5,
    relative_half_width,
    replications_needed,
    sequential,
)


def test_mser5_cuts_an_initial_transient():
    rng = np.random.default_rng(3)
    transient = 20 * np.exp(-np.arange(200) / 40)  # settles after about 200 observations
    series = np.concatenate([transient, np.zeros(1800)]) + rng.normal(0, 1, 2000)
    cut = mser5(series)
    assert cut % 5 == 0
    assert 100 <= cut <= 300


def test_mser5_keeps_a_stationary_series_whole():
    rng = np.random.default_rng(4)
    assert mser5(rng.normal(5, 1, 1000)) <= 50
    assert mser5([1.0, 2.0, 3.0]) == 0


def test_relative_half_width_is_the_student_t_interval_over_the_mean():
    values = [9.0, 11.0, 10.5, 9.5]
    sd = np.std(values, ddof=1)
    expected = stdtrit(3, 0.975) * sd / 2 / 10.0
    assert relative_half_width(values) == pytest.approx(expected)
    assert relative_half_width([5.0]) == math.inf
    assert relative_half_width([0.0, 0.0, 0.0]) == 0.0


def test_replications_needed_waits_for_the_look_ahead():
    rng = np.random.default_rng(5)
    values = rng.normal(100, 10, 200)
    n = replications_needed(values, precision=0.05)
    widths = [relative_half_width(values[:k]) for k in range(1, 201)]
    assert n is not None and n >= 3
    assert widths[n - 1] <= 0.05
    assert all(w <= 0.05 for w in widths[n : n + 5])  # the look-ahead holds
    # The first n that reached the precision but failed the look-ahead is not the answer.
    assert all(
        widths[k - 1] > 0.05 or any(w > 0.05 for w in widths[k : k + 5]) for k in range(3, n)
    )
    # Too few replications to check the look-ahead: no answer yet.
    assert replications_needed(values[: n + 2], precision=0.05) is None


def test_sequential_stops_once_the_precision_holds():
    rng = np.random.default_rng(6)
    values = rng.normal(50, 5, 500)
    asked: list[range] = []

    def results(replications):
        asked.append(replications)
        for r in reversed(replications):  # any order of arrival
            yield r, {"x": values[r]}

    guidance = Guidance(0.02, 0.95, ["x"])
    got = dict(
        sequential(results, lambda kpis: kpis, guidance, first=8, step=2, max_replications=500)
    )
    expected = replications_needed(values, precision=0.02)
    assert guidance.chosen == expected
    assert guidance.run == len(got) == max(r.stop for r in asked)
    assert guidance.run - 2 < expected + 5 <= guidance.run  # stopped at the first round after


def test_sequential_gives_up_at_the_maximum():
    guidance = Guidance(0.001, 0.95, ["x"])
    rng = np.random.default_rng(7)
    got = list(
        sequential(
            lambda reps: ((r, {"x": rng.normal(1, 1)}) for r in reps),
            lambda kpis: kpis,
            guidance,
            first=5,
            step=5,
            max_replications=20,
        )
    )
    assert len(got) == 20 and guidance.chosen is None
    assert "did not reach" in guidance.describe()
