"""`pip install .` gives a working hubsim: every runtime import is declared (issue #9).

Builds the wheel, installs it with plain pip into a fresh virtual environment without the
lock file (dependencies from the package index, as a user would get them) and runs a short
queue-only scenario and `--version` there.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUEUE_ONLY = ROOT / "scenarios" / "queue-only.yaml"


@pytest.mark.slow
def test_the_wheel_installs_with_pip_and_runs_a_scenario(tmp_path):
    base_python = getattr(sys, "_base_executable", sys.executable)
    venv = tmp_path / "venv"
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    dist = tmp_path / "dist"
    build = subprocess.run(
        [*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    wheel = next(dist.glob("hubsim-*.whl"))
    install = subprocess.run(
        [*pip, "install", "--quiet", str(wheel)], capture_output=True, text=True, timeout=1200
    )
    assert install.returncode == 0, install.stderr

    scenario = tmp_path / "short.yaml"
    scenario.write_text(
        f"extends: {QUEUE_ONLY}\n"
        "simulation: {horizon_days: 120, warmup_days: 0, replications: 1}\n"
    )
    # Only the environment the user would have: no project venv, no source tree on the path.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    hubsim = str(venv / "bin" / "hubsim")
    version = subprocess.run(
        [hubsim, "--version"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("hubsim ")
    done = subprocess.run(
        [hubsim, "run", str(scenario), "-n", "1", "--workers", "1", "-q", "--out", "out"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "summary.csv").is_file()
