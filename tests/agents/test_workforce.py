"""The drawn workforce matches the scenario's shares, and its team/organisation structure is
consistent (every worker in one team, every team in one organisation of one sector)."""

import numpy as np
import pytest
from agent_support import baseline_with

from sim.streams import stream
from sim.workforce import (
    MALE,
    MINORITY_ETHNIC,
    RACISM_AFFECTED,
    build_population,
    sector_counts,
)

N = 200_000


@pytest.fixture(scope="module")
def scenario():
    return baseline_with(workforce={"size": N})


@pytest.fixture(scope="module")
def population(scenario):
    return build_population(scenario, stream(7, "workforce"))


def binomial_tolerance(p: float, n: int) -> float:
    """Five standard errors of a share estimated from n Bernoulli(p) draws."""
    return 5.0 * np.sqrt(p * (1.0 - p) / max(n, 1)) + 1e-12


def test_sector_sizes_are_the_shares_of_the_workforce(scenario, population):
    shares = np.array([s.share for s in scenario.workforce.sectors.values()])
    counts = np.bincount(population.sector, minlength=shares.size)
    assert counts.sum() == N
    np.testing.assert_allclose(counts / N, shares, atol=1.0 / N)


def test_sector_counts_rounding_is_exact():
    counts = sector_counts(10, np.array([1 / 3, 1 / 3, 1 / 3]))
    assert counts.sum() == 10 and counts.max() - counts.min() <= 1


def test_staff_groups_minority_ethnic_and_sex_follow_each_sector(scenario, population):
    for code, sector in enumerate(scenario.workforce.sectors.values()):
        members = population.sector == code
        n = int(members.sum())
        me = population.minority_ethnic[members].mean()
        male = population.male[members].mean()
        assert abs(me - sector.minority_ethnic_share) < binomial_tolerance(
            sector.minority_ethnic_share, n
        )
        assert abs(male - sector.male_share) < binomial_tolerance(sector.male_share, n)
        groups = population.staff_group[members]
        assert np.all(population.staff_group_sector[groups] == code)
        for name, share in sector.staff_group_shares.items():
            index = population.staff_group_names.index(name)
            observed = np.mean(groups == index)
            assert abs(observed - share) < binomial_tolerance(share, n), name


def test_personal_traits_follow_the_workforce_shares(scenario, population):
    w = scenario.workforce
    for values, share in (
        (population.stigma, w.stigma_share),
        (population.role_belief, w.role_belief_share),
        (population.confidentiality_concern, w.confidentiality_concern_share),
        (population.persistent_high, scenario.distress.persistent_high_share),
    ):
        assert abs(values.mean() - share) < binomial_tolerance(share, N)
    me = population.minority_ethnic
    assert not np.any(population.racism_affected & ~me), "racism-affected are minority-ethnic"
    affected = population.racism_affected[me].mean()
    assert abs(affected - w.racism_affected_share) < binomial_tolerance(
        w.racism_affected_share, int(me.sum())
    )
    flags = population.flags
    assert np.array_equal((flags & MINORITY_ETHNIC) != 0, me)
    assert np.array_equal((flags & MALE) != 0, population.male)
    assert np.array_equal((flags & RACISM_AFFECTED) != 0, population.racism_affected)


def test_distress_baselines_are_the_persistent_high_mixture(scenario, population):
    d = scenario.distress
    high = population.baseline[population.persistent_high]
    low = population.baseline[~population.persistent_high]
    assert abs(high.mean() - d.high_baseline_mean) < 0.02
    assert abs(low.mean() - d.low_baseline_mean) < 0.02
    assert abs(low.std() - d.baseline_sd) < 0.02


def test_teams_and_organisations_are_consistent(scenario, population):
    p = population
    # CSR membership: team t's members are exactly the workers whose team is t.
    sizes = np.diff(p.team_start)
    assert p.team_start[0] == 0 and p.team_start[-1] == N
    assert np.array_equal(np.bincount(p.team, minlength=p.n_teams), sizes)
    assert np.array_equal(p.team[p.team_members], np.repeat(np.arange(p.n_teams), sizes))
    assert sizes.min() >= 1
    assert abs(sizes.mean() - scenario.workforce.team_size_mean) < 0.5
    # Each team in one organisation, each organisation in one sector.
    assert np.array_equal(p.team_organisation[p.team], p.organisation)
    assert np.array_equal(p.organisation_sector[p.organisation], p.sector)
    expected_orgs = sum(s.organisations for s in scenario.workforce.sectors.values())
    assert p.n_organisations == expected_orgs
    w = scenario.workforce
    for values, share in (
        (p.team_supportive, w.supportive_manager_share),
        (p.negative_culture, w.negative_culture_share),
        (p.own_support_offer, w.own_support_offer_share),
    ):
        assert abs(values.mean() - share) < binomial_tolerance(share, values.size)


def test_raising_a_share_only_adds_members():
    """Common random numbers: the same seed with a higher share keeps every earlier member."""
    low = build_population(baseline_with(workforce={"size": 5000}), stream(3, "workforce"))
    supportive = baseline_with(workforce={"size": 5000, "supportive_manager_share": 0.9})
    high = build_population(supportive, stream(3, "workforce"))
    assert high.team_supportive.sum() > low.team_supportive.sum()
    assert np.all(high.team_supportive[low.team_supportive])
    assert np.array_equal(low.baseline, high.baseline)


def test_same_seed_same_population_different_seed_different():
    scenario = baseline_with(workforce={"size": 3000})
    a = build_population(scenario, stream(1, "workforce"))
    b = build_population(scenario, stream(1, "workforce"))
    c = build_population(scenario, stream(2, "workforce"))
    assert np.array_equal(a.baseline, b.baseline) and np.array_equal(a.team, b.team)
    assert not np.array_equal(a.baseline, c.baseline)
