"""Fixture scenarios for the planning tests: queue-only M/M/c stages written on the fly, and
a small agent hub (small-agents.yaml), none of them the baseline."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMALL_AGENTS = HERE / "small-agents.yaml"


def mmc_text(
    arrivals_per_day: float,
    mean_service_days: float,
    servers: float,
    *,
    horizon_days: int = 2100,
    warmup_days: int = 100,
    replications: int = 5,
    seed: int = 7,
) -> str:
    """One M/M/c stage (`stage1`) fed by Poisson referrals, no patience, no targets."""
    # JSON is YAML: no YAML writer needed.
    return json.dumps(
        {
            "name": f"M/M/c at {arrivals_per_day:g} a day",
            "simulation": {
                "start_date": "2021-01-01",
                "horizon_days": horizon_days,
                "warmup_days": warmup_days,
                "replications": replications,
                "seed": seed,
            },
            "demand": {
                "mode": "poisson",
                "referrals": [{"from_date": "2021-01-01", "per_day": arrivals_per_day}],
            },
            "hub": {
                "priority_classes": {"routine": 1.0},
                "stages": {
                    "stage1": {
                        "capacity": [{"from_date": "2021-01-01", "wte": servers}],
                        "servers_per_wte": 1,
                        "service": {"kind": "exponential", "mean_days": mean_service_days},
                    }
                },
            },
        },
        indent=1,
    )


def write_mmc(folder: Path, name: str = "mmc.yaml", **kwargs) -> Path:
    """`mmc_text(**kwargs)` written to `folder/name`."""
    path = folder / name
    path.write_text(mmc_text(**kwargs))
    return path
