"""The declared KPIs: each one's unit, possible values, meaning, direction and clock, once.

Summaries, charts and the report look a KPI column up here (`kpi_spec`) instead of guessing
from words in its name, and docs/kpis.md is rendered from the same table (`kpi_markdown`;
regenerate with ``./dev python -m sim.kpis > docs/kpis.md``). A KPI that `sim.metrics`
produces but that is not declared here is an error, not a silent default.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Literal

from pydantic import TypeAdapter, ValidationError

from sim.periods import split_period
from sim.scenario.base import Name
from sim.scenario.model import WHOLE_PERIOD

Per = Literal["run", "stage", "target", "group"]
Clock = Literal["from referral", "from joining the stage"]

COLUMNS: dict[Per, str] = {
    "run": "{key}",
    "stage": "{stage}.{key}",
    "target": "target.{target}.{key}",
    "group": "{key}.{group_type}.{group}",
}
"""How a KPI column is named: its key and the names of what it is about (a stage, a target,
or a group type and group), joined by dots. Scenario names never hold a dot
(`sim.scenario.base.Name`: lower-case letters, digits and underscores), so a column splits
back into its parts by structure alone, whatever words a stage's name contains."""

DAYS_PER_YEAR = 365.25
SHARE = "share"
DAYS = "days"
PER_MONTH = "referrals per month"
PEOPLE = "people"


@dataclass(frozen=True)
class Kpi:
    """The declaration of one KPI (or of one KPI per stage, target or group).

    Attributes
    ----------
    key
        The KPI's own part of the column name (see `COLUMNS`).
    unit
        What one unit of its value is.
    low, high
        The values it can take (`high` may be infinite); confidence intervals are clipped
        to them.
    description
        One line; `{stage}`, `{target}`, `{group_type}` and `{group}` are filled in with the
        names the column holds.
    higher_is_better
        True or False where one direction is the hub's aim; None where neither is by itself
        (demand, uptake and utilisation are read against need and capacity).
    clock
        For time-based KPIs, when the clock starts; None for the others.
    per
        What one column of it is about: the whole run, a stage (hub stage or external
        service), a target, or a group of keyworkers.
    """

    key: str
    unit: str
    low: float
    high: float
    description: str
    higher_is_better: bool | None
    clock: Clock | None = None
    per: Per = "run"

    @property
    def column(self) -> str:
        """The pattern of its column names, e.g. ``{stage}.wait_mean_days``."""
        return COLUMNS[self.per].replace("{key}", self.key)


@dataclass(frozen=True)
class ResolvedKpi:
    """A concrete KPI column with its declaration.

    Attributes
    ----------
    name
        The column, e.g. ``shared_care.wait_mean_days``.
    kpi
        Its declaration (unit, range, direction, clock).
    subject
        The names the column holds, e.g. ``{"stage": "shared_care"}`` (empty for a run KPI).
    description
        The declaration's description with those names filled in.
    """

    name: str
    kpi: Kpi
    subject: dict[str, str] = field(hash=False)
    description: str


_STAGE_WAIT = (
    "of hub referrals who joined {stage} in the measured window and started service there, "
    "from joining its queue to starting"
)
_FROM_STAGE: Clock = "from joining the stage"

KPIS: tuple[Kpi, ...] = (
    Kpi(
        key="referrals_per_month",
        unit=PER_MONTH,
        low=0.0,
        high=math.inf,
        description="Hub referrals arriving in the measured window, per month of 365.25/12 days.",
        higher_is_better=None,
    ),
    Kpi(
        key="discharged_at_closure",
        unit=PEOPLE,
        low=0.0,
        high=math.inf,
        description="People waiting for a hub stage who were discharged (left the pathway) "
        "when it closed, in the window: the cost of a closure that a mean wait hides.",
        higher_is_better=False,
    ),
    Kpi(
        key="transferred_at_closure",
        unit=PEOPLE,
        low=0.0,
        high=math.inf,
        description="People waiting for a hub stage who were transferred to another stage or "
        "service when it closed, in the window.",
        higher_is_better=False,
    ),
    Kpi(
        key="discharged_at_closure",
        unit=PEOPLE,
        low=0.0,
        high=math.inf,
        description="People waiting for {stage} (all sources) discharged when it closed, in "
        "the window.",
        higher_is_better=False,
        per="stage",
    ),
    Kpi(
        key="transferred_at_closure",
        unit=PEOPLE,
        low=0.0,
        high=math.inf,
        description="People waiting for {stage} (all sources) transferred elsewhere when it "
        "closed, in the window.",
        higher_is_better=False,
        per="stage",
    ),
    Kpi(
        key="wait_mean_days",
        unit=DAYS,
        low=0.0,
        high=math.inf,
        description=f"Mean wait {_STAGE_WAIT}.",
        higher_is_better=False,
        clock=_FROM_STAGE,
        per="stage",
    ),
    Kpi(
        key="wait_median_days",
        unit=DAYS,
        low=0.0,
        high=math.inf,
        description=f"Median wait {_STAGE_WAIT}.",
        higher_is_better=False,
        clock=_FROM_STAGE,
        per="stage",
    ),
    Kpi(
        key="wait_p90_days",
        unit=DAYS,
        low=0.0,
        high=math.inf,
        description=f"90th percentile of the wait {_STAGE_WAIT}.",
        higher_is_better=False,
        clock=_FROM_STAGE,
        per="stage",
    ),
    Kpi(
        key="dropout_share",
        unit=SHARE,
        low=0.0,
        high=1.0,
        description="Share of hub referrals who joined {stage} in the measured window, and "
        "whose wait there is over, that dropped out while waiting.",
        higher_is_better=False,
        per="stage",
    ),
    Kpi(
        key="utilisation",
        unit="busy server-days per server-day",
        low=0.0,
        high=math.inf,
        description="Busy server-time at {stage} over its servers on open days; servers "
        "are counted at each day's end, so it can exceed 1 after a capacity cut while the "
        "retiring servers finish their clients.",
        higher_is_better=None,
        per="stage",
    ),
    Kpi(
        key="share_within",
        unit=SHARE,
        low=0.0,
        high=1.0,
        description="Of hub referrals referred in the measured window who joined the stage "
        "of target {target}, the share that started it within the target's days of "
        "referral; those who left unserved count as late, those still waiting for less "
        "are left out.",
        higher_is_better=True,
        clock="from referral",
        per="target",
    ),
    Kpi(
        key="agents.prevalence_mean",
        unit=SHARE,
        low=0.0,
        high=1.0,
        description="Mean daily share of keyworkers in probable need.",
        higher_is_better=False,
    ),
    Kpi(
        key="agents.unmet_need_mean",
        unit="keyworkers (daily mean)",
        low=0.0,
        high=math.inf,
        description="Unmet need: keyworkers in need and not served on a day, averaged over "
        "the days: in need outside the pathway (not referred, or not yet) plus those "
        "referred and still waiting at the hub or an external service.",
        higher_is_better=False,
    ),
    Kpi(
        key="agents.unmet_need_share",
        unit=SHARE,
        low=0.0,
        high=1.0,
        description="Unmet need as a share of need: person-days of unmet need (as in "
        "agents.unmet_need_mean) over person-days in need.",
        higher_is_better=False,
    ),
    Kpi(
        key="agents.aware_share_mean",
        unit=SHARE,
        low=0.0,
        high=1.0,
        description="Mean daily share of keyworkers aware of the hub.",
        higher_is_better=True,
    ),
    Kpi(
        key="agents.annual_uptake_share",
        unit="referrals per worker per year",
        low=0.0,
        high=math.inf,
        description="Referrals per keyworker per year (a worker referred twice counts twice).",
        higher_is_better=None,
    ),
    Kpi(
        key="agents.absence_days_per_worker_year",
        unit="days per worker per year",
        low=0.0,
        high=DAYS_PER_YEAR,
        description="Sickness-absence days per keyworker per year.",
        higher_is_better=False,
    ),
    Kpi(
        key="agents.referrals_self_per_month",
        unit=PER_MONTH,
        low=0.0,
        high=math.inf,
        description="Self-referrals by keyworkers per month.",
        higher_is_better=None,
    ),
    Kpi(
        key="agents.referrals_manager_per_month",
        unit=PER_MONTH,
        low=0.0,
        high=math.inf,
        description="Referrals of keyworkers by their line managers per month.",
        higher_is_better=None,
    ),
    Kpi(
        key="agents.referrals_outreach_per_month",
        unit=PER_MONTH,
        low=0.0,
        high=math.inf,
        description="Referrals of keyworkers after outreach visits to their teams, per month.",
        higher_is_better=None,
    ),
    Kpi(
        key="agents.referrals_per_month",
        unit=PER_MONTH,
        low=0.0,
        high=math.inf,
        description="All referrals of keyworkers to the hub per month, those who never "
        "engage included (referrals_per_month counts only those reaching the pathway).",
        higher_is_better=None,
    ),
    *(
        Kpi(
            key=f"agents.{key}_share",
            unit="share of referrals",
            low=0.0,
            high=1.0,
            description=f"Share of referrals in the measured window that {what}.",
            higher_is_better=better,
        )
        for key, what, better in (
            ("never_engaged", "never engaged (no first contact)", False),
            ("dropped_out", "left a queue unseen and disengaged", False),
            ("recovered_waiting", "left a queue unseen having recovered while waiting", None),
            ("went_elsewhere", "left a queue unseen for support elsewhere", None),
            ("escalated_crisis", "left a queue unseen by escalating to crisis services", False),
        )
    ),
    *(
        Kpi(
            key=f"agents.needs_met_{key}_share",
            unit="share of finished treatment",
            low=0.0,
            high=1.0,
            description=f"Of treatment episodes (in-house or external) finished in the "
            f"measured window, the share with needs {key.replace('_', ' ')} met.",
            higher_is_better=better,
        )
        for key, better in (("fully", True), ("partly", None))
    ),
    Kpi(
        key="rerouted_per_month",
        unit="clients per month",
        low=0.0,
        high=math.inf,
        description="Hub referrals sent to in-house therapy instead of the external service "
        "by the adaptive rule, per month.",
        higher_is_better=None,
    ),
    Kpi(
        key="uptake_per_1000_in_need_year",
        unit="referrals per 1,000 person-years in need",
        low=0.0,
        high=math.inf,
        description="Referrals of keyworkers with {group_type} = {group} per 1,000 "
        "person-years they spent in probable need.",
        higher_is_better=None,
        per="group",
    ),
)
"""Every KPI `sim.metrics` produces; agent KPIs (`agents.*`, uptake by group) exist only in
runs with agents. All are statistics over the measured window (after the warm-up)."""

_NAME = TypeAdapter(Name)


def _is_name(text: str) -> bool:
    try:
        _NAME.validate_python(text)
    except ValidationError:
        return False
    return True


def _subject(kpi: Kpi, name: str) -> dict[str, str] | None:
    """The names that `name` holds where `kpi`'s column pattern has placeholders, or None
    when `name` is not one of its columns."""
    pattern, parts = kpi.column.split("."), name.split(".")
    if len(parts) != len(pattern):
        return None
    subject = {}
    for expected, part in zip(pattern, parts, strict=True):
        if expected.startswith("{"):
            if not _is_name(part):
                return None
            subject[expected.strip("{}")] = part
        elif part != expected:
            return None
    return subject


def kpi_spec(name: str) -> ResolvedKpi:
    """The declaration of a KPI column, with the description filled in for its subject.

    Parameters
    ----------
    name
        A KPI column (as in kpis.csv), e.g. ``shared_care.wait_mean_days`` or
        ``uptake_per_1000_in_need_year.sector.nhs``.

    Raises
    ------
    KeyError
        If no declaration in `KPIS` has this column (the message names the closest).
    ValueError
        If more than one does: a fault in `KPIS` (the tests rule it out for any names).
    """
    period, base = split_period(name)
    if period != WHOLE_PERIOD:
        if not _is_period(period):
            raise KeyError(
                f"{name!r} is not a declared KPI: {period!r} is not a period (a calendar year "
                "or a name of outputs.periods)"
            )
        resolved = kpi_spec(base)
        subject = {"period": period, **resolved.subject}
        return ResolvedKpi(name, resolved.kpi, subject, resolved.description)
    matches = [(kpi, subject) for kpi in KPIS if (subject := _subject(kpi, name)) is not None]
    if not matches:
        close = difflib.get_close_matches(name, [kpi.column for kpi in KPIS], n=2, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise KeyError(
            f"{name!r} is not a declared KPI: every KPI needs a declaration in "
            f"sim/kpis.py (KPIS), listed in docs/kpis.md{hint}"
        )
    if len(matches) > 1:
        columns = ", ".join(kpi.column for kpi, _ in matches)
        raise ValueError(f"{name!r} matches more than one KPI declaration: {columns}")
    [(kpi, subject)] = matches
    return ResolvedKpi(name, kpi, subject, kpi.description.format(**subject))


def _is_period(text: str) -> bool:
    """A calendar year (`2022`) or a period name."""
    return (len(text) == 4 and text.isdigit()) or _is_name(text)


def _range(kpi: Kpi) -> str:
    if math.isinf(kpi.high):
        return f"≥ {kpi.low:g}"
    return f"{kpi.low:g} to {kpi.high:g}"


_DIRECTION = {True: "higher", False: "lower", None: "neither"}


def kpi_markdown() -> str:
    """docs/kpis.md: an introduction and one table row per declared KPI."""
    header = ("column", "unit", "range", "better", "clock", "description")
    rows = [
        (
            f"`{kpi.column.replace('{', '<').replace('}', '>')}`",
            kpi.unit,
            _range(kpi),
            _DIRECTION[kpi.higher_is_better],
            kpi.clock or "",
            kpi.description.replace("{", "`<").replace("}", ">`"),
        )
        for kpi in KPIS
    ]
    # Six plain columns: a join is enough (pandas' to_markdown would add a dependency).
    table = [header, ("---",) * len(header), *rows]
    lines = "\n".join("| " + " | ".join(row) + " |" for row in table)
    return f"""# KPIs

<!-- Generated from sim/kpis.py (KPIS); do not edit by hand. Regenerate with:
     ./dev python -m sim.kpis > docs/kpis.md -->

Every KPI in `kpis.csv` and `summary.csv` is declared once, in `sim/kpis.py`, with its unit,
the values it can take, whether higher or lower is better, and, for times, when its clock
starts. `summary.csv` carries each KPI's `unit` and `description`, and its 95% confidence
interval is clipped to the declared range (a few replications of a short wait would
otherwise give a negative lower limit).

All KPIs are statistics over the measured window, after the warm-up. In a column name
`<stage>` is a hub stage or an external service, `<target>` a target of the scenario, and
`<group_type>.<group>` a group of keyworkers (`all.all`, `sector.<sector>`,
`staff_group.<staff group>`, `minority_ethnic.yes`/`no`, `racism_affected.yes`/`no`,
`sex.female`/`male`); `agents.*` and uptake by group exist only in runs with agents.

Two clocks: a stage's waits run **from joining that stage's queue** (the wait at a second
stage starts when the first stage's service ends), while a target's share runs **from
referral** (the client's arrival at the hub), so it includes the waits and services of the
stages before the target's.

Periods: every KPI but uptake by group is also reported for each calendar year with measured
days (part-years included) and each named period of `outputs.periods`, under the column
`period.<period>.<column>` in `kpis/` and `sim.run_kpis` (e.g. `period.2022.referrals_per_month`,
`period.after_cut.assessment.wait_p90_days`) and as a `period` column in `kpis.csv` and
`summary.csv` (`all` is the whole measured window). A period's statistics are over the
referrals, joinings and days inside it; outcomes are followed to the end of the run.

{lines}
"""


if __name__ == "__main__":
    print(kpi_markdown(), end="")
