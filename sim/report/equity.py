"""The report's equity table: uptake by group of keyworkers against all staff, with small
numbers suppressed.

Counts under `SMALL_NUMBER` (mean people per run, rounded) are shown as "<5", and so is
any rate worked out from such a count, so that a table shared outside the service cannot
single out a few people and does not invite reading noise as a difference (the usual rule
for NHS statistics on small groups).
"""

from __future__ import annotations

import math

import pandas as pd

from sim.labels import GROUP_TYPES, group_label
from sim.metrics import confidence_summary

SMALL_NUMBER = 5
SUPPRESSED = f"<{SMALL_NUMBER}"
UPTAKE = "uptake_per_1000_in_need_year"


def shown_count(value: float) -> str:
    """A count as the table shows it: whole, with thousands separators, or "<5"."""
    if not math.isfinite(value):
        return "–"
    count = round(value)
    return SUPPRESSED if count < SMALL_NUMBER else f"{count:,}"


def equity_table(groups: pd.DataFrame, kpis: pd.DataFrame) -> pd.DataFrame:
    """One row per group (all staff first, then the group types in `GROUP_TYPES` order).

    Parameters
    ----------
    groups
        The `groups` table: one row per replication and group (workers, referrals,
        person_days_in_need).
    kpis
        The replications' KPIs, for the uptake's confidence interval.

    Returns
    -------
    DataFrame
        `group` (in words), `workers`, `referrals` (mean per run), `uptake` (per 1,000
        person-years in need, with its 95% CI) and `relative` (uptake over all staff's),
        as text with small numbers suppressed.
    """
    means = groups.groupby(["group_type", "group"], sort=False)[["workers", "referrals"]].mean()
    columns = [c for c in kpis.columns if c.startswith(f"{UPTAKE}.")]
    uptake = confidence_summary(kpis[columns]).set_index("kpi")
    overall = uptake["mean"].get(f"{UPTAKE}.all.all", float("nan"))
    order = {group_type: i for i, group_type in enumerate(GROUP_TYPES)}
    rows = []
    for (group_type, group), counts in sorted(
        means.iterrows(), key=lambda item: order.get(item[0][0], len(order))
    ):
        small = min(round(counts["referrals"]), round(counts["workers"])) < SMALL_NUMBER
        key = f"{UPTAKE}.{group_type}.{group}"
        mean = uptake["mean"].get(key, float("nan"))
        if small or not math.isfinite(mean):
            rate = relative = SUPPRESSED if small else "–"
        else:
            low, high = uptake.loc[key, "ci_low"], uptake.loc[key, "ci_high"]
            rate = f"{mean:,.1f}" + (f" ({low:,.1f} to {high:,.1f})" if math.isfinite(low) else "")
            relative = f"{mean / overall:.2f}" if overall > 0 else "–"
        rows.append(
            {
                "group": group_label(group_type, group),
                "workers": shown_count(counts["workers"]),
                "referrals": shown_count(counts["referrals"]),
                "uptake": rate,
                "relative": relative,
            }
        )
    return pd.DataFrame(rows, columns=["group", "workers", "referrals", "uptake", "relative"])
