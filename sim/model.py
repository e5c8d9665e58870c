"""The Mesa model: keyworker agents whose referrals drive any hub `Pathway`, one day a step.

`HubModel.step` runs one day: today's context from the scenario's calendar (waves, active
interventions, hub open or closed, eligible sectors, the pathway's published wait); the
team-level processes (manager training, outreach visits); the agents' day (the compiled fast
path, or each `Keyworker.step` in creation order); then the day's referrals go to
`pathway.advance(day + 1, ...)` and its outcomes update the agents. Data out: `daily_frame`
(one row per day) and `group_frame` (uptake counts by group).
"""

from __future__ import annotations

import math
from datetime import timedelta

import mesa
import numpy as np
import pandas as pd

from sim.agents import Keyworker
from sim.behaviour import (
    C_ABSENT,
    C_AWARE,
    C_IN_NEED,
    C_MANAGER,
    C_OUTREACH,
    C_REFERRALS,
    C_SELF,
    N_TALLY,
    AgentArrays,
    GroupArrays,
    Today,
    apply_outcomes,
    behaviour_params,
    count_states,
    day_output,
    outreach_visit,
    run_day,
    workers_from,
)
from sim.outcomes import Outcome, Pathway
from sim.rules import IN_NEED, N_STATES, WELL, AgentState, wave_shift
from sim.scenario import Scenario
from sim.scenario.interventions import (
    Campaign,
    Closure,
    CulturalCompetency,
    EligibilityExtension,
    ExtraWave,
    ManagerTraining,
    Outreach,
)
from sim.scenario.pathway import AgentDemand
from sim.streams import KeyedStream, stream
from sim.workforce import Population, build_population

MAX_WAIT_DAYS = 365.0
"""Cap on the published wait fed to help-seeking (an infinite wait would be a closed hub)."""


class Calendar:
    """The scenario's dated context, day by day (day 0 = `simulation.start_date`).

    The hub accepts referrals from the first capacity step of its first stage until the
    first `closure`; a sector with `eligible_from_start: false` is eligible from the first
    `eligibility_extension` that names it (never, if none does).
    """

    def __init__(self, scenario: Scenario, sector_names: tuple[str, ...]) -> None:
        day = scenario.simulation.day
        distress, help_seeking = scenario.distress, scenario.help_seeking
        interventions = scenario.interventions
        waves = [*distress.waves, *(i for i in interventions if isinstance(i, ExtraWave))]
        self.waves = [
            (day(w.start_date), day(w.peak_date), day(w.end_date), w.distress_shift) for w in waves
        ]
        self.workload = distress.workload_shift
        first_stage = next(iter(scenario.hub.stages.values()))
        self.open_day = day(first_stage.capacity[0].from_date)
        closures = [day(i.date) for i in interventions if isinstance(i, Closure)]
        self.close_day = min(closures) if closures else math.inf
        sectors = scenario.workforce.sectors
        self.eligible_day = np.array(
            [
                -math.inf
                if sectors[name].eligible_from_start
                else min(
                    (
                        day(i.date)
                        for i in interventions
                        if isinstance(i, EligibilityExtension) and name in i.sectors
                    ),
                    default=math.inf,
                )
                for name in sector_names
            ]
        )
        self.campaigns = [
            (
                day(i.date),
                day(i.end_date),
                i.reach_share,
                np.array([not i.sectors or name in i.sectors for name in sector_names]),
            )
            for i in interventions
            if isinstance(i, Campaign)
        ]
        self.outreach = [
            (day(i.date), day(i.end_date), i.team_visits_per_week / 7.0, i.referral_share)
            for i in interventions
            if isinstance(i, Outreach)
        ]
        self.trainings = [
            (day(i.date), i.converted_share)
            for i in interventions
            if isinstance(i, ManagerTraining)
        ]
        self.base_fit = math.log(help_seeking.racism_affected_fit_odds_ratio)
        self.fits = sorted(
            (day(i.date), math.log(i.fit_odds_ratio_after))
            for i in interventions
            if isinstance(i, CulturalCompetency)
        )
        self.n_sectors = len(sector_names)

    def shift(self, d: int) -> float:
        """Distress shift today: the waves (scenario and `wave` interventions) and workload."""
        return self.workload + sum(wave_shift(d, *wave) for wave in self.waves)

    def hub_open(self, d: int) -> bool:
        """The hub accepts referrals today."""
        return self.open_day <= d < self.close_day

    def sector_open(self, d: int) -> np.ndarray:
        """uint8 per sector: the hub is open and the sector eligible today."""
        return ((self.eligible_day <= d) & self.hub_open(d)).astype(np.uint8)

    def campaign_reach(self, d: int) -> np.ndarray:
        """Per sector: chance that an unaware worker is reached by today's campaigns."""
        missed = np.ones(self.n_sectors)
        for start, end, reach, sectors in self.campaigns:
            if start <= d <= end:
                missed[sectors] *= 1.0 - reach
        return 1.0 - missed

    def fit_ln_odds_ratio(self, d: int) -> float:
        """Log odds ratio for racism-affected staff today (the latest cultural-competency
        training in force, else the scenario's)."""
        current = self.base_fit
        for start, value in self.fits:
            if start <= d:
                current = value
        return current

    def outreach_visits(self, d: int) -> list[tuple[int, float]]:
        """(teams to visit, referral share) of each outreach spell today. Visits are spread
        evenly: the k-th visit of a spell falls on the day its cumulative count reaches k."""
        visits = []
        for start, end, per_day, referral_share in self.outreach:
            if start <= d <= end:
                count = math.floor(per_day * (d - start + 1)) - math.floor(per_day * (d - start))
                if count:
                    visits.append((count, referral_share))
        return visits

    def manager_training(self, d: int) -> list[float]:
        """Converted shares of the manager trainings held today."""
        return [share for start, share in self.trainings if start == d]


_OUTCOME_COLUMNS = [o.name.lower() for o in Outcome] + ["relieved", "partly_relieved"]
_FINISHED_CODES = (int(Outcome.FINISHED_THERAPY), int(Outcome.FINISHED_EXTERNAL))
_STATE_COLUMNS = [f"state_{s.name.lower()}" for s in AgentState]
_COLUMNS = [
    "in_need",
    "aware",
    "absence_days",
    "referrals",
    "referrals_self",
    "referrals_manager",
    "referrals_outreach",
    *_OUTCOME_COLUMNS,
    *_STATE_COLUMNS,
    "hub_open",
    "expected_wait_days",
    "mean_distress",
]
_FLOAT_COLUMNS = {"expected_wait_days", "mean_distress"}


class HubModel(mesa.Model):
    """Keyworker agents driving a hub pathway, one day per step.

    Parameters
    ----------
    scenario
        A validated scenario with agent demand (workforce, distress, awareness and
        help-seeking sections).
    pathway
        Any `sim.outcomes.Pathway` (the queue-core adapter `sim.pathway.HubPathway`, or a
        fake in tests).
    seed, replication
        Root seed and replication: every random process draws from its own named stream
        (`sim.streams.stream`): "mesa" (Mesa's own generators), "workforce", "initial_state",
        "agents" (the per-worker daily draws: one uniform and one normal per worker a day,
        whatever happens), "outreach", "interventions". Draws about one referral are keyed by
        who and when, not by the order of events (`sim.streams.KeyedStream`): "referral"
        (time within the day and priority class, by (worker, day)) and "recovery" (whether
        a finished episode helped, by (worker, episode)); the pathway keys its clients' draws
        the same way. So two scenarios of a comparison give every worker whose own history
        is unchanged the same draws (common random numbers).
    per_agent
        Step each `Keyworker` through Mesa's AgentSet instead of the compiled loop (slow; the
        same numbers).

    Examples
    --------
    >>> from sim.scenario import load_scenario
    >>> from sim.pathway import HubPathway
    >>> scenario = load_scenario("scenarios/baseline.yaml")
    >>> model = HubModel(scenario, HubPathway(scenario, 1), seed=1)
    >>> for _ in range(30):
    ...     model.step()
    >>> model.daily_frame()[["date", "prevalence", "referrals"]].tail(1)  # doctest: +SKIP
    """

    def __init__(
        self,
        scenario: Scenario,
        pathway: Pathway,
        *,
        seed: int,
        replication: int = 0,
        per_agent: bool = False,
    ) -> None:
        super().__init__(rng=stream(seed, "mesa", replication))
        if not isinstance(scenario.demand, AgentDemand):
            raise ValueError("HubModel needs a scenario whose demand.mode is 'agents'")
        # `scenario` is Mesa's own attribute (a mesa Scenario); ours is `hub_scenario`.
        self.hub_scenario = scenario
        self.pathway = pathway
        self.seed = seed
        self.replication = replication
        self.per_agent = per_agent
        self.population: Population = build_population(
            scenario, stream(seed, "workforce", replication)
        )
        self.params = behaviour_params(scenario)
        self.calendar = Calendar(scenario, self.population.sector_names)
        self.workers = workers_from(self.population)
        self.groups = _groups(self.population)
        self.arrays = self._initial_state(stream(seed, "initial_state", replication))
        self.agent_rng = stream(seed, "agents", replication)
        self._rngs = {
            name: stream(seed, name, replication) for name in ("outreach", "interventions")
        }
        self._referral_stream = KeyedStream(seed, "referral", replication)
        self._recovery_stream = KeyedStream(seed, "recovery", replication)
        self._episodes = np.zeros(self.population.size, np.int64)  # referrals so far
        self.output = day_output(self.population.size)
        self.day = 0
        self.today: Today | None = None
        self._team_sector = self.population.organisation_sector[self.population.team_organisation]
        self._class_cumulative = np.cumsum(list(scenario.hub.priority_classes.values()))
        self._class_cumulative /= self._class_cumulative[-1]
        # Per-day series in a preallocated array (an array recorder), not Mesa's
        # DataCollector: its reporters are Python calls collected into lists of dicts, and
        # agent-level reporting would be one Python call per agent per day (150,000 a day);
        # the counts here come from the kernel's counters and one bincount a day.
        self._daily = np.zeros((scenario.simulation.horizon_days, len(_COLUMNS)))
        self._tally = np.zeros(N_TALLY, np.int64)
        self._states = np.zeros(N_STATES, np.int64)
        self._open_teams: tuple[bytes, np.ndarray] = (b"", np.zeros(0, np.int64))
        Keyworker.create_handles(self, self.population.size)

    def _initial_state(self, rng: np.random.Generator) -> AgentArrays:
        """Agents start in their stationary distress distribution around today's target,
        aware with `awareness.initial_share`, outside the pathway."""
        population, params = self.population, self.params
        n = population.size
        target = (
            population.baseline
            + self.calendar.shift(0)
            + params.racism_shift * population.racism_affected
        )
        r = params.reversion
        stationary_sd = params.noise_sd / math.sqrt(1.0 - (1.0 - r) ** 2) if r < 1.0 else 0.0
        distress = target + stationary_sd * rng.standard_normal(n)
        aware = rng.random(n) < self.hub_scenario.awareness.initial_share
        state = np.where(distress > params.need_threshold, IN_NEED, WELL).astype(np.int8)
        return AgentArrays(
            distress=distress,
            baseline=population.baseline.copy(),
            state=state,
            aware=aware.astype(np.uint8),
            advocate=np.zeros(n, np.uint8),
            referred_day=np.zeros(n, np.int32),
            cooldown_until=np.zeros(n, np.int32),
            days_in_need=np.zeros(n, np.int32),
            absence_days=np.zeros(n, np.int32),
            referrals=np.zeros(n, np.int32),
        )

    def step(self) -> None:
        """Simulate one day (day `self.day`) and hand its referrals to the pathway."""
        d = self.day
        sim = self.hub_scenario.simulation
        calendar = self.calendar
        wait = float(self.pathway.expected_wait_days())
        wait = 0.0 if math.isnan(wait) else min(max(wait, 0.0), MAX_WAIT_DAYS)
        self.today = Today(
            day=d,
            shift=calendar.shift(d),
            wait_weeks=wait / 7.0,
            ln_fit_odds_ratio=calendar.fit_ln_odds_ratio(d),
            recording=d >= sim.warmup_days,
            sector_open=calendar.sector_open(d),
            sector_campaign=calendar.campaign_reach(d),
        )
        self.output.counters[:] = 0
        self._team_processes(d)
        if self.per_agent:
            self.agents_by_type[Keyworker].do("step")  # only the workers, in index order
        else:
            run_day(
                self.workers,
                self.arrays,
                self.groups,
                self.params,
                self.today,
                self.agent_rng,
                self.output,
            )
        self._send_referrals(d)
        self._record(d, wait)
        self.day += 1
        self.running = self.day < sim.horizon_days

    def _team_processes(self, d: int) -> None:
        """Manager training (each unsupportive manager converts with the training's share,
        one uniform per team from "interventions") and outreach visits (teams of open
        sectors drawn uniformly, with replacement, from "outreach")."""
        supportive = self.groups.team_supportive
        for share in self.calendar.manager_training(d):
            converted = self._rngs["interventions"].random(supportive.size) < share
            supportive[converted] = 1
        visits = self.calendar.outreach_visits(d)
        if not visits:
            return
        key = self.today.sector_open.tobytes()
        if self._open_teams[0] != key:
            self._open_teams = (key, np.flatnonzero(self.today.sector_open[self._team_sector]))
        open_teams = self._open_teams[1]
        rng = self._rngs["outreach"]
        reach = self.hub_scenario.awareness.outreach_reach_share
        for count, referral_share in visits:
            if open_teams.size == 0:
                break
            for team in open_teams[rng.integers(0, open_teams.size, count)]:
                outreach_visit(
                    team,
                    self.workers,
                    self.arrays,
                    self.groups,
                    self.params,
                    self.today,
                    reach,
                    referral_share,
                    rng,
                    self.output,
                )

    def _send_referrals(self, d: int) -> None:
        """The day's referrals to the pathway (times uniform within the day, priority class
        drawn with the hub's class shares), then its outcomes to the agents."""
        n = int(self.output.counters[C_REFERRALS])
        agents = self.output.agent[:n].copy()
        self._episodes[agents] += 1
        u = self._referral_stream.uniforms(np.column_stack([agents, np.full(n, d)]), 2)
        times = d + u[:, 0]
        classes = np.searchsorted(self._class_cumulative, u[:, 1], side="right").astype(np.int64)
        classes = np.minimum(classes, self._class_cumulative.size - 1)
        order = np.argsort(times, kind="stable")
        outcomes = self.pathway.advance(float(d + 1), times[order], agents[order], classes[order])
        self._tally[:] = 0
        ids = np.asarray(outcomes.client_id, np.int64)
        if ids.size:
            codes = np.asarray(outcomes.outcome, np.int64)
            finished = np.isin(codes, _FINISHED_CODES)
            u = np.ones(ids.size)  # read only where an episode finished
            episode = np.column_stack([ids[finished], self._episodes[ids[finished]]])
            u[finished] = self._recovery_stream.uniforms(episode)[:, 0]
            apply_outcomes(
                ids,
                codes,
                u,
                self.workers,
                self.arrays,
                self.groups,
                self.params,
                d,
                self._tally,
            )

    def _record(self, d: int, wait: float) -> None:
        if d >= self._daily.shape[0]:
            self._daily = np.concatenate([self._daily, np.zeros_like(self._daily)])
        c = self.output.counters
        count_states(self.arrays.state, self._states)
        self._daily[d] = [
            c[C_IN_NEED],
            c[C_AWARE],
            c[C_ABSENT],
            c[C_REFERRALS],
            c[C_SELF],
            c[C_MANAGER],
            c[C_OUTREACH],
            *self._tally[:N_TALLY],
            *self._states,
            self.calendar.hub_open(d),
            wait,
            self.arrays.distress.mean(),
        ]

    def daily_frame(self) -> pd.DataFrame:
        """One row per simulated day: day, date, in_need, prevalence (share in need),
        aware, aware_share, absence_days, referrals (all, and by source), the pathway's
        outcomes by type (and `relieved`: finished treatment that helped), agents per state
        (`state_*`, summing to the workforce), hub_open, expected_wait_days (published wait
        the agents saw) and mean_distress."""
        n = self.population.size
        data = self._daily[: self.day]
        frame = pd.DataFrame(
            {
                name: data[:, k] if name in _FLOAT_COLUMNS else data[:, k].astype(np.int64)
                for k, name in enumerate(_COLUMNS)
            }
        )
        frame["hub_open"] = frame["hub_open"].astype(bool)
        start = self.hub_scenario.simulation.start_date
        days = np.arange(self.day)
        frame.insert(0, "date", pd.to_datetime([start + timedelta(days=int(i)) for i in days]))
        frame.insert(0, "day", days)
        frame.insert(frame.columns.get_loc("in_need") + 1, "prevalence", frame["in_need"] / n)
        frame.insert(frame.columns.get_loc("aware") + 1, "aware_share", frame["aware"] / n)
        return frame

    def group_frame(self) -> pd.DataFrame:
        """Uptake counts by group over the recorded days (after the warm-up).

        One row per (group_type, group) for group types all, sector, staff_group,
        minority_ethnic, racism_affected and sex: workers, referrals, person_days_in_need,
        absence_days, and uptake_per_1000_in_need_year = referrals per 1,000 person-years
        in need (for confidence intervals across replications, use the counts).
        """
        p, a = self.population, self.arrays
        yes_no = ("no", "yes")
        groupings = [
            ("all", np.zeros(p.size, np.int64), ("all",)),
            ("sector", p.sector, p.sector_names),
            ("staff_group", p.staff_group, p.staff_group_names),
            ("minority_ethnic", p.minority_ethnic, yes_no),
            ("racism_affected", p.racism_affected, yes_no),
            ("sex", p.male, ("female", "male")),
        ]
        rows = []
        for group_type, codes, names in groupings:
            codes = np.asarray(codes, np.int64)
            k = len(names)
            counts = {
                "workers": np.bincount(codes, minlength=k),
                "referrals": np.bincount(codes, a.referrals, minlength=k),
                "person_days_in_need": np.bincount(codes, a.days_in_need, minlength=k),
                "absence_days": np.bincount(codes, a.absence_days, minlength=k),
            }
            for j, name in enumerate(names):
                row = {"group_type": group_type, "group": name}
                row |= {key: int(values[j]) for key, values in counts.items()}
                rows.append(row)
        frame = pd.DataFrame(rows)
        years_in_need = frame["person_days_in_need"] / 365.25
        frame["uptake_per_1000_in_need_year"] = (
            1000.0 * frame["referrals"] / years_in_need.where(years_in_need > 0)
        )
        return frame


def _groups(population: Population) -> GroupArrays:
    """The model's team and organisation arrays (copies: manager training changes them)."""
    return GroupArrays(
        team_supportive=population.team_supportive.astype(np.uint8),
        team_advocates=np.zeros(population.n_teams, np.int32),
        team_start=population.team_start,
        team_members=population.team_members,
        negative_culture=population.negative_culture.astype(np.uint8),
        own_offer=population.own_support_offer.astype(np.uint8),
    )
