"""Run records -> KPIs, and KPIs across replications -> means with 95% confidence intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95


def confidence_summary(kpis: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Mean and Student-t confidence interval of each KPI across replications.

    Parameters
    ----------
    kpis
        One row per replication, one column per KPI (other non-numeric columns ignored).

    Returns
    -------
    DataFrame
        One row per KPI: kpi, mean, sd, ci_low, ci_high, replications. With one replication
        (or a constant KPI) the interval collapses to the mean.
    """
    rows = []
    for name in kpis.select_dtypes("number").columns:
        if name == "replication":
            continue
        values = kpis[name].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        n = len(values)
        mean = float(values.mean()) if n else float("nan")
        sd = float(values.std(ddof=1)) if n > 1 else 0.0
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)) if n > 1 else 0.0
        rows.append(
            {
                "kpi": name,
                "mean": mean,
                "sd": sd,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "replications": n,
            }
        )
    return pd.DataFrame(rows, columns=["kpi", "mean", "sd", "ci_low", "ci_high", "replications"])
