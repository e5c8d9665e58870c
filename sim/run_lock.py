"""Who is writing a `.partial` results folder: a lock file naming the run's process.

A run that opens a results folder writes `hubsim.lock` into its `.partial` working folder:
the process id, the host, the boot of the machine and the process's start time. Another
run finding that folder can then tell three cases apart, and treats each as the results
folder's rules require (`sim.store`):

- the lock names a live process on this host: a run still writing; refuse, touch nothing;
- the lock names a process that is provably gone (this host, and the machine rebooted since,
  or no process has that id, or the process with that id started at another time, so the id
  was reused): the folder is the tool's own and dead, a stale `.partial` that may be cleared;
- no lock, an unreadable one, or another host's: not provably the tool's and dead; refuse,
  touch nothing.

A process's start time comes from Linux's `/proc`; elsewhere only "no process has that id"
proves a run dead.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

LOCK_FILE = "hubsim.lock"
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _boot_id() -> str | None:
    try:
        return BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return None


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks after boot (field 22 of /proc/PID/stat),
    or None where /proc cannot tell (not Linux, or no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return int(stat.rpartition(")")[2].split()[19])


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


@dataclass(frozen=True)
class RunLock:
    """The identity of the run writing a `.partial` folder."""

    pid: int
    host: str
    boot: str | None
    start_ticks: int | None
    since: str

    @classmethod
    def of_this_process(cls) -> RunLock:
        """The lock of the process calling it."""
        pid = os.getpid()
        since = datetime.now().isoformat(timespec="seconds")
        return cls(pid, socket.gethostname(), _boot_id(), _start_ticks(pid), since)

    def write(self, folder: Path) -> Path:
        """Write the lock into `folder` (complete or not at all: written aside, then renamed)."""
        target = folder / LOCK_FILE
        aside = folder / f".{LOCK_FILE}.writing"
        aside.write_text(json.dumps(asdict(self)) + "\n", encoding="utf-8")
        os.replace(aside, target)
        return target

    @classmethod
    def read(cls, folder: Path) -> RunLock | None:
        """The lock in `folder`, or None if there is none or it cannot be read as one."""
        try:
            fields = json.loads((folder / LOCK_FILE).read_text(encoding="utf-8"))
            return cls(**fields)
        except (OSError, ValueError, TypeError):
            return None

    def is_dead(self) -> bool:
        """Whether the run is provably gone (see the module's docstring); False when it is
        alive or when this machine cannot tell (another host)."""
        if self.host != socket.gethostname():
            return False
        if self.boot is not None and _boot_id() not in (None, self.boot):
            return True  # the machine restarted: every process of that boot is gone
        if not _process_exists(self.pid):
            return True
        now = _start_ticks(self.pid)
        return self.start_ticks is not None and now is not None and now != self.start_ticks

    def describe(self) -> str:
        """E.g. "process 4242 on host lab-1, since 2026-12-01T10:00:00"."""
        return f"process {self.pid} on host {self.host}, since {self.since}"
