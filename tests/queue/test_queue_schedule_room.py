"""A server schedule with more changes than the engine's initial room (issue #11: a part-time
server over ten years corrupted memory when the set-up pushed every change onto the heap)."""

import numpy as np

from sim.queue import Dist, Network, PoissonDemand, Stage, simulate


def test_thousands_of_capacity_changes_run_and_are_honoured():
    # 3 servers and a fourth for the first half of every week, for 12 years: 1,200 changes,
    # more than the 1,024 rows first allocated.
    times, counts = [0.0], [3]
    for week in range(600):
        times += [7.0 * week + 1e-6, 7.0 * week + 3.5]
        counts += [4, 3]
    stage = Stage("s", servers=(times, counts), service=Dist.exponential(0.1))
    result = simulate(Network([stage]), PoissonDemand(20.0), horizon_days=4200, seed=3)
    servers = result.records.daily_servers[:, 0]
    assert len(servers) >= 4199
    assert set(np.unique(servers)) <= {3, 4}
    assert result.waits("s").size > 70_000
