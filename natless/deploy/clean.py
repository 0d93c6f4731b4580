"""Finish what killed runs left behind: their working copies, and the resources in their state.

A run killed outright (SIGKILL, a power cut) cannot tear down. Its working copy stays under
``.natless/work/`` with the state and an owner record (:mod:`natless.deploy.workdir`). For each copy
whose natless process is gone, :func:`clean_copy`:

- waits while a Terraform still holds the state's lock (one that natless's death told to stop);
- removes a copy whose state holds nothing;
- removes a copy whose emulator is gone: nothing its state describes exists any more;
- otherwise runs ``terraform destroy`` where the resources live (the emulator at its URL, or the
  AWS account on record, and only with credentials for that account), and removes the copy once
  the state is empty;
- keeps the copy, and says how to finish, in every other case.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tftest

from natless.deploy.stack import Stack, TerraformFailed
from natless.deploy.terraform import destroy_command, tftest_for
from natless.deploy.workdir import (
    LOCK_FILE,
    OVERRIDE_FILE,
    Copy,
    left_behind,
    process_start,
    remove_working_copy,
    state_resources,
)

LOCK_WAIT_S = 120.0  # a Terraform told to stop finishes its operations in flight first
EMULATOR_EXIT_WAIT_S = 5.0  # an emulator notices its parent's death within 0.5 s


@dataclass(frozen=True)
class Outcome:
    path: Path
    action: str  # "removed", "destroyed" or "kept"
    detail: str

    @property
    def finished(self) -> bool:
        return self.action != "kept"


def emulator_answers(url: str) -> bool:
    """Whether an emulator answers at ``url`` (its small dashboard page; data.json is megabytes)."""
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=10):
            return True
    except urllib.error.HTTPError:
        return True  # something answers there
    except OSError:
        return False


def _override_url(root: Path) -> str | None:
    """The emulator URL in a copy's provider override (copies without an owner record)."""
    try:
        match = re.search(r'"(http://[^"]+)"', (root / OVERRIDE_FILE).read_text())
    except OSError:
        return None
    return match[1] if match else None


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def terraform_running_in(root: Path) -> list[int]:
    """Processes whose working directory is ``root``: a Terraform (or its provider) at work."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if Path(os.readlink(proc / "cwd")) == root:
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


def _unlock_if_stale(root: Path) -> None:
    """Release a state lock that no running process holds (its Terraform was killed)."""
    lock = root / LOCK_FILE
    try:
        lock_id = json.loads(lock.read_text())["ID"]
    except (OSError, ValueError, KeyError):
        return
    with contextlib.suppress(tftest.TerraformTestError):  # the destroy then reports the lock
        tftest_for(root).execute_command("force-unlock", "-force", lock_id)


def _emulator_gone(copy: Copy, url: str) -> bool:
    pid = copy.owner.emulator_pid if copy.owner else None
    if pid is not None and _wait(lambda: process_start(pid) is None, EMULATOR_EXIT_WAIT_S):
        return True  # the run's own emulator ended with the run
    return not emulator_answers(url)


def clean_copy(
    copy: Copy,
    caller_account: Callable[[], str | None],
    lock_wait_s: float = LOCK_WAIT_S,
) -> Outcome:
    """Finish one working copy left behind (see the module docstring)."""
    root = copy.root
    finish = destroy_command(root)
    root = root.resolve()
    if not _wait(lambda: not terraform_running_in(root), lock_wait_s):
        pids = ", ".join(map(str, terraform_running_in(root)))
        return Outcome(
            copy.path,
            "kept",
            f"a Terraform (pid {pids}) still runs in it after {lock_wait_s:.0f} s; run natless "
            "clean again once it has exited",
        )
    if (root / LOCK_FILE).exists():
        _unlock_if_stale(root)
    held = state_resources(root)
    if not held:
        remove_working_copy(root)
        return Outcome(copy.path, "removed", "its state held no resources")
    url = copy.owner.emulator_url if copy.owner else _override_url(root)
    if url is not None and _emulator_gone(copy, url):
        remove_working_copy(root)
        return Outcome(
            copy.path,
            "removed",
            f"its emulator ({url}) is gone, and the {len(held)} resources of its state with it",
        )
    if url is None:
        expected = copy.owner.account if copy.owner else None
        if expected is None:
            return Outcome(copy.path, "kept", f"no AWS account on record; finish with: {finish}")
        actual = caller_account()
        if actual != expected:
            have = f"account {actual}" if actual else "no usable AWS credentials"
            return Outcome(
                copy.path,
                "kept",
                f"its {len(held)} resources are in account {expected} and this shell has {have}; "
                f"with credentials for {expected}, finish with: {finish}",
            )
    stack = Stack(source=root, workdir=root, tf=tftest_for(root), applied=True, local=bool(url))
    try:
        stack.destroy()
    except TerraformFailed as exc:
        return Outcome(copy.path, "kept", f"{exc}\nfinish with: {finish}")
    left = state_resources(root)
    if left:
        return Outcome(copy.path, "kept", f"the state still holds {', '.join(left)}: {finish}")
    remove_working_copy(root)
    where = url or f"account {copy.owner.account if copy.owner else '?'}"
    return Outcome(copy.path, "destroyed", f"destroyed its {len(held)} resources in {where}")


def clean(
    caller_account: Callable[[], str | None],
    base: Path | None = None,
    lock_wait_s: float = LOCK_WAIT_S,
) -> list[Outcome]:
    """Finish every working copy under ``base`` whose natless process is gone."""
    return [clean_copy(copy, caller_account, lock_wait_s) for copy in left_behind(base)]


def notice_left_behind(base: Path | None = None) -> None:
    """One line on stderr when earlier runs left working copies (called as a run starts)."""
    copies = left_behind(base)
    if copies:
        names = ", ".join(c.path.name for c in copies[:3]) + (", ..." if len(copies) > 3 else "")
        print(
            f"natless: {len(copies)} working copies left by earlier runs that were killed "
            f"({names}); `natless clean` destroys what they hold and removes them",
            file=sys.stderr,
            flush=True,
        )
