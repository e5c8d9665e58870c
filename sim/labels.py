"""Words for people: the scenario's and the KPIs' keys as a commissioning meeting reads them.

Charts and the report show "Sector: NHS" and "Assessment: 90th percentile wait", never
`sector.nhs` or `assessment.wait_p90_days`. Names a scenario invents (stages, periods,
staff groups) are turned into words by rule; the few fixed keys have their own labels.
"""

from __future__ import annotations

from sim.kpis import kpi_spec
from sim.periods import split_period

GROUP_TYPES = {
    "all": "All staff",
    "sector": "Sector",
    "staff_group": "Staff group",
    "minority_ethnic": "Ethnicity",
    "racism_affected": "Racism",
    "sex": "Sex",
}
"""The group types of the equity KPIs (`groups` table), in the order they are shown."""

_GROUPS = {
    ("all", "all"): "all staff",
    ("minority_ethnic", "yes"): "minority ethnic",
    ("minority_ethnic", "no"): "not minority ethnic",
    ("racism_affected", "yes"): "experienced racism",
    ("racism_affected", "no"): "did not",
}
_WORDS = {"nhs": "NHS", "gp": "GP", "iapt": "IAPT", "a_and_e": "A&E", "and": "&"}

_KPI_WORDS = {
    "referrals_per_month": "Referrals per month",
    "discharged_at_closure": "Discharged at a closure",
    "transferred_at_closure": "Transferred at a closure",
    "wait_mean_days": "mean wait (days)",
    "wait_median_days": "median wait (days)",
    "wait_p90_days": "90th percentile wait (days)",
    "dropout_share": "dropped out while waiting",
    "utilisation": "utilisation",
    "share_within": "share seen in time",
    "agents.prevalence_mean": "Keyworkers in need (share)",
    "agents.unmet_need_mean": "Unmet need (keyworkers a day)",
    "agents.unmet_need_share": "Unmet need (share of need)",
    "agents.aware_share_mean": "Aware of the hub (share)",
    "agents.annual_uptake_share": "Referrals per keyworker a year",
    "agents.absence_days_per_worker_year": "Absence days per keyworker a year",
    "agents.referrals_self_per_month": "Self-referrals per month",
    "agents.referrals_manager_per_month": "Manager referrals per month",
    "agents.referrals_outreach_per_month": "Outreach referrals per month",
    "uptake_per_1000_in_need_year": "Uptake per 1,000 in need a year",
}


def words(name: str) -> str:
    """A scenario name in words: `talking_therapies` -> "talking therapies", `nhs` -> "NHS"."""
    return " ".join(_WORDS.get(part, part) for part in name.split("_"))


def title(name: str) -> str:
    """`words(name)` with a capital first letter: "Talking therapies"."""
    text = words(name)
    return text[:1].upper() + text[1:]


def group_label(group_type: str, group: str) -> str:
    """E.g. "Sector: NHS", "Ethnicity: minority ethnic", "All staff"."""
    if group_type == "all":
        return GROUP_TYPES["all"]
    value = _GROUPS.get((group_type, group), words(group))
    return f"{GROUP_TYPES.get(group_type, title(group_type))}: {value}"


def kpi_label(name: str) -> str:
    """A KPI column in words, e.g. "Assessment: 90th percentile wait (days)", "Target
    assessment 2 weeks: share seen in time", with "(2022)" for a period KPI."""
    period, column = split_period(name)
    spec = kpi_spec(column)
    key, subject = spec.kpi.key, spec.subject
    what = _KPI_WORDS.get(key, words(key))
    if "stage" in subject:
        text = f"{title(subject['stage'])}: {what}"
    elif "target" in subject:
        text = f"Target {words(subject['target'])}: {what}"
    elif "group_type" in subject:
        text = f"{what}: {group_label(subject['group_type'], subject['group'])}"
    else:
        text = what
    return text if period == "all" else f"{text} ({words(period)})"
