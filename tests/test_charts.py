"""Charts say what their intervals are."""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.charts import plot_uptake_by_group


def uptake(ci_low, ci_high):
    return pd.DataFrame(
        {
            "group_type": ["sex", "sex"],
            "group": ["female", "male"],
            "mean": [23.0, 17.0],
            "ci_low": ci_low,
            "ci_high": ci_high,
        }
    )


def test_uptake_chart_labels_its_intervals_or_their_absence():
    ax = Figure().subplots()
    plot_uptake_by_group(uptake([20.0, 15.0], [26.0, 19.0]), ax=ax)
    assert ax.get_xlabel().endswith("(95% CI)")
    ax = Figure().subplots()
    plot_uptake_by_group(uptake([np.nan, np.nan], [np.nan, np.nan]), ax=ax)
    assert "no CI" in ax.get_xlabel()
