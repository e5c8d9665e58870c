"""`hubsim run --auto-replications`: runs until the precision holds and says what it chose."""

import json
import re

import pandas as pd
from planning_support import write_mmc

from sim.cli import main
from sim.planning.replications import replications_needed


def test_auto_replications_stop_when_every_watched_kpi_is_precise(tmp_path, capsys):
    scenario = write_mmc(
        tmp_path, arrivals_per_day=8, mean_service_days=0.5, servers=5, horizon_days=465
    )
    out = tmp_path / "auto"
    argv = [
        "run",
        str(scenario),
        "--auto-replications",
        "--precision",
        "0.1",
        "--out",
        str(out),
        "--workers",
        "1",
        "-q",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    said = re.search(r"auto-replications: (\d+) replications give .* \((?:.*); (\d+) run", printed)
    assert said, printed
    chosen, ran = int(said[1]), int(said[2])
    assert json.loads((out / "manifest.json").read_text())["replications"] == ran
    kpis = pd.read_csv(out / "kpis.csv")
    waits = kpis.loc[kpis["period"] == "all", "stage1.wait_mean_days"].to_numpy()  # whole window
    assert replications_needed(waits, precision=0.1) == chosen
    assert chosen + 5 <= ran


def test_auto_replications_stop_at_the_maximum_given(tmp_path, capsys):
    scenario = write_mmc(
        tmp_path, arrivals_per_day=8, mean_service_days=0.5, servers=5, horizon_days=200
    )
    out = tmp_path / "capped"
    argv = [
        "run",
        str(scenario),
        "--auto-replications",
        "--precision",
        "0.001",
        "-n",
        "9",
        "--out",
        str(out),
        "--workers",
        "1",
        "-q",
    ]
    assert main(argv) == 0
    assert "9 replications (the most allowed) did not reach ±0.1%" in capsys.readouterr().out
    assert json.loads((out / "manifest.json").read_text())["replications"] == 9
