import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.metrics import confidence_summary


def t_half_width(values) -> float:
    """Half-width of the 95% Student-t interval of the mean (scipy.stats as the oracle)."""
    return stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / np.sqrt(len(values))


def test_interval_is_the_student_t_interval():
    values = np.array([10.0, 12.0, 11.0, 15.0, 9.0])
    kpis = pd.DataFrame({"replication": range(5), "screening.wait_mean_days": values})
    summary = confidence_summary(kpis)
    row = summary.set_index("kpi").loc["screening.wait_mean_days"]
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
        row = confidence_summary(pd.DataFrame({"referrals_per_month": sample})).iloc[0]
        covered += row["ci_low"] <= 5.0 <= row["ci_high"]
    assert 0.93 < covered / 2000 < 0.97


def test_one_replication_gives_no_interval_and_nans_are_dropped():
    """One replication says nothing of the spread: the interval is unknown, not zero."""
    kpis = pd.DataFrame({"referrals_per_month": [3.0], "agents.prevalence_mean": [np.nan]})
    summary = confidence_summary(kpis).set_index("kpi")
    assert summary.loc["referrals_per_month", "mean"] == 3.0
    spread = summary.loc["referrals_per_month", ["sd", "ci_low", "ci_high"]]
    assert np.isnan(spread.astype(float)).all()
    assert summary.loc["agents.prevalence_mean", "replications"] == 0


def test_interval_is_clipped_to_the_declared_range_of_the_kpi():
    """Two replications of a short wait or a share near 1 give a t-interval past the
    possible values; the summary stops it at the declared bounds: 0 for waits, 0 and 1 for
    shares, and no upper bound for utilisation (it exceeds 1 after a capacity cut)."""
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
    assert summary.loc["assessment.utilisation", "ci_low"] == 0.0
    assert summary.loc["assessment.utilisation", "ci_high"] > 1.0


def test_a_stage_named_shared_care_keeps_its_wait_interval_above_one_day():
    """The range comes from the declaration, not from words in the name: the wait at a
    stage called shared_care is a wait (at least 0, no upper bound), its dropout a share."""
    waits, dropouts = [0.5, 9.0], [0.9, 0.99]
    kpis = pd.DataFrame(
        {"shared_care.wait_mean_days": waits, "shared_care.dropout_share": dropouts}
    )
    summary = confidence_summary(kpis).set_index("kpi")
    wait = summary.loc["shared_care.wait_mean_days"]
    assert wait["ci_high"] == pytest.approx(np.mean(waits) + t_half_width(waits))
    assert wait["ci_high"] > 1.0
    assert wait["ci_low"] == 0.0  # the t-interval's lower limit is negative
    dropout = summary.loc["shared_care.dropout_share"]
    assert dropout["ci_high"] == 1.0
    assert dropout["ci_low"] == pytest.approx(np.mean(dropouts) - t_half_width(dropouts))


def test_summary_carries_each_kpis_unit_and_description_after_the_statistics():
    kpis = pd.DataFrame(
        {
            "replication": [0, 1],
            "shared_care.wait_p90_days": [4.0, 6.0],
            "uptake_per_1000_in_need_year.sector.nhs": [30.0, 40.0],
        }
    )
    summary = confidence_summary(kpis)
    assert summary.columns.tolist() == [
        "kpi",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "replications",
        "unit",
        "description",
    ]
    rows = summary.set_index("kpi")
    assert rows.loc["shared_care.wait_p90_days", "unit"] == "days"
    assert "shared_care" in rows.loc["shared_care.wait_p90_days", "description"]
    uptake = rows.loc["uptake_per_1000_in_need_year.sector.nhs"]
    assert uptake["unit"] == "referrals per 1,000 person-years in need"
    assert "sector = nhs" in uptake["description"]


def test_an_undeclared_kpi_is_an_error_not_a_guess():
    with pytest.raises(KeyError, match=r"'shared_care\.wait_days' is not a declared KPI"):
        confidence_summary(pd.DataFrame({"shared_care.wait_days": [1.0, 2.0]}))
