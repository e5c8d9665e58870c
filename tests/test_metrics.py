import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.metrics import confidence_summary, kpi_range


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


def test_one_replication_gives_no_interval_and_nans_are_dropped():
    """One replication says nothing of the spread: the interval is unknown, not zero."""
    summary = confidence_summary(pd.DataFrame({"x": [3.0], "y": [np.nan]})).set_index("kpi")
    assert summary.loc["x", "mean"] == 3.0
    assert np.isnan(summary.loc["x", ["sd", "ci_low", "ci_high"]].astype(float)).all()
    assert summary.loc["y", "replications"] == 0


def test_interval_is_clipped_to_the_values_the_kpi_can_take():
    """Two replications of a short wait or a share near 1 give a t-interval past the
    possible values; the summary stops it at 0 (waits, counts) and at 1 (shares)."""
    kpis = pd.DataFrame(
        {
            "screening.wait_mean_days": [0.1, 0.6],
            "target.first.share_within": [0.92, 0.99],
            "assessment.utilisation": [0.2, 0.9],
        }
    )
    summary = confidence_summary(kpis).set_index("kpi")
    assert summary.loc["screening.wait_mean_days", "ci_low"] == 0.0
    assert summary.loc["screening.wait_mean_days", "ci_high"] > 0.6
    assert summary.loc["target.first.share_within", "ci_high"] == 1.0
    assert summary.loc["target.first.share_within", "ci_low"] < 0.92
    assert summary.loc["assessment.utilisation", ["ci_low", "ci_high"]].tolist() == [0.0, 1.0]
    assert kpi_range("uptake_per_1000_in_need_year.all.all") == (0.0, np.inf)
    assert kpi_range("agents.prevalence_mean") == (0.0, 1.0)
