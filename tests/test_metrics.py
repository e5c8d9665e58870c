import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.metrics import confidence_summary


def test_interval_is_the_student_t_interval():
    values = np.array([10.0, 12.0, 11.0, 15.0, 9.0])
    summary = confidence_summary(pd.DataFrame({"replication": range(5), "wait": values}))
    row = summary.set_index("kpi").loc["wait"]
    half = stats.t.ppf(0.975, 4) * values.std(ddof=1) / np.sqrt(5)
    assert row["mean"] == pytest.approx(11.4)
    assert row["ci_low"] == pytest.approx(11.4 - half)
    assert row["ci_high"] == pytest.approx(11.4 + half)
    assert "replication" not in set(summary["kpi"])


def test_interval_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(3)
    covered = 0
    for _ in range(2000):
        sample = rng.normal(5.0, 2.0, size=8)
        row = confidence_summary(pd.DataFrame({"x": sample})).iloc[0]
        covered += row["ci_low"] <= 5.0 <= row["ci_high"]
    assert 0.93 < covered / 2000 < 0.97


def test_one_replication_gives_a_zero_width_interval_and_nans_are_dropped():
    summary = confidence_summary(pd.DataFrame({"x": [3.0], "y": [np.nan]})).set_index("kpi")
    assert summary.loc["x", "ci_low"] == summary.loc["x", "ci_high"] == 3.0
    assert summary.loc["y", "replications"] == 0
