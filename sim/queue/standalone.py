"""Standalone runs: the network fed by Poisson or replayed demand, no agents.

Used for fast capacity sweeps, the benchmark and the theory tests. The run covers
[0, warmup + horizon); every statistic of :class:`QueueResult` is over the visits that
arrived at the stage in [warmup, warmup + horizon) and the days after the warm-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from sim.queue.codes import VisitOutcome
from sim.queue.core import QueueCore
from sim.queue.demand import PoissonDemand, ReplayDemand, realise
from sim.queue.network import Network
from sim.queue.records import Records
from sim.streams import stream


@dataclass(frozen=True)
class QueueResult:
    """Records of one standalone run and the statistics planners ask for."""

    network: Network
    records: Records
    warmup: float
    end: float

    @cached_property
    def visits(self) -> pd.DataFrame:
        """All visits, warm-up included (see :meth:`Records.visits`)."""
        return self.records.visits()

    @cached_property
    def clients(self) -> pd.DataFrame:
        """All clients, warm-up included (see :meth:`Records.clients`)."""
        return self.records.clients()

    @cached_property
    def daily(self) -> pd.DataFrame:
        """Per (day, stage, class) series for the days after the warm-up."""
        frame = self.records.daily()
        return frame[frame["day"] >= self.warmup].reset_index(drop=True)

    def _window(self, stage: int | str) -> dict[str, np.ndarray]:
        r = self.records
        s = self.network.index(stage)
        m = (r.visit_stage == s) & (r.visit_arrive >= self.warmup) & (r.visit_arrive < self.end)
        return {
            "arrive": r.visit_arrive[m],
            "start": r.visit_start[m],
            "end": r.visit_end[m],
            "outcome": r.visit_outcome[m],
        }

    def waits(self, stage: int | str) -> np.ndarray:
        """Time from joining the queue to starting service, for visits that started."""
        w = self._window(stage)
        started = ~np.isnan(w["start"])
        return w["start"][started] - w["arrive"][started]

    def wait_quantiles(self, stage: int | str, q: float | np.ndarray) -> float | np.ndarray:
        """Quantiles of :meth:`waits`."""
        return np.quantile(self.waits(stage), q)

    def share_within(self, stage: int | str, days: float) -> float:
        """Share of arrivals who started service within ``days``. Those still waiting at the
        end for less than ``days`` are left out (unknown); those who left unserved count as
        not within."""
        w = self._window(stage)
        waited = np.where(np.isnan(w["start"]), np.inf, w["start"] - w["arrive"])
        unknown = (w["outcome"] == VisitOutcome.WAITING) & (self.end - w["arrive"] < days)
        return float(np.mean(waited[~unknown] <= days))

    def mean_wait(self, stage: int | str) -> float:
        """Mean time in queue over every visit whose wait is over (served or not), the
        queueing-theory W_q (Erlang C, Erlang A)."""
        w = self._window(stage)
        over = w["outcome"] != VisitOutcome.WAITING
        left = np.where(np.isnan(w["start"]), w["end"], w["start"])
        return float(np.mean(left[over] - w["arrive"][over]))

    def abandonment(self, stage: int | str) -> float:
        """Share of visits whose wait is over that reneged."""
        w = self._window(stage)
        over = w["outcome"] != VisitOutcome.WAITING
        return float(np.mean(w["outcome"][over] == VisitOutcome.RENEGED))


def simulate(
    network: Network,
    demand: PoissonDemand | ReplayDemand,
    horizon_days: float,
    warmup_days: float = 0.0,
    seed: int = 0,
    replication: int = 0,
) -> QueueResult:
    """Run ``network`` over [0, warmup_days + horizon_days) with standalone demand.

    Poisson demand draws from the "arrivals" stream; the engine's own streams are those of
    :class:`QueueCore`.

    Examples
    --------
    >>> from sim.queue import Dist, Network, PoissonDemand, Stage, simulate
    >>> net = Network([Stage("hub", servers=3, service=Dist.exponential(0.1))])
    >>> res = simulate(net, PoissonDemand(20.0), horizon_days=100, warmup_days=10, seed=1)
    >>> 0 <= res.share_within("hub", 1.0) <= 1
    True
    """
    if not (np.isfinite(horizon_days) and horizon_days > 0):
        raise ValueError(f"horizon_days must be finite and > 0, got {horizon_days}")
    if not (np.isfinite(warmup_days) and warmup_days >= 0):
        raise ValueError(f"warmup_days must be finite and >= 0, got {warmup_days}")
    end = float(warmup_days + horizon_days)
    core = QueueCore(network, seed, replication, log_events=False)
    referrals = realise(demand, end, stream(seed, "arrivals", replication), network)
    core.advance(end, **referrals)
    return QueueResult(network, core.records(), float(warmup_days), end)
