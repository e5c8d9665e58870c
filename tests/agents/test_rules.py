"""The scalar rules: each moves its output in the direction its evidence says, and the
random-number recycling keeps decisions independent with the right probabilities."""

import math

import numpy as np
import pytest
from agent_support import baseline_with

from sim.behaviour import behaviour_params
from sim.rules import (
    DISENGAGED,
    IN_NEED,
    RECOVERED,
    SIGNPOSTED,
    WELL,
    awareness_change_probability,
    distress_step,
    forget_probability,
    logistic,
    may_refer,
    outside_state,
    recycle,
    relieve,
    self_referral_log_odds,
    wave_shift,
)
from sim.workforce import CONFIDENTIALITY_CONCERN, MALE, RACISM_AFFECTED, ROLE_BELIEF, STIGMA

UNSUPPORTIVE_MANAGER_OR = 0.5
WORD_OF_MOUTH = 0.02


@pytest.fixture(scope="module")
def params():
    """Behaviour parameters with the values these tests rely on set here, not read from the
    calibrated baseline."""
    return behaviour_params(
        baseline_with(
            help_seeking={"unsupportive_manager_odds_ratio": UNSUPPORTIVE_MANAGER_OR},
            awareness={"word_of_mouth_share": WORD_OF_MOUTH},
        )
    )


def test_wave_ramps_up_to_its_peak_and_back():
    start, peak, end, shift = 10, 20, 40, 0.5
    values = [wave_shift(d, start, peak, end, shift) for d in range(0, 50)]
    assert values[9] == 0.0 and values[41] == 0.0
    assert values[10] > 0.0 and values[40] > 0.0  # first and last days have an effect
    assert values[20] == pytest.approx(shift)
    assert np.all(np.diff(values[10:21]) > 0) and np.all(np.diff(values[20:41]) < 0)


def test_distress_reverts_to_its_target():
    assert distress_step(2.0, 0.0, 0.1, 0.0, 0.0) == pytest.approx(1.8)
    assert distress_step(-1.0, 0.0, 0.1, 0.2, 1.0) == pytest.approx(-0.9 + 0.2)


def test_relief_brings_distress_below_threshold_and_lowers_the_baseline():
    distress, baseline = relieve(1.5, 1.0, 0.0, 0.5)
    assert distress == pytest.approx(-0.5) and baseline == pytest.approx(0.5)
    distress, _ = relieve(-1.0, 0.0, 0.0, 0.5)
    assert distress == pytest.approx(-1.5)


def test_each_barrier_lowers_the_log_odds_and_distress_raises_them(params):
    def x(gap=0.5, flags=0, supportive=True, culture=False, offer=False, wait=0.0, fit=0.0):
        return self_referral_log_odds(gap, flags, supportive, culture, offer, wait, fit, params)

    reference = x()
    assert x(gap=1.5) > reference
    assert x(supportive=False) < reference
    assert x(culture=True) < reference
    assert x(offer=True) < reference
    assert x(wait=4.0) < reference
    for flag in (STIGMA, ROLE_BELIEF, CONFIDENTIALITY_CONCERN, MALE):
        assert x(flags=int(flag)) < reference
    racism = int(RACISM_AFFECTED)
    assert x(flags=racism, fit=math.log(0.7)) < x(flags=racism, fit=0.0) == reference
    assert x(supportive=False) - reference == pytest.approx(math.log(UNSUPPORTIVE_MANAGER_OR))


def test_logistic_is_stable_and_correct():
    assert logistic(0.0) == 0.5
    assert logistic(800.0) == 1.0 and logistic(-800.0) == 0.0
    assert logistic(-9.0) == pytest.approx(1.0 / (1.0 + math.exp(9.0)))


def test_awareness_word_of_mouth_and_forgetting(params):
    wom = params.log1m_word_of_mouth
    p_forget = forget_probability(180.0)
    assert (1 - p_forget) ** 180 == pytest.approx(0.5)
    assert awareness_change_probability(True, True, 0.0, 0, wom, p_forget) == 0.0
    assert awareness_change_probability(True, False, 0.0, 0, wom, p_forget) == p_forget
    none = awareness_change_probability(False, False, 0.0, 0, wom, p_forget)
    one = awareness_change_probability(False, False, 0.0, 1, wom, p_forget)
    three = awareness_change_probability(False, False, 0.0, 3, wom, p_forget)
    assert none == 0.0 and 0.0 < one < three
    assert one == pytest.approx(WORD_OF_MOUTH)
    campaign = awareness_change_probability(False, False, 0.02, 1, wom, p_forget)
    assert campaign == pytest.approx(1 - 0.98 * (1 - WORD_OF_MOUTH))


def test_outside_states_follow_need_and_cooldown():
    assert outside_state(WELL, True, False) == IN_NEED
    assert outside_state(IN_NEED, False, False) == WELL
    assert outside_state(DISENGAGED, True, True) == DISENGAGED
    assert outside_state(DISENGAGED, True, False) == IN_NEED
    assert outside_state(SIGNPOSTED, False, True) == SIGNPOSTED
    assert outside_state(RECOVERED, False, False) == RECOVERED
    assert outside_state(RECOVERED, True, True) == IN_NEED


def test_recycled_uniform_gives_independent_decisions_with_the_right_rates():
    """Three decisions from one uniform: each has its own rate, and the later ones are
    independent of the earlier (joint frequencies are products)."""
    rng = np.random.default_rng(5)
    n = 400_000
    p1, p2, p3 = 0.3, 0.02, 0.001
    first = np.empty(n, bool)
    second = np.empty(n, bool)
    third = np.empty(n, bool)
    for k, u in enumerate(rng.random(n)):
        first[k] = u < p1
        u = recycle(u, p1, first[k])
        second[k] = u < p2
        u = recycle(u, p2, second[k])
        third[k] = u < p3
    for events, p in ((first, p1), (second, p2), (third, p3)):
        assert abs(events.mean() - p) < 5 * math.sqrt(p * (1 - p) / n)
    joint = np.mean(first & second)
    assert abs(joint - p1 * p2) < 5 * math.sqrt(p1 * p2 / n)
    assert abs(second[first].mean() - p2) < 5 * math.sqrt(p2 / first.sum())
    assert abs(third[second].mean() - p3) < 0.01  # few cases: only rules out strong coupling
    assert abs(third[~second].mean() - p3) < 5 * math.sqrt(p3 / (~second).sum())


def test_may_refer_never_rules_out_a_possible_referral():
    """The kernel skips the exact rule when may_refer is False: it must be True for every
    uniform below the exact chance, for every log-odds at or below x_high (else decisions
    would change)."""
    rng = np.random.default_rng(8)
    for x_high in np.concatenate([-np.geomspace(1e-6, 40.0, 300), [0.0, 0.5, 3.0]]):
        p_manager = float(rng.choice([0.0, 1e-5, 0.01, 0.2]))
        for x in (x_high, x_high - 0.1, x_high - 3.0):
            p_self = logistic(float(x))
            chance = p_self + (1.0 - p_self) * p_manager
            for u in (np.nextafter(chance, 0.0), chance * rng.random()):
                assert may_refer(float(u), float(x_high), p_manager)
    assert not may_refer(0.01, -10.0, 0.0)  # and it is tight enough to skip most workers
    assert may_refer(0.0099, -10.0, 0.01)  # a manager referral is still possible
