"""The catchment's keyworkers as a struct of arrays: who they are and where they work.

`build_population` draws one entry per worker (sector, staff group, minority-ethnic flag,
sex, organisation, team, personal traits, personal distress baseline) plus team-level
(supportive line manager) and organisation-level (negative culture, own support offer)
arrays, from the scenario's shares and the "workforce" random stream.

Every Bernoulli attribute is drawn as ``uniform < share`` with one uniform per worker (or
team, or organisation) in a fixed order, so two scenarios that differ only in a share get the
same uniforms: raising a share only adds members (a monotone coupling, which makes seeded
comparisons of mechanisms precise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import Scenario

# Bits of `Population.flags` (one byte per worker: the kernels read one array, not six).
MINORITY_ETHNIC = np.uint8(1)
MALE = np.uint8(2)
RACISM_AFFECTED = np.uint8(4)
STIGMA = np.uint8(8)
ROLE_BELIEF = np.uint8(16)
CONFIDENTIALITY_CONCERN = np.uint8(32)
PERSISTENT_HIGH = np.uint8(64)


@dataclass(frozen=True)
class Population:
    """Workers, teams and organisations of one catchment (parallel numpy arrays).

    Workers are stored sorted by sector, organisation and team, so each team's members are a
    contiguous block (`team_start`); `team_members` is the CSR index of each team's members
    (here the identity, kept so that team processes never rely on the ordering).
    """

    sector_names: tuple[str, ...]
    """Sector names, in scenario order (the codes of `sector`)."""
    staff_group_names: tuple[str, ...]
    """Staff-group names, all sectors together (qualified "sector.group" only if two
    sectors use the same group name)."""
    staff_group_sector: np.ndarray
    """int8 [groups]: the sector of each staff group."""
    sector: np.ndarray
    """int8 [workers]: sector code."""
    staff_group: np.ndarray
    """int16 [workers]: staff-group code."""
    minority_ethnic: np.ndarray
    """bool [workers]: from a Black, Asian or minority ethnic group."""
    male: np.ndarray
    """bool [workers]: a man."""
    racism_affected: np.ndarray
    """bool [workers]: a minority-ethnic worker currently affected by racism at work."""
    stigma: np.ndarray
    """bool [workers]: holds stigmatising beliefs about mental-health help-seeking."""
    role_belief: np.ndarray
    """bool [workers]: believes their role means they should cope."""
    confidentiality_concern: np.ndarray
    """bool [workers]: fears the employer would learn they sought help."""
    persistent_high: np.ndarray
    """bool [workers]: in the persistently-high distress group."""
    baseline: np.ndarray
    """float64 [workers]: personal distress baseline (distress units), sector shift included."""
    organisation: np.ndarray
    """int32 [workers]: employing organisation."""
    team: np.ndarray
    """int32 [workers]: team (each team has one line manager)."""
    team_organisation: np.ndarray
    """int32 [teams]: the organisation of each team."""
    team_supportive: np.ndarray
    """bool [teams]: the line manager takes a positive interest in staff wellbeing."""
    team_start: np.ndarray
    """int64 [teams + 1]: CSR pointer; members of team t are team_members[start[t]:start[t+1]]."""
    team_members: np.ndarray
    """int64 [workers]: CSR member index."""
    organisation_sector: np.ndarray
    """int8 [organisations]: the sector of each organisation."""
    negative_culture: np.ndarray
    """bool [organisations]: negative workplace culture (low psychological safety)."""
    own_support_offer: np.ndarray
    """bool [organisations]: runs its own staff-support offer beside the hub."""

    @property
    def size(self) -> int:
        """Number of workers."""
        return int(self.sector.size)

    @property
    def n_teams(self) -> int:
        """Number of teams (= line managers)."""
        return int(self.team_supportive.size)

    @property
    def n_organisations(self) -> int:
        """Number of organisations."""
        return int(self.negative_culture.size)

    @property
    def flags(self) -> np.ndarray:
        """uint8 [workers]: the personal traits as bits (see the module constants)."""
        flags = np.zeros(self.size, np.uint8)
        for bit, values in (
            (MINORITY_ETHNIC, self.minority_ethnic),
            (MALE, self.male),
            (RACISM_AFFECTED, self.racism_affected),
            (STIGMA, self.stigma),
            (ROLE_BELIEF, self.role_belief),
            (CONFIDENTIALITY_CONCERN, self.confidentiality_concern),
            (PERSISTENT_HIGH, self.persistent_high),
        ):
            flags |= values.astype(np.uint8) * bit
        return flags


def sector_counts(size: int, shares: np.ndarray) -> np.ndarray:
    """Workers per sector: `size` split by `shares` with largest-remainder rounding.

    The split is exact rather than sampled: sector sizes are planning inputs, and fixing them
    removes a source of noise that carries no information.
    """
    raw = size * np.asarray(shares, float) / np.sum(shares)
    counts = np.floor(raw).astype(np.int64)
    short = size - int(counts.sum())
    counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


def _teams(org_sizes: np.ndarray, team_size_mean: float) -> tuple[np.ndarray, np.ndarray]:
    """Split each organisation into teams of near-equal size (mean about `team_size_mean`).

    Returns each team's organisation and size; an empty organisation has no team.
    """
    per_org = np.where(org_sizes > 0, np.maximum(1, np.rint(org_sizes / team_size_mean)), 0).astype(
        np.int64
    )
    team_org = np.repeat(np.arange(org_sizes.size), per_org)
    position = np.arange(team_org.size) - np.repeat(np.cumsum(per_org) - per_org, per_org)
    base, extra = np.divmod(org_sizes[team_org], per_org[team_org])
    return team_org, base + (position < extra)


def build_population(scenario: Scenario, rng: np.random.Generator) -> Population:
    """Draw the catchment's workers, teams and organisations.

    Parameters
    ----------
    scenario
        A scenario with a `workforce` and a `distress` section.
    rng
        The "workforce" stream (`sim.streams.stream(seed, "workforce", replication)`).

    Returns
    -------
    Population
        Workers sorted by sector, organisation and team.

    Notes
    -----
    Sector sizes are `workforce.size` split by the sector shares (exact). Within a sector,
    workers are spread over its organisations with equal probabilities (multinomial; an
    assumption, no size distribution is given), and each organisation is split into teams of
    near-equal size with mean `team_size_mean`. Staff group, minority-ethnic flag and sex
    follow the sector's shares; racism-affected is drawn among minority-ethnic workers only;
    stigma, role beliefs and confidentiality concern are independent of everything else (an
    assumption: no joint distribution was found, DF §3). Teams get a supportive manager and
    organisations a negative culture or their own offer with the workforce shares. The
    personal distress baseline is the persistent-high or low group mean (DF §3 'Persistent-
    high subgroup', S: 31%), plus the sector's shift, plus a normal spread `baseline_sd`.
    """
    workforce, distress = scenario.workforce, scenario.distress
    if workforce is None or distress is None:
        raise ValueError("the scenario has no workforce/distress sections (demand is not agents)")
    sectors = list(workforce.sectors.values())
    sector_names = tuple(workforce.sectors)
    counts = sector_counts(workforce.size, np.array([s.share for s in sectors]))

    # Organisations and teams, sector by sector.
    org_sizes = [
        rng.multinomial(n, np.full(s.organisations, 1.0 / s.organisations))
        for n, s in zip(counts, sectors, strict=True)
    ]
    organisation_sector = np.repeat(
        np.arange(len(sectors), dtype=np.int8), [s.organisations for s in sectors]
    )
    team_org, team_size = _teams(np.concatenate(org_sizes), workforce.team_size_mean)
    n = workforce.size
    n_teams, n_orgs = team_org.size, organisation_sector.size
    team = np.repeat(np.arange(n_teams, dtype=np.int32), team_size)
    organisation = team_org[team].astype(np.int32)
    sector = organisation_sector[organisation]
    team_start = np.zeros(n_teams + 1, np.int64)
    np.cumsum(team_size, out=team_start[1:])

    team_supportive = rng.random(n_teams) < workforce.supportive_manager_share
    negative_culture = rng.random(n_orgs) < workforce.negative_culture_share
    own_support_offer = rng.random(n_orgs) < workforce.own_support_offer_share

    # Per-worker attributes: the sector's shares, looked up per worker.
    me_share = np.array([s.minority_ethnic_share for s in sectors])[sector]
    male_share = np.array([s.male_share for s in sectors])[sector]
    group_u = rng.random(n)
    minority_ethnic = rng.random(n) < me_share
    male = rng.random(n) < male_share
    racism_affected = minority_ethnic & (rng.random(n) < workforce.racism_affected_share)
    stigma = rng.random(n) < workforce.stigma_share
    role_belief = rng.random(n) < workforce.role_belief_share
    confidentiality = rng.random(n) < workforce.confidentiality_concern_share
    persistent_high = rng.random(n) < distress.persistent_high_share
    spread = rng.standard_normal(n)

    names: list[str] = []
    group_sector: list[int] = []
    staff_group = np.empty(n, np.int16)
    starts = np.concatenate([[0], np.cumsum(counts)])
    for code, s in enumerate(sectors):
        offset = len(names)
        names.extend(s.staff_group_shares)
        group_sector.extend([code] * len(s.staff_group_shares))
        cumulative = np.cumsum(list(s.staff_group_shares.values()))
        block = slice(starts[code], starts[code + 1])
        index = np.searchsorted(cumulative / cumulative[-1], group_u[block], side="right")
        staff_group[block] = offset + np.minimum(index, len(cumulative) - 1)
    if len(set(names)) < len(names):
        names = [
            f"{sector_names[code]}.{name}" if names.count(name) > 1 else name
            for name, code in zip(names, group_sector, strict=True)
        ]

    sector_shift = np.array([s.distress_shift for s in sectors])[sector]
    group_mean = np.where(persistent_high, distress.high_baseline_mean, distress.low_baseline_mean)
    baseline = group_mean + sector_shift + distress.baseline_sd * spread

    return Population(
        sector_names=sector_names,
        staff_group_names=tuple(names),
        staff_group_sector=np.array(group_sector, np.int8),
        sector=sector,
        staff_group=staff_group,
        minority_ethnic=minority_ethnic,
        male=male,
        racism_affected=racism_affected,
        stigma=stigma,
        role_belief=role_belief,
        confidentiality_concern=confidentiality,
        persistent_high=persistent_high,
        baseline=baseline,
        organisation=organisation,
        team=team,
        team_organisation=team_org.astype(np.int32),
        team_supportive=team_supportive,
        team_start=team_start,
        team_members=np.arange(n, dtype=np.int64),
        organisation_sector=organisation_sector,
        negative_culture=negative_culture,
        own_support_offer=own_support_offer,
    )
