"""The numba cache is keyed to every source the kernels depend on (issue #9)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim import kernel_cache
from sim.kernel_cache import PACKAGE_ROOT, kernel_cache_folder, kernel_sources, sources_digest


@pytest.fixture
def package_copy(tmp_path) -> Path:
    root = tmp_path / "sim"
    shutil.copytree(PACKAGE_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_the_kernels_sources_include_the_modules_whose_constants_they_compile_in():
    names = {f.relative_to(PACKAGE_ROOT).as_posix() for f in kernel_sources()}
    for module in (
        "queue/engine.py",
        "queue/layout.py",
        "queue/codes.py",
        "rules.py",
        "behaviour.py",
        "workforce.py",
        "outcomes.py",
    ):
        assert module in names
    assert "cli.py" not in names  # nothing a kernel imports


@pytest.mark.parametrize(
    "module", ["queue/layout.py", "queue/codes.py", "rules.py", "workforce.py", "behaviour.py"]
)
def test_changing_any_kernel_source_changes_the_cache_folder(package_copy, module):
    before = sources_digest(package_copy)
    assert before == sources_digest(PACKAGE_ROOT)  # the copy is the same source
    file = package_copy / module
    file.write_text(file.read_text() + "\nCHANGED = 1\n")
    assert sources_digest(package_copy) != before
    assert kernel_cache_folder(package_copy) != kernel_cache_folder(PACKAGE_ROOT)


def test_a_change_elsewhere_keeps_the_cache(package_copy):
    before = sources_digest(package_copy)
    cli = package_copy / "cli.py"
    cli.write_text(cli.read_text() + "\n# a comment\n")
    assert sources_digest(package_copy) == before


def test_the_swapped_daily_columns_that_once_went_unnoticed_now_change_the_folder(package_copy):
    layout = package_copy / "queue" / "layout.py"
    text = layout.read_text()
    swapped = text.replace("D_STARTS = 3", "D_STARTS = 5").replace("D_RENEGED = 5", "D_RENEGED = 3")
    assert swapped != text
    layout.write_text(swapped)
    assert sources_digest(package_copy) != sources_digest(PACKAGE_ROOT)


def test_the_kernels_are_cached_in_that_folder():
    from sim import behaviour, rules
    from sim.queue import engine

    if os.environ.get("NUMBA_CACHE_DIR"):
        pytest.skip("NUMBA_CACHE_DIR set by the user wins")
    folder = kernel_cache.use_kernel_cache()
    assert Path(folder).name.startswith("numba-")  # the sources' folder, worked out at import
    for kernel in (engine.run, behaviour.step_workers, rules.logistic):
        assert kernel._cache._cache_path.startswith(folder)


def test_a_user_numba_cache_dir_wins(tmp_path):
    code = "from sim.queue import engine; print(engine.run._cache._cache_path)"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().startswith(str(tmp_path))
    assert kernel_cache.kernel_cache_folder().name not in out.stdout


def test_is_compiled_reads_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(kernel_cache, "use_kernel_cache", lambda: str(tmp_path))
    assert not kernel_cache.is_compiled(["engine.run"])
    (tmp_path / "queue_abc").mkdir()
    (tmp_path / "queue_abc" / "engine.run-499.py312.nbi").write_bytes(b"")
    assert kernel_cache.is_compiled(["engine.run"])
    assert not kernel_cache.is_compiled(["engine.run", "behaviour.step_workers"])


def test_run_says_when_it_compiles_the_kernels(tmp_path, capsys, monkeypatch):
    from sim.cli import main

    monkeypatch.setattr(kernel_cache, "is_compiled", lambda kernels: False)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        f"extends: {PACKAGE_ROOT.parent / 'scenarios' / 'queue-only.yaml'}\n"
        "simulation: {horizon_days: 30, warmup_days: 0, replications: 1}\n"
    )
    assert main(["run", str(scenario), "--workers", "1", "--out", str(tmp_path / "o")]) == 0
    assert "compiling the simulation kernels" in capsys.readouterr().err
