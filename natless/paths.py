"""Where things live in the repository checkout."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "modules"
EXAMPLES = ROOT / "examples"
LAMBDA_SRC = ROOT / "lambda_src"
BUILD = ROOT / "build"
REPORTS = ROOT / "reports"
# Generated, git-ignored scratch space: Terraform CLI config, working copies of examples.
# NATLESS_SCRATCH moves it (the fault tests give each run one of its own).
SCRATCH = Path(os.environ.get("NATLESS_SCRATCH") or ROOT / ".natless")


def example_dir(name: str) -> Path:
    """The folder of a runnable example, or a UserError listing the ones that exist."""
    from natless.errors import UserError

    path = EXAMPLES / name
    if not (path / "main.tf").is_file():
        known = sorted(p.name for p in EXAMPLES.iterdir() if (p / "main.tf").is_file())
        raise UserError(f"unknown example {name!r}; choose one of: {', '.join(known)}")
    return path
