"""Where the compiled kernels are cached: a folder named by a digest of every source they use.

numba's own cache (``cache=True``) checks only the file that defines a kernel. A kernel also
compiles in the constants and inlined helpers of the modules it imports (the column indices
of ``sim/queue/layout.py``, the state codes of ``sim/rules.py``, ...): change one of those
while the cache is warm and numba loads stale machine code without a word (it once swapped
the daily counts of starts and dropouts). So the cache lives in a folder named by numba's
version and a digest of the kernel modules *and everything in the package they import*,
found by reading their import statements: any change to any of them means a new folder, and
a fresh compile.

:func:`use_kernel_cache` points numba there; each kernel module calls it before defining its
kernels (numba reads the setting when a ``cache=True`` function is defined). A
``NUMBA_CACHE_DIR`` set by the user wins.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
PACKAGE = PACKAGE_ROOT.name
KERNEL_MODULES = ("sim.rules", "sim.behaviour", "sim.queue.engine")
"""The modules that define ``cache=True`` kernels."""


def _module_file(root: Path, module: str) -> Path | None:
    """The file of ``module`` (``sim.a.b``) under the package folder ``root``, if any."""
    parts = module.split(".")[1:]
    base = root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(file: Path, module: str) -> Iterable[str]:
    """The package's modules that ``file`` (module ``module``) imports, as dotted names."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: level 1 is this package, 2 its parent, ...
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            # `from sim.queue import engine` imports the module sim.queue.engine too
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] == PACKAGE)


def kernel_sources(root: Path = PACKAGE_ROOT) -> list[Path]:
    """Every source file of the package (under ``root``) that the kernel modules import,
    directly or not, the kernel modules and the package's ``__init__`` files included."""
    seen: dict[str, Path] = {}
    pending = list(KERNEL_MODULES)
    while pending:
        module = pending.pop()
        file = _module_file(root, module)
        if file is None or module in seen:
            continue
        seen[module] = file
        parents = module.split(".")
        pending.extend(".".join(parents[:n]) for n in range(1, len(parents)))
        pending.extend(_imported_modules(file, module))
    return sorted(set(seen.values()))


def sources_digest(root: Path = PACKAGE_ROOT) -> str:
    """sha256 (hex) of the kernel sources' paths (relative to ``root``) and contents."""
    digest = hashlib.sha256()
    for file in kernel_sources(root):
        digest.update(file.relative_to(root).as_posix().encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def kernel_cache_folder(root: Path = PACKAGE_ROOT) -> Path:
    """The cache folder of the kernels as they are now: under the user's cache folder
    (``$XDG_CACHE_HOME``, else ``~/.cache``), ``hubsim/numba-<numba version>-<digest>``."""
    import numba

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "hubsim" / f"numba-{numba.__version__}-{sources_digest(root)[:16]}"


def use_kernel_cache() -> str:
    """Point numba's cache at :func:`kernel_cache_folder` (unless ``NUMBA_CACHE_DIR`` is set)
    and return the folder in use.

    The folder is worked out once per process (from the sources as first imported).
    Idempotent; called by each kernel module before it defines its kernels."""
    from numba import config

    if not os.environ.get("NUMBA_CACHE_DIR"):
        config.CACHE_DIR = _current_folder()
    return config.CACHE_DIR


@functools.cache
def _current_folder() -> str:
    return str(kernel_cache_folder())


def is_compiled(kernels: Iterable[str]) -> bool:
    """Whether the cache in use holds compiled code for every one of `kernels` (names such
    as "engine.run": module, dot, function), i.e. whether a run will start without
    compiling. Reads only the cache folder's index files (`<name>-<line>.py312.nbi`)."""
    folder = Path(use_kernel_cache())
    return all(any(folder.glob(f"*/{name}-*.nbi")) for name in kernels)
