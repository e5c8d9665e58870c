"""The queue core: a continuous-time discrete-event engine for the hub pathway, compiled with
numba, resumable day by day (:class:`QueueCore`) or run standalone (:func:`simulate`).

See ``docs/queue.md`` for the event definitions, conventions and policies.
"""

from sim.queue.codes import UNLIMITED, Event, Source, VisitOutcome
from sim.queue.core import QueueCore
from sim.queue.demand import PoissonDemand, ReplayDemand
from sim.queue.distributions import Dist
from sim.queue.network import Adaptive, Background, Backlog, Network, Stage
from sim.queue.records import Records
from sim.queue.standalone import QueueResult, simulate

__all__ = [
    "UNLIMITED",
    "Adaptive",
    "Background",
    "Backlog",
    "Dist",
    "Event",
    "Network",
    "PoissonDemand",
    "QueueCore",
    "QueueResult",
    "Records",
    "ReplayDemand",
    "Source",
    "Stage",
    "VisitOutcome",
    "simulate",
]
