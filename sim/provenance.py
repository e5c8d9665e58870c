"""Where a result came from: package versions, Python, platform and git commit."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import sim

TRACKED_PACKAGES = (
    "mesa",
    "numpy",
    "numba",
    "pandas",
    "pyarrow",
    "pydantic",
    "ruamel.yaml",
    "matplotlib",
    "SALib",
    "scipy",
    "dask",
    "distributed",
)


def package_versions() -> dict[str, str]:
    """Installed versions of hubsim and the packages its numbers depend on."""
    versions = {"hubsim": sim.__version__}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> dict[str, str | bool | None]:
    """The commit of the hubsim source tree, and whether it had uncommitted changes."""
    source = Path(sim.__file__).resolve().parent.parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(source), *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def environment() -> dict:
    """Everything above, plus Python and platform, for a results manifest."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "git": git_commit(),
    }
