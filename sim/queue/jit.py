"""Fast start-up: load the engine's compiled code from the numba cache without numba's full
compiler set-up.

The first call of a cached numba function in a process normally *refreshes* numba's target
context before it reads the cache: it imports every numba implementation module (typed
containers, linear algebra, which imports scipy.linalg, ...) although cached machine code needs
none of them. That costs 0.5-1.5 s on the development machine, more than loading and running
the engine. :func:`load_cached` reads the entry for the given arguments straight from the cache
(initialising only numba's runtime) and installs it on the dispatcher, as numba itself would.

It relies on numba internals (pinned in ``uv.lock``), so any failure or cache miss is silent:
the ordinary dispatch then compiles or loads as usual, with the same result.
"""

from __future__ import annotations

from numba import config


def load_cached(dispatcher, args: tuple) -> bool:
    """Install the cached overload of ``dispatcher`` for ``args``, if there is one.

    Returns whether it did; a no-op if the dispatcher already has overloads, has no cache, or
    the JIT is disabled."""
    if (
        config.DISABLE_JIT
        or getattr(dispatcher, "overloads", None)
        or not hasattr(dispatcher, "_cache")
    ):
        return False
    try:
        from numba.core.compiler_lock import global_compiler_lock
        from numba.core.runtime import rtsys

        with global_compiler_lock:
            if dispatcher.overloads:
                return False
            sig = tuple(dispatcher.typeof_pyval(a) for a in args)
            ctx = dispatcher.targetctx
            rtsys.initialize(ctx)
            cres = dispatcher._cache._load_overload(sig, ctx)
            if cres is None:
                return False
            dispatcher.add_overload(cres)
            return True
    except Exception:
        return False
