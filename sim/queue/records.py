"""Tidy records: per-visit, per-client and per-day tables built from the state arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.queue.codes import EXIT, Source, VisitOutcome
from sim.queue.layout import DAILY_COLUMNS, I_CLIENTS, I_DAY, I_VISITS, State


@dataclass(frozen=True)
class Records:
    """Struct-of-arrays records (copies), convertible to pandas or Arrow tables.

    ``visits_*`` arrays have one entry per (client, stage) visit in creation order;
    ``visits_client`` indexes the ``client_*`` arrays. ``daily_count`` is
    [day, stage, class, column] with columns :data:`~sim.queue.layout.DAILY_COLUMNS`;
    ``daily_mean`` holds the time-averaged (waiting, in service) over each day.
    """

    stage_names: tuple[str, ...]
    client_id: np.ndarray
    client_source: np.ndarray
    client_class: np.ndarray
    client_entry: np.ndarray
    client_arrival: np.ndarray
    client_last: np.ndarray
    visit_client: np.ndarray
    visit_stage: np.ndarray
    visit_arrive: np.ndarray
    visit_start: np.ndarray
    visit_end: np.ndarray
    visit_outcome: np.ndarray
    visit_next: np.ndarray
    visit_adaptive: np.ndarray
    daily_count: np.ndarray
    daily_mean: np.ndarray
    daily_servers: np.ndarray

    def client_outcome(self) -> np.ndarray:
        """Each client's state: WAITING / IN_SERVICE (still in), EXITED, RENEGED, DISCHARGED."""
        last = self.client_last
        out = self.visit_outcome[last].copy()
        out[(out == VisitOutcome.COMPLETED) & (self.visit_next[last] == EXIT)] = VisitOutcome.EXITED
        return out

    def visits(self) -> pd.DataFrame:
        """One row per visit: client_id, source, class, stage, arrive, start, end, outcome,
        next_stage (a stage name, "exit", or missing) and whether the adaptive rule fired."""
        c = self.visit_client
        names = list(self.stage_names)
        nxt = np.where(self.visit_next == EXIT, len(names), self.visit_next)
        return pd.DataFrame(
            {
                "client_id": self.client_id[c],
                "source": _categories(self.client_source[c], Source),
                "class": self.client_class[c],
                "stage": pd.Categorical.from_codes(self.visit_stage, names),
                "arrive": self.visit_arrive,
                "start": self.visit_start,
                "end": self.visit_end,
                "outcome": _categories(self.visit_outcome, VisitOutcome),
                "next_stage": pd.Categorical.from_codes(np.maximum(nxt, -1), [*names, "exit"]),
                "adaptive": self.visit_adaptive.astype(bool),
            }
        )

    def clients(self) -> pd.DataFrame:
        """One row per client: client_id, source, class, entry stage, arrival, outcome, end."""
        last = self.client_last
        outcome = self.client_outcome()
        done = outcome >= VisitOutcome.COMPLETED
        return pd.DataFrame(
            {
                "client_id": self.client_id,
                "source": _categories(self.client_source, Source),
                "class": self.client_class,
                "entry_stage": pd.Categorical.from_codes(self.client_entry, self.stage_names),
                "arrival": self.client_arrival,
                "outcome": _categories(outcome, VisitOutcome),
                "end": np.where(done, self.visit_end[last], np.nan),
            }
        )

    def daily(self) -> pd.DataFrame:
        """One row per (day, stage, class): end-of-day waiting and in_service, the day's
        counts, time-averaged mean_waiting and mean_in_service, and the stage's servers."""
        days, S, K, _ = self.daily_count.shape
        d, s, k = (a.ravel() for a in np.indices((days, S, K)))
        frame = pd.DataFrame(
            {"day": d, "stage": pd.Categorical.from_codes(s, self.stage_names), "class": k}
        )
        for j, name in enumerate(DAILY_COLUMNS):
            frame[name] = self.daily_count[..., j].ravel()
        frame["mean_waiting"] = self.daily_mean[..., 0].ravel()
        frame["mean_in_service"] = self.daily_mean[..., 1].ravel()
        frame["servers"] = self.daily_servers[d, s]
        return frame


def snapshot(state: State, stage_names: tuple[str, ...]) -> Records:
    """Copy the used part of the state's record arrays."""
    si = state.core.si
    n, v, days = int(si[I_CLIENTS]), int(si[I_VISITS]), int(si[I_DAY]) - 1
    c, vis, dl = state.clients, state.visits, state.daily
    return Records(
        stage_names=tuple(stage_names),
        client_id=c.c_ident[:n].copy(),
        client_source=c.c_source[:n].copy(),
        client_class=c.c_klass[:n].copy(),
        client_entry=c.c_entry[:n].copy(),
        client_arrival=c.c_arrival[:n].copy(),
        client_last=c.c_last[:n].copy(),
        visit_client=vis.v_client[:v].copy(),
        visit_stage=vis.v_stage[:v].copy(),
        visit_arrive=vis.v_arrive[:v].copy(),
        visit_start=vis.v_start[:v].copy(),
        visit_end=vis.v_end[:v].copy(),
        visit_outcome=vis.v_outcome[:v].copy(),
        visit_next=vis.v_next[:v].copy(),
        visit_adaptive=vis.v_adaptive[:v].copy(),
        daily_count=dl.d_count[:days].copy(),
        daily_mean=dl.d_area[:days].copy(),
        daily_servers=dl.d_servers[:days].copy(),
    )


def _categories(codes: np.ndarray, enum: type) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, [e.name.lower() for e in enum])
