"""Integer codes shared by the compiled kernels and the Python side.

The kernels see these as plain integers (numba freezes module-level ints as constants); the
Python side exposes them as :class:`enum.IntEnum` so tables and logs read well.
"""

from __future__ import annotations

from enum import IntEnum


class Event(IntEnum):
    """What happened to a client, as logged by :meth:`QueueCore.advance`.

    For the four *joining* events (ARRIVED, ROUTED, REROUTED, TRANSFERRED) the stage is the
    stage joined; for the others it is the stage where the event happened.
    """

    ARRIVED = 0  #: entered the system at ``stage``
    STARTED = 1  #: service started at ``stage``
    FINISHED = 2  #: service finished at ``stage``
    ROUTED = 3  #: after service, joined ``stage`` (routing matrix)
    REROUTED = 4  #: after service, joined in-house ``stage`` by the adaptive rule
    TRANSFERRED = 5  #: moved to ``stage`` because the stage it was waiting for was closed
    EXITED = 6  #: left the system after finishing at ``stage``
    RENEGED = 7  #: dropped out of the queue at ``stage`` (patience ran out)
    DISCHARGED = 8  #: discharged from the queue at ``stage`` because the stage was closed


class VisitOutcome(IntEnum):
    """State of a stage visit (and, for a client, of their last visit or how they left)."""

    WAITING = 0
    IN_SERVICE = 1
    COMPLETED = 2  #: service finished; see ``next_stage`` (-1 means exit)
    RENEGED = 3
    DISCHARGED = 4
    TRANSFERRED = 5
    EXITED = 6  #: clients only: completed their last visit and left


class Source(IntEnum):
    """Where a client came from."""

    REFERRAL = 0  #: passed to :meth:`QueueCore.advance` (agent model or standalone demand)
    BACKGROUND = 1  #: an external service's own demand
    BACKLOG = 2  #: waiting at t=0


class DistKind(IntEnum):
    """Distribution families understood by the kernels."""

    EXPONENTIAL = 0
    LOGNORMAL = 1
    GAMMA = 2
    FIXED = 3
    EMPIRICAL = 4


#: Server count meaning "unlimited" in the public API.
UNLIMITED = -1
#: What the kernels use for unlimited servers (never reached by a busy count).
UNLIMITED_SERVERS = 1 << 40
#: ``next_stage`` of a visit whose client left the system; -2 means not decided yet.
EXIT = -1
NOT_ROUTED = -2
