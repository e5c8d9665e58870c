"""The periods a run's KPIs are reported for: the whole measured window, each calendar year
and each named period of `outputs.periods`, as windows of simulated days.

Whole-horizon means mix the funded months with those after a cut; per-period KPIs keep
them apart. A period's KPIs are the same statistics as the whole window's, over the events
(referrals, joinings, days) that fall inside it; outcomes are followed to the end of the
run, so a referral in March is counted as seen in time even if it started in April.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sim.scenario import Scenario
from sim.scenario.model import WHOLE_PERIOD

PERIOD_PREFIX = "period."
"""Per-period KPI keys are `period.<period>.<kpi>`, e.g. `period.2022.referrals_per_month`
or `period.after_cut.assessment.wait_p90_days`; whole-window KPIs keep their plain names."""


@dataclass(frozen=True)
class Window:
    """A span of simulated days, measured part only: `start <= day < end`.

    Attributes
    ----------
    name
        `all` (the whole measured window), a calendar year (`2022`) or a named period.
    start, end
        First day and the day after the last, as simulation day numbers.
    first_date, last_date
        The same span as calendar dates (both included).
    kind
        "whole", "year" or "named".
    """

    name: str
    start: int
    end: int
    first_date: date
    last_date: date
    kind: Literal["whole", "year", "named"]

    @property
    def days(self) -> int:
        """Days in the window."""
        return self.end - self.start


def whole_window(scenario: Scenario) -> Window:
    """The measured window: the days after the warm-up."""
    sim = scenario.simulation
    return _clipped(scenario, WHOLE_PERIOD, sim.start_date, sim.end_date, "whole")


def period_windows(scenario: Scenario) -> list[Window]:
    """Every calendar year with measured days (part-years included), then every named
    period in the scenario's order, each clipped to the measured window."""
    sim = scenario.simulation
    first = sim.start_date + timedelta(days=sim.warmup_days)
    years = [
        _clipped(scenario, str(year), date(year, 1, 1), date(year, 12, 31), "year")
        for year in range(first.year, sim.end_date.year + 1)
    ]
    named = [
        _clipped(scenario, name, start, end, "named")
        for name, (start, end) in scenario.outputs.periods.items()
    ]
    return [window for window in (*years, *named) if window.days > 0]


def _clipped(
    scenario: Scenario,
    name: str,
    first: date,
    last: date,
    kind: Literal["whole", "year", "named"],
) -> Window:
    sim = scenario.simulation
    start = max(sim.day(first), sim.warmup_days)
    end = max(min(sim.day(last) + 1, sim.horizon_days), start)
    return Window(
        name=name,
        start=start,
        end=end,
        first_date=sim.start_date + timedelta(days=start),
        last_date=sim.start_date + timedelta(days=end - 1),
        kind=kind,
    )


def period_key(period: str, kpi: str) -> str:
    """The KPI key of `kpi` in `period` (the inverse of `split_period`): `kpi` itself for
    the whole window (`all`), `period.<period>.<kpi>` otherwise."""
    return kpi if period == WHOLE_PERIOD else f"{PERIOD_PREFIX}{period}.{kpi}"


def split_period(key: str) -> tuple[str, str]:
    """`(period, kpi)` of a KPI key: `("all", key)` for a whole-window KPI."""
    if key.startswith(PERIOD_PREFIX):
        period, _, kpi = key.removeprefix(PERIOD_PREFIX).partition(".")
        if kpi:
            return period, kpi
    return WHOLE_PERIOD, key
