"""Fixtures of the analysis tests (helpers are in analysis_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_support import SMALL, write


@pytest.fixture
def small_experiment(tmp_path) -> Path:
    """A Morris experiment of 12 points x 3 replications (36 runs of 120 days)."""
    return write(tmp_path, SMALL)


@pytest.fixture
def experiment_text() -> str:
    return SMALL
