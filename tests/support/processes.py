"""Processes as /proc shows them: alive or not (a zombie is not), children, ancestry."""

from __future__ import annotations

import time
from pathlib import Path


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after "pid (comm)" (comm may hold spaces and parentheses)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Whether pid is a live process: one that exists and is neither a zombie nor dead.

    Unlike natless.deploy.workdir's ``Owner.alive`` (the same process, by pid and start time),
    a zombie, which still has a /proc entry, counts as gone here.
    """
    try:
        return _stat_fields(pid)[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def children(pid: int) -> list[int]:
    """The pids whose parent is pid."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(_stat_fields(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def descends_from(pid: int, ancestor: int) -> bool:
    """Whether ``ancestor`` is ``pid``'s parent, grandparent, ... (False once pid is gone)."""
    while pid > 1:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        pid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        if pid == ancestor:
            return True
    return False


def wait_gone(pids: list[int], timeout: float = 20.0) -> list[int]:
    """Wait up to ``timeout`` seconds for every pid to be gone; the ones still alive."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.1)
    return [p for p in pids if alive(p)]
