"""Working copies of root modules, so examples and fixtures stay clean for real use.

A working copy mirrors the repository layout (``<work>/modules`` and a link to ``build/``
beside ``<work>/examples/<name>``), so the root module's relative ``source = "../../modules/..."``
paths keep working, and may carry a generated ``natless_override.tf`` that points the aws
provider somewhere else (the embedded emulator) without touching the original files.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from natless.paths import BUILD, MODULES, ROOT, SCRATCH

OVERRIDE_FILE = "natless_override.tf"
_SKIP = shutil.ignore_patterns(
    ".terraform", ".terraform.lock.hcl", "*.tfstate*", "*_override.tf", "__pycache__"
)


def working_copy(root_module: Path, override: str | None = None, base: Path | None = None) -> Path:
    """Copy ``root_module`` and ``modules/`` into a fresh folder; return the root module's copy."""
    root_module = root_module.resolve()
    rel = root_module.relative_to(ROOT)
    work = (base or SCRATCH / "work") / f"{root_module.name}-{uuid.uuid4().hex[:8]}"
    shutil.copytree(MODULES, work / "modules", ignore=_SKIP)
    # Packages are read where the examples expect them: <repo>/build/<function>.zip.
    BUILD.mkdir(parents=True, exist_ok=True)
    (work / "build").symlink_to(BUILD, target_is_directory=True)
    target = work / rel
    shutil.copytree(root_module, target, ignore=_SKIP)
    if override is not None:
        (target / OVERRIDE_FILE).write_text(override)
    return target


def remove_working_copy(target: Path) -> None:
    """Delete a working copy made by working_copy (its whole mirrored tree)."""
    target = target.resolve()
    work_root = SCRATCH.resolve() / "work"
    for parent in target.parents:
        if parent.parent == work_root:
            shutil.rmtree(parent, ignore_errors=True)
            return
    shutil.rmtree(target, ignore_errors=True)
