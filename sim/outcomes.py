"""What the hub pathway tells the agent model about its clients, and the contract between them.

The agent model (sim/model.py) hands each day's referrals to a `Pathway` and gets back, per
client, what happened to them in that day; it never looks inside the queue core. The pathway
(sim/pathway.py) translates the queue core's raw events into these outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

import numpy as np


class Outcome(IntEnum):
    """A change in a client's situation that the agent model acts on."""

    ENTERED_HUB = 0
    """Referral accepted: waiting for the first hub stage."""
    STARTED_THERAPY = 1
    """Took up an in-house therapy place (the episode has begun)."""
    FINISHED_THERAPY = 2
    """Completed an in-house therapy episode."""
    REFERRED_ON = 3
    """Referred on to an external service (now waiting there or treated there)."""
    FINISHED_EXTERNAL = 4
    """Completed treatment at an external service."""
    SIGNPOSTED = 5
    """Left the hub after screening or assessment with advice and signposting."""
    DROPPED_OUT = 6
    """Stopped waiting (reneged) at a hub stage or an external service and disengaged (the
    other reasons for leaving a queue unseen are codes 10 to 12)."""
    DISCHARGED_AT_CLOSURE = 7
    """Was waiting when the stage closed and was discharged."""
    STARTED_EXTERNAL = 8
    """Began treatment at an external service after waiting there."""
    NEVER_ENGAGED = 9
    """Referred, but never engaged: no first contact (never reached screening)."""
    RECOVERED_WAITING = 10
    """Left a queue unseen because they recovered while waiting (distress below need)."""
    WENT_ELSEWHERE = 11
    """Left a queue unseen for support elsewhere (private therapy, employer support)."""
    ESCALATED_CRISIS = 12
    """Left a queue unseen by escalating to crisis services."""


@dataclass(frozen=True)
class Outcomes:
    """Outcomes of one `advance` call, in time order (parallel arrays)."""

    client_id: np.ndarray
    """int64 agent index of each client."""
    outcome: np.ndarray
    """int8 `Outcome` code."""
    time: np.ndarray
    """float64 time of the outcome, in days from the start."""

    @classmethod
    def empty(cls) -> Outcomes:
        """No outcomes."""
        return cls(np.empty(0, np.int64), np.empty(0, np.int8), np.empty(0, np.float64))


class Pathway(Protocol):
    """The hub pathway as the agent model sees it."""

    def advance(
        self, until: float, arrival_times: np.ndarray, client_ids: np.ndarray, classes: np.ndarray
    ) -> Outcomes:
        """Add referrals (times within [now, until), agent ids, priority classes) and run the
        pathway to time `until`; return what happened to agents' clients meanwhile."""
        ...

    def expected_wait_days(self) -> float:
        """The hub's currently expected wait from referral to first contact, as published to
        staff (drives the expected-wait term of help-seeking)."""
        ...
