"""Working copies of root modules, so examples and fixtures stay clean for real use.

A working copy mirrors the repository layout (``<work>/modules`` and a link to ``build/``
beside ``<work>/examples/<name>``), so the root module's relative ``source = "../../modules/..."``
paths keep working, and may carry a generated ``natless_override.tf`` that points the aws
provider somewhere else (the embedded emulator) without touching the original files.

Each copy records who made it and where its resources live (``natless-run.json``: the natless
process, the emulator's URL, the AWS account), so a later run can tell a copy in use from one
left by a run that was killed, and ``natless clean`` can finish what that run left.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from natless.paths import BUILD, MODULES, ROOT, SCRATCH

OVERRIDE_FILE = "natless_override.tf"
OWNER_FILE = "natless-run.json"
STATE_FILE = "terraform.tfstate"
LOCK_FILE = ".terraform.tfstate.lock.info"
_SKIP = shutil.ignore_patterns(
    ".terraform", ".terraform.lock.hcl", "*.tfstate*", "*_override.tf", "__pycache__"
)


@dataclass(frozen=True)
class Redirect:
    """A stand-in for AWS (the embedded emulator) that a working copy's aws provider points at.

    ``override`` is the ``natless_override.tf`` text that points it there (Terraform merges
    ``*_override.tf`` into the root module); ``url`` and ``pid`` go into the copy's owner record,
    so a later ``natless clean`` knows where the resources live and whether they died with that
    process.
    """

    override: str
    url: str
    pid: int | None = None


def work_root() -> Path:
    """The folder that holds every working copy."""
    return SCRATCH / "work"


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot), or None when it does not exist.

    A pid alone can be reused; the pair (pid, start) names one process.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after "pid (comm)"


@dataclass(frozen=True)
class Owner:
    """Who made a working copy, and where the resources its state describes live."""

    pid: int
    pid_start: str | None
    root: str  # the root module's folder inside the copy, relative to the copy
    created: str
    emulator_url: str | None = None  # None: AWS itself
    emulator_pid: int | None = None  # set when that emulator is a child of the owner
    account: str | None = None  # the AWS account checked before the apply

    @classmethod
    def of_this_process(cls, root: str, **where: str | int | None) -> Owner:
        pid = os.getpid()
        created = f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"
        return cls(pid=pid, pid_start=process_start(pid), root=root, created=created, **where)  # type: ignore[arg-type]

    def alive(self) -> bool:
        """Whether the natless process that made the copy still runs."""
        start = process_start(self.pid)
        return start is not None and (self.pid_start is None or start == self.pid_start)


def working_copy(
    root_module: Path,
    override: str | None = None,
    base: Path | None = None,
    **where: str | int | None,
) -> Path:
    """Copy ``root_module`` and ``modules/`` into a fresh folder; return the root module's copy.

    ``where`` (emulator_url, emulator_pid, account) goes into the copy's owner record.
    """
    root_module = root_module.resolve()
    rel = root_module.relative_to(ROOT)
    work = (base or work_root()) / f"{root_module.name}-{uuid.uuid4().hex[:8]}"
    shutil.copytree(MODULES, work / "modules", ignore=_SKIP)
    (work / OWNER_FILE).write_text(
        json.dumps(asdict(Owner.of_this_process(str(rel), **where)), indent=2)
    )
    # Packages are read where the examples expect them: <repo>/build/<function>.zip.
    BUILD.mkdir(parents=True, exist_ok=True)
    (work / "build").symlink_to(BUILD, target_is_directory=True)
    target = work / rel
    shutil.copytree(root_module, target, ignore=_SKIP)
    if override is not None:
        (target / OVERRIDE_FILE).write_text(override)
    return target


def copy_of(target: Path) -> Path:
    """The whole mirrored tree that a working copy's root module ``target`` belongs to."""
    target = target.resolve()
    for parent in target.parents:
        if (parent / OWNER_FILE).is_file():
            return parent
    return target


def remove_working_copy(target: Path) -> None:
    """Delete a working copy made by working_copy (its whole mirrored tree).

    Callers delete only a copy whose state holds nothing (:func:`state_resources`), or whose
    resources are gone with the emulator that held them.
    """
    shutil.rmtree(copy_of(target), ignore_errors=True)


def state_resources(target: Path) -> list[str]:
    """The managed resources recorded in the local state of root module ``target``.

    An unreadable state counts as holding something: only a state known to be empty is empty.
    A zero-byte file is empty: Terraform creates the file to lock it before its first write, and
    reads a file without content as no state (a run stopped before any resource leaves one).
    """
    path = target / STATE_FILE
    if not path.exists():
        return []
    try:
        text = path.read_text()
        if not text.strip():
            return []
        state = json.loads(text)
    except (OSError, ValueError):
        return [f"(unreadable {path})"]
    found = []
    for res in state.get("resources", []):
        if res.get("mode") != "managed" or not res.get("instances"):
            continue
        module = f"{res['module']}." if res.get("module") else ""
        found.append(f"{module}{res['type']}.{res['name']}")
    return found


@dataclass(frozen=True)
class Copy:
    """A working copy on disk and its owner record (None for a copy without one)."""

    path: Path
    owner: Owner | None

    @property
    def root(self) -> Path:
        if self.owner is None:  # a copy from before owner records: where Terraform ran
            found = sorted(
                {p.parent for n in (".terraform", STATE_FILE) for p in self.path.rglob(n)}
            )
            return found[0] if found else self.path
        return self.path / self.owner.root

    @property
    def in_use(self) -> bool:
        return self.owner is not None and self.owner.alive()


def read_owner(work: Path) -> Owner | None:
    try:
        return Owner(**json.loads((work / OWNER_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def working_copies(base: Path | None = None) -> list[Copy]:
    """Every working copy under ``base`` (default: natless's own), oldest first."""
    root = base or work_root()
    if not root.is_dir():
        return []
    copies = [Copy(p, read_owner(p)) for p in root.iterdir() if p.is_dir()]
    return sorted(copies, key=lambda c: c.path.stat().st_mtime)


def left_behind(base: Path | None = None) -> list[Copy]:
    """The working copies whose natless process is gone: left by a run that was killed."""
    return [c for c in working_copies(base) if not c.in_use]
