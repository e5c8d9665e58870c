import numpy as np
import pytest
from pydantic import TypeAdapter

from sim.scenario.distributions import Distribution

ADAPTER = TypeAdapter(Distribution)
CASES = {
    "exponential": ({"kind": "exponential", "mean_days": 3.0}, 3.0, 3.0),
    "lognormal": ({"kind": "lognormal", "mean_days": 3.0, "sd_days": 2.0}, 3.0, 2.0),
    "gamma": ({"kind": "gamma", "shape": 4.0, "mean_days": 8.0}, 8.0, 4.0),
    "fixed": ({"kind": "fixed", "value_days": 2.5}, 2.5, 0.0),
    "empirical": ({"kind": "empirical", "values_days": [1, 5], "weights": [3, 1]}, 2.0, 3**0.5),
}


@pytest.mark.parametrize("name", CASES)
def test_samples_have_the_stated_mean_and_sd(name):
    spec, mean, sd = CASES[name]
    dist = ADAPTER.validate_python(spec)
    draws = dist.sample(np.random.default_rng(1), 400_000)
    assert dist.mean == pytest.approx(mean)
    assert draws.mean() == pytest.approx(mean, rel=0.01)
    assert draws.std() == pytest.approx(sd, rel=0.02, abs=1e-9)
    assert (draws >= 0).all()
