"""Sensitivity indices of a stochastic model: SALib on replication means, with the noise.

Each KPI is analysed on its mean over the replications of each design point. Because the
model is stochastic, an index has two uncertainties, reported side by side:

- sampling of the design (SALib's bootstrap over design points: `conf_low`, `conf_high`);
- replication noise: the indices recomputed on means of replications resampled with
  replacement, the same draw of replications for every point so that common random numbers
  are kept (`noise_sd`, `noise_low`, `noise_high`).

Per KPI, the noise table gives the share of the variance of the point means that is
replication noise (mean within-point variance / replications, over the variance between
points): near 0 the parameters drive the KPI, near 1 the indices describe noise. Indices per
method: Morris mu, mu* and sigma (Morris 1991; Campolongo et al. 2007); Sobol S1, ST (and
S2) with Saltelli's and Jansen's estimators (Saltelli et al. 2010); eFAST S1, ST (Saltelli
et al. 1999); for a Latin hypercube, Spearman's rank correlation; for a grid, exact
first-order shares Var(E[Y | x_i]) / Var(Y) of the factorial; one at a time, the change in the
KPI from the middle point at each parameter's lowest and highest level (a tornado).

A convergence table repeats Morris and Sobol indices on the first 1/8, 1/4, 1/2 and all of
the sample (prefixes of a Saltelli sample or of the trajectories are designs in their own
right). Warnings flag negative or unstable Sobol indices, unconverged indices and KPIs where
noise dominates.
"""

from __future__ import annotations

import warnings as python_warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.design import POINT, UNIT_PREFIX, design_factors, salib_problem
from sim.analysis.experiment import Experiment

INDEX_COLUMNS = [
    "kpi",
    "parameter",
    "index",
    "value",
    "conf_low",
    "conf_high",
    "noise_sd",
    "noise_low",
    "noise_high",
]
UNSTABLE_HALF_WIDTH = 0.1
"""A Sobol or eFAST index whose confidence half-width is above this is flagged unstable."""
CONVERGED_CHANGE = 0.05
"""An index that moves more than this (Sobol) or this share of the largest mu* (Morris)
between half and all of the sample is flagged as not converged."""
_BOOTSTRAP_STREAM = 0xB007


@dataclass(frozen=True)
class Analysis:
    """The analysis of one sweep: tidy tables, and warnings in words."""

    indices: pd.DataFrame
    """One row per KPI, parameter (or group) and index: value, CI, replication noise."""
    noise: pd.DataFrame
    """One row per KPI: variance between point means, noise variance, noise share."""
    convergence: pd.DataFrame
    """One row per KPI, parameter, index and sample size (Morris and Sobol)."""
    means: pd.DataFrame
    """One row per design point: parameter values and each KPI's mean and sd over
    replications (what the KPI-against-parameter and heat-map charts draw)."""
    warnings: tuple[str, ...] = field(default=())

    def write(self, folder: Path) -> list[Path]:
        """Write every table as CSV and Parquet, and the warnings, into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name in ("indices", "noise", "convergence", "means"):
            frame = getattr(self, name)
            for suffix, write in ((".csv", frame.to_csv), (".parquet", frame.to_parquet)):
                target = folder / f"{name}{suffix}"
                write(target, index=False)
                written.append(target)
        target = folder / "warnings.txt"
        target.write_text("".join(f"{line}\n" for line in self.warnings), encoding="utf-8")
        return [*written, target]


def _seed(experiment: Experiment, *key: int) -> int:
    state = np.random.SeedSequence([experiment.seed, _BOOTSTRAP_STREAM, *key])
    return int(state.generate_state(1)[0])


def _names(experiment: Experiment) -> list[str]:
    """What the indices are about: groups in order of first appearance, else parameters."""
    groups = experiment.groups
    return list(dict.fromkeys(groups)) if groups is not None else list(experiment.parameters)


def point_indices(
    experiment: Experiment,
    design: pd.DataFrame,
    y: np.ndarray,
    *,
    resamples: int,
    seed: int,
) -> pd.DataFrame:
    """The indices of one output `y` (one value per design point): columns parameter,
    index, value, conf_low, conf_high (NaN where the method gives no interval)."""
    method = experiment.design.method
    problem = salib_problem(experiment)
    unit = design[[UNIT_PREFIX + name for name in experiment.parameters]].to_numpy()
    level = experiment.analysis.confidence
    rows: list[tuple] = []
    with python_warnings.catch_warnings():
        python_warnings.simplefilter("ignore", RuntimeWarning)  # constant outputs: NaN indices
        # SALib says eFAST's bootstrap CIs are indicative only; the guide says so once.
        python_warnings.filterwarnings("ignore", "FAST confidence intervals", UserWarning)
        match method:
            case "morris":
                from SALib.analyze import morris

                result = morris.analyze(
                    problem,
                    unit,
                    y,
                    num_resamples=resamples,
                    conf_level=level,
                    num_levels=experiment.design.grid_levels,
                    seed=seed,
                )
                for i, name in enumerate(result["names"]):
                    star, half = result["mu_star"][i], result["mu_star_conf"][i]
                    rows += [
                        (name, "mu", result["mu"][i], np.nan, np.nan),
                        (name, "mu_star", star, star - half, star + half),
                        (name, "sigma", result["sigma"][i], np.nan, np.nan),
                    ]
            case "sobol" | "fast":
                from SALib.analyze import fast, sobol

                if method == "sobol":
                    result = sobol.analyze(
                        problem,
                        y,
                        calc_second_order=experiment.design.second_order,
                        num_resamples=resamples,
                        conf_level=level,
                        seed=seed,
                    )
                else:
                    result = fast.analyze(
                        problem,
                        y,
                        M=experiment.design.harmonics,
                        num_resamples=resamples,
                        conf_level=level,
                        seed=seed,
                    )
                names = _names(experiment)
                for index in ("S1", "ST"):
                    for i, name in enumerate(names):
                        value, half = result[index][i], result[f"{index}_conf"][i]
                        rows.append((name, index, value, value - half, value + half))
                if method == "sobol" and experiment.design.second_order:
                    for i, first in enumerate(names):
                        for j in range(i + 1, len(names)):
                            value, half = result["S2"][i, j], result["S2_conf"][i, j]
                            rows.append(
                                (f"{first}:{names[j]}", "S2", value, value - half, value + half)
                            )
            case "latin":
                from scipy import stats

                for name in experiment.parameters:
                    rho = stats.spearmanr(design[name], y).statistic
                    # Fisher's z: rho's CI for n points (Fieller, Hartley & Pearson 1957).
                    half = stats.norm.ppf(0.5 + level / 2) * 1.03 / np.sqrt(max(len(y) - 3, 1))
                    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
                    low, high = np.tanh(z - half), np.tanh(z + half)
                    rows.append((name, "spearman", rho, low, high))
            case "grid":
                total = np.var(y)
                for name in experiment.parameters:
                    main = pd.Series(y).groupby(design[name].to_numpy()).mean()
                    share = np.var(main.to_numpy()) / total if total > 0 else np.nan
                    rows.append((name, "S1", share, np.nan, np.nan))
            case "oat":
                centre = y[0]
                for column, name in enumerate(experiment.parameters):
                    moved = unit[:, column]
                    others = np.delete(unit, column, axis=1)
                    along = np.all(np.isclose(others, 0.5), axis=1) & ~np.isclose(moved, 0.5)
                    low = y[along & np.isclose(moved, moved[along].min())][0]
                    high = y[along & np.isclose(moved, moved[along].max())][0]
                    rows += [
                        (name, "effect_low", low - centre, np.nan, np.nan),
                        (name, "effect_high", high - centre, np.nan, np.nan),
                    ]
    return pd.DataFrame(rows, columns=["parameter", "index", "value", "conf_low", "conf_high"])


def _prefix_sizes(experiment: Experiment) -> list[int]:
    """Sample sizes of the convergence check (Morris and Sobol only)."""
    design = experiment.design
    if design.method not in ("morris", "sobol"):
        return []
    smallest = 2 if design.method == "morris" else 4
    sizes = [design.samples // part for part in (8, 4, 2) if design.samples // part >= smallest]
    return [*dict.fromkeys(sizes), design.samples] if sizes else []


def _rows_per_sample(experiment: Experiment) -> int:
    factors = design_factors(experiment)
    if experiment.design.method == "morris":
        return factors + 1
    return 2 * factors + 2 if experiment.design.second_order else factors + 2


def analyse(experiment: Experiment, design: pd.DataFrame, runs: pd.DataFrame) -> Analysis:
    """The analysis of a sweep's runs (`sim.sweep`'s table) on its design.

    Parameters
    ----------
    experiment
        The experiment the sweep ran.
    design
        Its design table (`sim.analysis.design.design_table`).
    runs
        One row per point x replication, with the experiment's KPI columns.
    """
    settings = experiment.analysis
    replications = experiment.replications
    points = len(design)
    tables, noise_rows, convergence, notes = [], [], [], []
    means = design.drop(columns=[c for c in design if c.startswith(UNIT_PREFIX)])
    for number, kpi in enumerate(experiment.kpis):
        if kpi not in runs:
            notes.append(f"{kpi}: not among the KPIs the runs gave; skipped")
            continue
        table = runs.pivot(index=POINT, columns="replication", values=kpi)
        table = table.reindex(index=range(points), columns=range(replications))
        y_all = table.to_numpy(dtype=float)
        with python_warnings.catch_warnings():
            python_warnings.simplefilter("ignore", RuntimeWarning)
            y = np.nanmean(y_all, axis=1)
            spread = (
                np.nanstd(y_all, axis=1, ddof=1) if replications > 1 else np.full(points, np.nan)
            )
        means[f"{kpi}.mean"], means[f"{kpi}.sd"] = y, spread
        if np.isnan(y).any():
            missing = int(np.isnan(y).sum())
            notes.append(
                f"{kpi}: no value at {missing} of {points} design points (e.g. no one started "
                "the stage); not analysed"
            )
            continue
        noise_rows.append(_noise(kpi, y, y_all, replications, settings.noise_warning_share, notes))
        seed = _seed(experiment, number)
        found = point_indices(experiment, design, y, resamples=settings.resamples, seed=seed)
        found = found.assign(noise_sd=np.nan, noise_low=np.nan, noise_high=np.nan)
        if replications > 1 and settings.replication_resamples:
            _add_replication_noise(experiment, design, y_all, found, seed)
        found.insert(0, "kpi", kpi)
        tables.append(found)
        convergence += _convergence(experiment, design, y, kpi, seed)
        notes += _index_warnings(experiment, kpi, found)
    indices = (
        pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=INDEX_COLUMNS)
    )
    converging = pd.DataFrame(
        convergence, columns=["kpi", "parameter", "index", "samples", "value"]
    )
    notes += _convergence_warnings(experiment, converging)
    noise = pd.DataFrame(
        noise_rows,
        columns=["kpi", "variance_between_points", "noise_variance_of_mean", "noise_share"],
    )
    return Analysis(indices[INDEX_COLUMNS], noise, converging, means, tuple(notes))


def _noise(
    kpi: str, y: np.ndarray, y_all: np.ndarray, replications: int, limit: float, notes: list
) -> tuple:
    between = float(np.var(y, ddof=1)) if len(y) > 1 else float("nan")
    if replications < 2:
        return kpi, between, float("nan"), float("nan")
    within = float(np.nanmean(np.nanvar(y_all, axis=1, ddof=1))) / replications
    share = min(1.0, within / between) if between > 0 else 1.0
    if share > limit:
        notes.append(
            f"{kpi}: replication noise is {share:.0%} of the variance between design points; "
            "the indices mostly describe noise: use more replications or wider ranges"
        )
    return kpi, between, within, share


def _add_replication_noise(
    experiment: Experiment, design: pd.DataFrame, y_all: np.ndarray, found: pd.DataFrame, seed: int
) -> None:
    """Fill `noise_*` with indices over means of resampled replications (in place)."""
    settings = experiment.analysis
    generator = np.random.default_rng(seed)
    replications = y_all.shape[1]
    draws = []
    for _ in range(settings.replication_resamples):
        # One draw of replications for every point: common random numbers stay common.
        chosen = generator.integers(0, replications, replications)
        with python_warnings.catch_warnings():
            python_warnings.simplefilter("ignore", RuntimeWarning)
            y = np.nanmean(y_all[:, chosen], axis=1)
        again = point_indices(experiment, design, y, resamples=10, seed=seed)
        draws.append(again["value"].to_numpy())
    values = np.array(draws)
    tail = (1 - settings.confidence) / 2
    found["noise_sd"] = np.nanstd(values, axis=0, ddof=1)
    found["noise_low"] = np.nanquantile(values, tail, axis=0)
    found["noise_high"] = np.nanquantile(values, 1 - tail, axis=0)


def _convergence(
    experiment: Experiment, design: pd.DataFrame, y: np.ndarray, kpi: str, seed: int
) -> list[tuple]:
    rows = []
    per_sample = (
        _rows_per_sample(experiment) if experiment.design.method in ("morris", "sobol") else 0
    )
    for size in _prefix_sizes(experiment):
        count = size * per_sample
        found = point_indices(experiment, design.iloc[:count], y[:count], resamples=10, seed=seed)
        found = found[found["index"].isin(["mu_star", "S1", "ST"])]
        rows += [(kpi, r.parameter, r.index, size, r.value) for r in found.itertuples()]
    return rows


def _index_warnings(experiment: Experiment, kpi: str, found: pd.DataFrame) -> list[str]:
    notes = []
    if experiment.design.method not in ("sobol", "fast"):
        return notes
    for row in found.itertuples():
        half = (row.conf_high - row.conf_low) / 2
        if row.conf_high < 0:
            notes.append(
                f"{kpi}: {row.index} of {row.parameter} is negative ({row.value:.3f}, CI up to "
                f"{row.conf_high:.3f}); the sample is too small: increase design.samples"
            )
        elif half > UNSTABLE_HALF_WIDTH:
            notes.append(
                f"{kpi}: {row.index} of {row.parameter} is unstable ({row.value:.3f} +/- "
                f"{half:.3f}); increase design.samples"
            )
    return notes


def _convergence_warnings(experiment: Experiment, convergence: pd.DataFrame) -> list[str]:
    if convergence.empty:
        return []
    notes = []
    full = experiment.design.samples
    for (kpi, index), rows in convergence.groupby(["kpi", "index"], sort=False):
        sizes = sorted(rows["samples"].unique())
        if len(sizes) < 2:
            continue
        last = rows[rows["samples"] == full].set_index("parameter")["value"]
        half = rows[rows["samples"] == sizes[-2]].set_index("parameter")["value"]
        change = (last - half).abs()
        scale = last.abs().max() if index == "mu_star" else 1.0
        limit = CONVERGED_CHANGE * scale
        moved = change[change > limit].index.tolist()
        if moved:
            notes.append(
                f"{kpi}: {index} not converged for {', '.join(moved)} (moved more than "
                f"{limit:.3g} from {sizes[-2]} to {full} samples); increase design.samples"
            )
    return notes


def analyse_sweep(path: str | Path) -> Analysis:
    """The analysis of a sweep folder (finished or `.partial` with every run stored)."""
    from sim.analysis.store import open_sweep

    store = open_sweep(path)
    experiment = Experiment.model_validate(store.manifest()["experiment"])
    return analyse(experiment, store.design(), store.runs())
