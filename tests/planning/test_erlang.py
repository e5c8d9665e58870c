"""The Erlang formulas behind the capacity search's first guess."""

import math

import numpy as np
import pytest

from sim.planning import erlang


def erlang_c_direct(c: int, a: float) -> float:
    """Erlang C from its textbook form (fine for small c)."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (3, 2.1), (10, 8.7), (25, 20.0)])
def test_erlang_c_matches_the_textbook_form(c, a):
    assert erlang.erlang_c(c, a) == pytest.approx(erlang_c_direct(c, a), rel=1e-10)


def test_mm1_has_known_answers():
    # M/M/1: P(wait) = rho, Wq = rho / (mu - lambda), P(W > t) = rho exp(-(mu - lambda) t).
    assert erlang.erlang_c(1, 0.8) == pytest.approx(0.8)
    assert erlang.mmc_mean_wait(1, 0.8, 1.0) == pytest.approx(4.0)
    assert erlang.mmc_share_within(1, 0.8, 1.0, 2.0) == pytest.approx(1 - 0.8 * math.exp(-0.4))
    assert erlang.mmc_wait_quantile(1, 0.8, 1.0, 0.9) == pytest.approx(math.log(8) / 0.2)


def test_overloaded_stage_never_meets_a_wait_target():
    assert erlang.mmc_share_within(2, 3.0, 1.0, 5.0) == 0.0
    assert erlang.mmc_mean_wait(2, 3.0, 1.0) == math.inf


def test_erlang_a_tends_to_erlang_c_with_endless_patience():
    assert erlang.erlang_a_mean_wait(3, 2.4, 1.0, 1e9) == pytest.approx(
        erlang.mmc_mean_wait(3, 2.4, 1.0), rel=1e-4
    )
    # Impatience shortens the mean wait, and lets an overloaded stage settle.
    assert erlang.erlang_a_mean_wait(3, 2.4, 1.0, 2.0) < erlang.mmc_mean_wait(3, 2.4, 1.0)
    assert np.isfinite(erlang.erlang_a_mean_wait(3, 4.0, 1.0, 2.0))


@pytest.mark.parametrize(
    ("what", "threshold", "days"),
    [("share_within", 0.9, 0.5), ("wait_p90", 0.3, 0.0), ("wait_mean", 0.05, 0.0)],
)
def test_servers_needed_is_the_smallest_that_meets_by_brute_force(what, threshold, days):
    for rate in (0.5, 3.0, 11.0, 40.0):
        found = erlang.servers_needed(what, threshold, rate, 0.5, days=days)
        values = [erlang.measure(what, c, rate, 0.5, days=days) for c in range(1, 200)]
        meets = [v >= threshold if what == "share_within" else v <= threshold for v in values]
        assert found == 1 + meets.index(True)
