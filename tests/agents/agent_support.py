"""Fake pathways and scenario helpers for the agent-model tests.

The fakes implement `sim.outcomes.Pathway` with fixed delays, so the agent model can be tested
without the queue core. Each reports at most one state-changing outcome per client per day and
none on the day of referral (ENTERED_HUB comes at the referral time, which changes nothing).
"""

from __future__ import annotations

import heapq
from pathlib import Path

import numpy as np

from sim.model import HubModel
from sim.outcomes import Outcome, Outcomes
from sim.scenario import Scenario, load_scenario

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
_BASE: Scenario | None = None


def baseline() -> Scenario:
    """The baseline scenario (loaded once)."""
    global _BASE
    if _BASE is None:
        _BASE = load_scenario(BASELINE)
    return _BASE


def _merge(base: dict, changes: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def baseline_with(changes: dict | None = None, **sections) -> Scenario:
    """The baseline with nested changes (mappings merged key by key, other values replaced),
    validated like a scenario file."""
    data = _merge(baseline().model_dump(), _merge(changes or {}, sections))
    return Scenario.model_validate(data)


class RecordingPathway:
    """Records every referral; nothing ever happens to the clients (no outcomes)."""

    def __init__(self, wait_days: float = 7.0) -> None:
        self.wait_days = wait_days
        self.calls: list[tuple[float, np.ndarray, np.ndarray, np.ndarray]] = []

    def advance(self, until, arrival_times, client_ids, classes) -> Outcomes:
        self.calls.append((until, np.array(arrival_times), np.array(client_ids), np.array(classes)))
        return Outcomes.empty()

    def expected_wait_days(self) -> float:
        return self.wait_days

    def referred(self) -> np.ndarray:
        """Agent ids of all referrals so far, in order."""
        return np.concatenate([c[2] for c in self.calls]) if self.calls else np.zeros(0, int)

    def referral_days(self) -> np.ndarray:
        """Day of each referral (the day of the call that carried it)."""
        return np.concatenate([np.full(c[2].size, c[0] - 1.0) for c in self.calls])


class ScriptedPathway:
    """Each referral follows a fixed script of (delay in days, outcome) after its arrival.

    `script(client_id) -> list[(delay, Outcome)]` chooses the script per client; outcomes are
    returned in time order when the pathway advances past them.
    """

    def __init__(self, script, wait_days: float = 3.0) -> None:
        self.script = script
        self.wait_days = wait_days
        self.queue: list[tuple[float, int, int, int]] = []
        self.count = 0
        self.referrals: list[tuple[float, int]] = []

    def advance(self, until, arrival_times, client_ids, classes) -> Outcomes:
        assert np.all(np.diff(arrival_times) >= 0)
        for t, client in zip(arrival_times, client_ids, strict=True):
            assert until - 1 <= t < until
            self.referrals.append((float(t), int(client)))
            events = [(0.0, Outcome.ENTERED_HUB), *self.script(int(client))]
            for delay, outcome in events:
                self.count += 1
                heapq.heappush(self.queue, (t + delay, self.count, int(client), int(outcome)))
        out = []
        while self.queue and self.queue[0][0] < until:
            out.append(heapq.heappop(self.queue))
        if not out:
            return Outcomes.empty()
        time, _, client, outcome = map(np.array, zip(*out, strict=True))
        return Outcomes(client.astype(np.int64), outcome.astype(np.int8), time.astype(float))

    def expected_wait_days(self) -> float:
        return self.wait_days


def therapy_script(start: float = 5.0, length: float = 20.0):
    """Everyone starts in-house therapy after `start` days and finishes `length` days later."""

    def script(client: int):
        return [(start, Outcome.STARTED_THERAPY), (start + length, Outcome.FINISHED_THERAPY)]

    return script


def mixed_script(client: int):
    """By client id: therapy, referred on and treated, signposted, or dropped out."""
    kind = client % 4
    if kind == 0:
        return [(3.5, Outcome.STARTED_THERAPY), (15.5, Outcome.FINISHED_THERAPY)]
    if kind == 1:
        return [
            (2.5, Outcome.REFERRED_ON),
            (10.5, Outcome.STARTED_EXTERNAL),
            (30.5, Outcome.FINISHED_EXTERNAL),
        ]
    if kind == 2:
        return [(1.5, Outcome.SIGNPOSTED)]
    return [(4.5, Outcome.DROPPED_OUT)]


def run(model: HubModel, days: int) -> HubModel:
    """Step `model` for `days` days."""
    for _ in range(days):
        model.step()
    return model


def uptake(model: HubModel, group_type: str, group: str) -> float:
    """Referrals per 1,000 person-years in need for one group."""
    frame = model.group_frame()
    row = frame[(frame.group_type == group_type) & (frame.group == group)].iloc[0]
    return float(row.uptake_per_1000_in_need_year)
